/**
 * `Http1Agent`: plain GETs over kept-alive HTTP/1.1 connections of its own,
 * behind the signature of `fetch`, with Deno's `fetch` for everything else.
 * A pull uses one unless `INLET_HTTP=fetch` or a proxy says otherwise (see
 * `useHttp1Agent`).
 *
 * @module
 */

import {
  ClosedBeforeAnswerError,
  type Http1Answer,
  Http1FramingError,
  Http1Reader,
} from "./_http1_reader.ts";
import {
  requestHead,
  toResponse,
  untilAborted,
  writeAll,
} from "./_http1_wire.ts";

/** Options of {@linkcode Http1Agent}. */
export interface Http1AgentOptions {
  /**
   * Where requests the agent does not make itself go: anything but a plain
   * GET over `http:` or `https:`, and every request to an origin once one
   * of its answers could not be framed exactly. @default globalThis.fetch
   */
  fallback?: typeof fetch;
  /**
   * A connection idle this long is closed rather than used again: servers
   * close idle connections (Node's default after 5 s) and a request sent as
   * one does is lost with it. 0 keeps none: every request gets a new
   * connection, closed after its answer. @default {2000}
   */
  idleMs?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
/** Headers a redirect to another origin does not carry (as `fetch`). */
const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"];
const enc = new TextEncoder();

/** A new connection failed: `fetch` may still reach the origin its way. */
class CannotConnect extends Error {
  override name = "CannotConnect";
}

interface Connection {
  conn: Deno.Conn;
  reader: Http1Reader;
  idleSince: number;
}

/**
 * A `fetch` for many small GETs: HTTP/1.1 on connections it keeps per
 * origin, one request at a time on each, answers read whole, content
 * codings (`gzip`, `deflate`, `br`) undone, redirects followed (at most 20;
 * credentials dropped when the origin changes). It sends what `fetch`
 * sends by default (`accept: *\/*`, `accept-encoding`, `user-agent`) unless
 * the request sets them.
 *
 * Everything else goes to the fallback `fetch`: other methods, bodies,
 * other schemes, and an origin whose answer was not HTTP/1.1 framed exactly
 * (that request is made again by `fetch`; a GET may be). A connection is
 * used again only after an answer read to its last byte. Call
 * {@linkcode Http1Agent.close} when done: idle connections are resources.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startApiServer } from "../testing/api_server.ts";
 * import { Http1Agent } from "./http1_agent.ts";
 * await using server = await startApiServer({ records: 3 });
 * using agent = new Http1Agent();
 * const res = await agent.fetch(`${server.url}/offset/items?limit=2&offset=0`);
 * assert.equal(res.status, 200);
 * assert.equal((await res.json()).items.length, 2);
 * ```
 */
export class Http1Agent implements Disposable {
  /** `fetch`, bound to this agent. */
  readonly fetch: typeof fetch;
  #fallback: typeof fetch;
  #idleMs: number;
  #idle = new Map<string, Connection[]>();
  #busy = new Set<Connection>();
  /** Origins whose answers this agent could not frame: `fetch` only. */
  #fetchOnly = new Set<string>();
  #closed = false;

