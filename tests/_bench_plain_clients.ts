/**
 * Plain clients for the bench's `shed` mode, so inlet's figure there can be
 * read against what a client that knows the source's capacity reaches with
 * the same transport: `inFlight` loops over the offset pages of the test
 * API, each waiting what a 429's `retry-after-ms` asks (else `Retry-After`
 * seconds) and asking again. No limiter, lake or state: they only parse.
 *
 * - {@linkcode fetchLoops}: Deno's `fetch`, as inlet uses it.
 * - {@linkcode socketLoops}: HTTP/1.1 written by hand on kept-alive TCP
 *   connections, one per loop: no `fetch` between the loop and the socket.
 *   It reads only what the test API sends (`Content-Length` or chunked
 *   bodies) and throws on anything else.
 *
 * @module
 */

import { PAGE } from "./_bench_connectors.ts";

/** What a plain client's run did. */
export interface PlainRun {
  /** Records in the pages parsed. */
  records: number;
  /** Wall time, s. */
  seconds: number;
  /** Requests sent, retries included. */
  requests: number;
  /** Answers that were 429. */
  throttled: number;
}

type Get = (path: string) => Promise<{
  status: number;
  header: (name: string) => string | null;
  body: string;
}>;

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

function waitMs(header: (name: string) => string | null): number {
  const ms = Number(header("retry-after-ms"));
  if (Number.isFinite(ms) && ms >= 0) return ms;
  return Number(header("retry-after") ?? 1) * 1000;
}

async function loops(
  records: number,
  inFlight: number,
  open: () => Promise<Get & Disposable>,
): Promise<PlainRun> {
  let next = 0;
  const run: PlainRun = { records: 0, seconds: 0, requests: 0, throttled: 0 };
  const t0 = performance.now();
  const loop = async () => {
    using get = await open();
    while (next < records) {
      const offset = next;
      next += PAGE;
      const limit = Math.min(PAGE, records - offset);
      for (;;) {
        run.requests++;
        const a = await get(`/offset/items?limit=${limit}&offset=${offset}`);
        if (a.status === 429) {
          run.throttled++;
          await sleep(waitMs(a.header));
          continue;
        }
        if (a.status !== 200) throw new Error(`HTTP ${a.status} at ${offset}`);
        run.records += (JSON.parse(a.body) as { items: unknown[] }).items
          .length;
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  run.seconds = (performance.now() - t0) / 1000;
  return run;
}

/**
 * `inFlight` loops of `fetch` over `records` records of the test API at
 * `url`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startApiServer } from "../core/testing/api_server.ts";
 * import { fetchLoops } from "./_bench_plain_clients.ts";
 * await using server = await startApiServer({ records: 120 });
 * assert.equal((await fetchLoops(server.url, 120, 2)).records, 120);
 * ```
 */
export function fetchLoops(
  url: string,
  records: number,
  inFlight: number,
): Promise<PlainRun> {
  return loops(records, inFlight, () => {
    const get = async (path: string) => {
      const res = await fetch(url + path);
      const body = await res.text();
      return {
        status: res.status,
        header: (n: string) => res.headers.get(n),
        body,
      };
    };
    return Promise.resolve(Object.assign(get, { [Symbol.dispose]() {} }));
  });
}

/**
 * `inFlight` loops over `records` records of the test API at `url`, each on
 * a TCP connection of its own with HTTP/1.1 written by hand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startApiServer } from "../core/testing/api_server.ts";
 * import { socketLoops } from "./_bench_plain_clients.ts";
 * await using server = await startApiServer({ records: 120 });
 * assert.equal((await socketLoops(server.url, 120, 2)).records, 120);
 * ```
 */
export function socketLoops(
  url: string,
  records: number,
  inFlight: number,
): Promise<PlainRun> {
  const { hostname, port } = new URL(url);
  return loops(records, inFlight, async () => {
    const conn = await Deno.connect({ hostname, port: Number(port) });
    conn.setNoDelay(true);
    const reader = new ByteReader(conn);
    const enc = new TextEncoder();
    const get = async (path: string) => {
      const head = `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`;
      const bytes = enc.encode(head);
      for (let n = 0; n < bytes.length;) {
        n += await conn.write(bytes.subarray(n));
      }
      return await reader.response();
    };
    return Object.assign(get, { [Symbol.dispose]: () => conn.close() });
  });
}

/** Buffered reads of HTTP/1.1 answers from one connection. */
class ByteReader {
  #conn: Deno.Conn;
  #buf = new Uint8Array(1 << 16);
  #start = 0;
  #end = 0;
  #dec = new TextDecoder();

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async response() {
    const lines = (await this.#line("\r\n\r\n")).split("\r\n");
    const status = Number(lines[0]!.split(" ")[1]);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
    const chunks: string[] = [];
    if (headers.get("transfer-encoding") === "chunked") {
      for (;;) {
        const size = parseInt(await this.#line("\r\n"), 16);
        if (!Number.isFinite(size)) throw new Error("bad chunk size");
        if (size === 0) {
          await this.#line("\r\n");
          break;
        }
        chunks.push(await this.#take(size));
        await this.#line("\r\n");
      }
    } else if (headers.has("content-length")) {
      chunks.push(await this.#take(Number(headers.get("content-length"))));
    } else throw new Error("an answer without a length");
    const header = (n: string) => headers.get(n.toLowerCase()) ?? null;
    return { status, header, body: chunks.join("") };
  }

  // Text up to `end` (consumed, not returned).
  async #line(end: string): Promise<string> {
    const stop = [...end].map((c) => c.charCodeAt(0));
    for (;;) {
      const at = find(this.#buf, this.#start, this.#end, stop);
      if (at >= 0) {
        const text = this.#dec.decode(this.#buf.subarray(this.#start, at));
        this.#start = at + stop.length;
        return text;
      }
      await this.#fill();
    }
  }

  async #take(n: number): Promise<string> {
    while (this.#end - this.#start < n) await this.#fill();
    const text = this.#dec.decode(
      this.#buf.subarray(this.#start, this.#start + n),
    );
    this.#start += n;
    return text;
  }

  async #fill(): Promise<void> {
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    const n = await this.#conn.read(this.#buf.subarray(this.#end));
    if (n === null) throw new Error("the connection closed mid-answer");
    this.#end += n;
  }
}

function find(buf: Uint8Array, from: number, to: number, what: number[]) {
  outer: for (let i = from; i + what.length <= to; i++) {
    for (let j = 0; j < what.length; j++) {
      if (buf[i + j] !== what[j]) continue outer;
    }
    return i;
  }
  return -1;
}
