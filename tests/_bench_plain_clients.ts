/**
 * Plain clients for the bench's `shed` mode, so inlet's figure there can be
 * read against what a client that knows the source's capacity reaches with
 * the same transport: `inFlight` loops over the offset pages of the test
 * API, each waiting what a 429's `retry-after-ms` asks (else `Retry-After`
 * seconds) and asking again. No limiter, lake or state: they only parse.
 *
 * - {@linkcode fetchLoops}: Deno's `fetch` (inlet's with `INLET_HTTP=fetch`).
 * - {@linkcode socketLoops}: HTTP/1.1 written by hand on kept-alive TCP
 *   connections, one per loop, answers read by the framing inlet's own
 *   connections use (`Http1Reader`): no `fetch` between the loop and the
 *   socket.
 *
 * @module
 */

import { Http1Reader } from "../core/http/_http1_reader.ts";
import { writeAll } from "../core/http/_http1_wire.ts";
import { PAGE } from "./_bench_connectors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

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
    const reader = new Http1Reader(conn);
    const get = async (path: string) => {
      const head = `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`;
      await writeAll(conn, enc.encode(head));
      const a = await reader.answer("GET");
      return {
        status: a.status,
        header: (n: string) => a.headers.get(n),
        body: dec.decode(a.body),
      };
    };
    return Object.assign(get, { [Symbol.dispose]: () => conn.close() });
  });
}
