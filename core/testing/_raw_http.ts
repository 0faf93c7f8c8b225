/**
 * A loopback HTTP/1.1 server on a bare TCP listener, for faults `Deno.serve`
 * cannot produce: a connection closed before any answer, and a 200 whose body
 * stops short of its `content-length`. GET only (request bodies are not read).
 *
 * @module
 */

/** One request as the raw server parsed it. */
export interface RawRequest {
  /** `GET`, `HEAD`, ... */
  method: string;
  /** The request target as sent (path and query). */
  target: string;
  /** The target resolved against the server's URL. */
  url: URL;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The request line and header lines as sent, without the empty line. */
  head: string;
  /** Which connection it came on, from 0 in the order they were accepted. */
  connection: number;
}

/** What the server does with one request. */
export type RawReply =
  | {
    type: "response";
    status: number;
    headers?: Record<string, string>;
    body: string | Uint8Array;
  }
  /** Close the connection without answering (a reset, as the client sees it). */
  | { type: "reset" }
  /** Send these bytes as they are (a whole answer, framing mistakes and all). */
  | { type: "bytes"; bytes: string | Uint8Array; close?: boolean }
  /** Never answer; the connection stays open until the client or close() ends it. */
  | { type: "hang" }
  /** Announce the whole body, send its first `sendBytes` bytes, close. */
  | {
    type: "truncate";
    status: number;
    headers?: Record<string, string>;
    body: string | Uint8Array;
    sendBytes: number;
  };

/** A running raw server. */
export interface RawServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** Requests received so far. */
  readonly requestCount: number;
  /** Stop listening, close every connection and wait for them. */
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_HEAD = 64 * 1024;

function head(
  status: number,
  headers: Record<string, string>,
  length: number,
  close: boolean,
): Uint8Array {
  const lines = [`HTTP/1.1 ${status} X`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push(`content-length: ${length}`);
  lines.push(`connection: ${close ? "close" : "keep-alive"}`);
  return enc.encode(lines.join("\r\n") + "\r\n\r\n");
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) {
    off += await conn.write(bytes.subarray(off));
  }
}

/** Bytes up to the end of the next request head, or undefined at EOF. */
async function readHead(
  conn: Deno.Conn,
  buffered: { bytes: Uint8Array },
): Promise<string | undefined> {
  const chunk = new Uint8Array(16 * 1024);
  for (;;) {
    const text = dec.decode(buffered.bytes);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const headText = text.slice(0, end);
      buffered.bytes = buffered.bytes.subarray(
        enc.encode(text.slice(0, end + 4)).length,
      );
      return headText;
    }
    if (buffered.bytes.length > MAX_HEAD) return undefined;
    const n = await conn.read(chunk);
    if (n === null) return undefined;
    const next = new Uint8Array(buffered.bytes.length + n);
    next.set(buffered.bytes);
    next.set(chunk.subarray(0, n), buffered.bytes.length);
    buffered.bytes = next;
  }
}

function parseHead(
  text: string,
  base: string,
  connection: number,
): RawRequest {
  const [line = "", ...rest] = text.split("\r\n");
  const [method = "GET", target = "/"] = line.split(" ");
  const headers: Record<string, string> = {};
  for (const h of rest) {
    const i = h.indexOf(":");
    if (i > 0) {
      headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
    }
  }
  const url = new URL(target, base);
  return { method, target, url, headers, head: text, connection };
}

/** Answer one reply; false when the connection must close after it. */
async function answer(conn: Deno.Conn, reply: RawReply): Promise<boolean> {
  if (reply.type === "reset") return false;
  if (reply.type === "hang") return true;
  if (reply.type === "bytes") {
    const b = reply.bytes;
    await writeAll(conn, typeof b === "string" ? enc.encode(b) : b);
    return !reply.close;
  }
  const body = typeof reply.body === "string"
    ? enc.encode(reply.body)
    : reply.body;
  if (reply.type === "truncate") {
    await writeAll(
      conn,
      head(reply.status, reply.headers ?? {}, body.length, true),
    );
    await writeAll(
      conn,
      body.subarray(0, Math.min(reply.sendBytes, body.length - 1)),
    );
    return false;
  }
  await writeAll(
    conn,
    head(reply.status, reply.headers ?? {}, body.length, false),
  );
  await writeAll(conn, body);
  return true;
}

/**
 * Serve `handler` on 127.0.0.1 (a free port), keeping connections alive
 * between answers unless a reply closes them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveRaw } from "./_raw_http.ts";
 * await using server = serveRaw(() => ({ type: "response", status: 200, body: "[1]" }));
 * const res = await fetch(`${server.url}/x`);
 * assert.deepEqual(await res.json(), [1]);
 * assert.equal(server.requestCount, 1);
 * ```
 */
export function serveRaw(
  handler: (req: RawRequest) => RawReply | Promise<RawReply>,
): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const url = `http://127.0.0.1:${port}`;
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let count = 0, connections = 0;
  const serveConn = async (conn: Deno.Conn, connection: number) => {
    const buffered = { bytes: new Uint8Array(0) };
    try {
      for (;;) {
        const text = await readHead(conn, buffered);
        if (text === undefined) return;
        count++;
        const reply = await handler(parseHead(text, url, connection));
        if (!(await answer(conn, reply))) return;
      }
    } catch {
      // The client went away (or the server is closing): nothing to answer.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // Already closed by close().
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        const t = serveConn(conn, connections++);
        tasks.add(t);
        t.finally(() => tasks.delete(t));
      }
    } catch {
      // The listener was closed.
    }
  })();
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
      await accepting;
      await Promise.allSettled([...tasks]);
    })();
  return {
    url,
    get requestCount() {
      return count;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