  constructor(options: Http1AgentOptions = {}) {
    this.#fallback = options.fallback ?? globalThis.fetch;
    this.#idleMs = options.idleMs ?? 2000;
    if (!(this.#idleMs >= 0)) {
      throw new RangeError(`idleMs must be >= 0, got ${this.#idleMs}`);
    }
    this.fetch = (input, init) => this.#fetch(input, init);
  }

  /** Close every connection; requests after this go to the fallback. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) {
      for (const c of list) closeQuietly(c.conn);
    }
    this.#idle.clear();
    for (const c of this.#busy) closeQuietly(c.conn);
    this.#busy.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #fetch(
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> {
    const mine = !this.#closed && typeof input === "string" &&
      (init?.method ?? "GET").toUpperCase() === "GET" &&
      init?.body == null && (init?.redirect ?? "follow") === "follow" &&
      !(init && "client" in init);
    const first = mine ? new URL(input) : undefined;
    if (
      (first?.protocol !== "http:" && first?.protocol !== "https:") ||
      first.username !== "" || first.password !== ""
    ) {
      return this.#fallback(input, init);
    }
    let url = first;
    const signal = init?.signal ?? undefined;
    // Read only: a redirect to another origin works on a copy.
    let headers = init?.headers instanceof Headers
      ? init.headers
      : new Headers(init?.headers);
    for (let hop = 0;; hop++) {
      if (this.#fetchOnly.has(url.origin)) {
        return this.#fallback(url.href, { ...init, headers });
      }
      signal?.throwIfAborted();
      let answer: Http1Answer;
      try {
        answer = await this.#exchange(url, headers, signal);
        const location = answer.headers.get("location");
        if (!REDIRECTS.has(answer.status) || location === null) {
          return toResponse(answer, url, hop > 0);
        }
      } catch (err) {
        const fetchMay = err instanceof Http1FramingError ||
          err instanceof CannotConnect;
        if (!fetchMay || signal?.aborted) throw err;
        this.#fetchOnly.add(url.origin);
        continue;
      }
      if (hop === MAX_REDIRECTS) {
        throw new TypeError(`Cannot fetch ${input}: over ${hop} redirects`);
      }
      const next = new URL(answer.headers.get("location")!, url);
      if (next.origin !== url.origin) {
        headers = new Headers(headers);
        for (const h of CREDENTIALS) headers.delete(h);
      }
      url = next;
    }
  }

  // One request and its whole answer, on a kept connection if one is idle
  // (and on a new one if that turns out closed before answering).
  async #exchange(
    url: URL,
    headers: Headers,
    signal: AbortSignal | undefined,
  ): Promise<Http1Answer> {
    const head = enc.encode(requestHead(url, headers));
    for (;;) {
      const kept = this.#take(url.origin);
      const c = kept ?? await this.#connect(url, signal);
      if (signal?.aborted) {
        // Aborted while connecting finished: no listener saw it.
        closeQuietly(c.conn);
        throw signal.reason;
      }
      this.#busy.add(c);
      const onAbort = () => closeQuietly(c.conn);
      signal?.addEventListener("abort", onAbort, { once: true });
      let answer: Http1Answer | undefined;
      try {
        await writeAll(c.conn, head);
        answer = await c.reader.answer("GET");
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        // A kept connection the server closed meanwhile: try a new one.
        if (kept && isStale(err)) continue;
        throw err;
      } finally {
        signal?.removeEventListener("abort", onAbort);
        this.#busy.delete(c);
        // An abort after the answer was read but before this ran closed the
        // connection already: it must not go back to the pool.
        const keep = answer?.reusable && c.reader.buffered === 0 &&
          !signal?.aborted;
        if (keep && this.#idleMs > 0 && !this.#closed) {
          c.idleSince = performance.now();
          this.#put(url.origin, c);
        } else closeQuietly(c.conn);
      }
      return answer;
    }
  }

  #take(origin: string): Connection | undefined {
    const list = this.#idle.get(origin);
    const now = performance.now();
    while (list && list.length > 0) {
      const c = list.pop()!;
      if (now - c.idleSince <= this.#idleMs) return c;
      closeQuietly(c.conn);
    }
    return undefined;
  }

  #put(origin: string, c: Connection): void {
    let list = this.#idle.get(origin);
    if (!list) this.#idle.set(origin, list = []);
    list.push(c);
  }

  async #connect(
    url: URL,
    signal: AbortSignal | undefined,
  ): Promise<Connection> {
    const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const tls = url.protocol === "https:";
    const port = Number(url.port || (tls ? 443 : 80));
    const connecting: Promise<Deno.Conn> = tls
      ? Deno.connectTls({ hostname, port, alpnProtocols: ["http/1.1"] })
      : Deno.connect({ hostname, port });
    let conn: Deno.Conn;
    try {
      conn = await untilAborted(connecting, signal);
    } catch (cause) {
      if (signal?.aborted) throw cause;
      // fetch connects its own way (every address of a name, proxies,
      // HTTP/2): let it try, and report what it finds.
      throw new CannotConnect(`cannot connect to ${url.host}`, { cause });
    }
    if (this.#closed) {
      conn.close();
      throw new TypeError("Cannot fetch: the agent was closed");
    }
    if (!tls) (conn as Deno.TcpConn).setNoDelay(true);
    return { conn, reader: new Http1Reader(conn), idleSince: 0 };
  }
}

function isStale(err: unknown): boolean {
  return err instanceof ClosedBeforeAnswerError ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}
