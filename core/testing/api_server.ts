/**
 * The test API server: one local HTTP server that speaks every pagination
 * style inlet supports, with a service time per request, a capacity (requests
 * served at once), a rate limit and injected faults. Tests, the demo and the
 * benchmark all pull from it.
 *
 * It runs on `node:http` rather than `Deno.serve` because only a raw socket
 * lets it count TCP connections exactly and drop one without an answer.
 *
 * Run it by hand: `deno run --allow-net core/testing/api_server.ts --latency 20 --capacity 32`
 * (also `--overflow 429 --retry-after 0 --retry-after-ms 20`, `--error-share 0.1`,
 * `--rate-limit 500/1`, and `--stdin` to take `capacity <n>`, `latency <ms>`,
 * `storm <ms>` and `stats` commands as lines on standard input: the bench
 * halves a running server's capacity, or starts a 429 storm, so).
 *
 * @module
 */

import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { CalibratedTimer } from "./_calibrated_timer.ts";
import { CapacityGate } from "./_capacity_gate.ts";
import { type RateHeaderStyle, RateWindow } from "./_rate_window.ts";
import { RecordStore } from "./_records.ts";
import { type Reply, route } from "./_routes.ts";

/**
 * A fault the server injects into matching requests instead of (or on top of)
 * the normal answer.
 *
 * - `status`: answer `status` with a JSON error body (and `Retry-After` if given).
 * - `drop`: close the connection without an answer (the client sees a network error).
 * - `slow`: serve normally, `ms` later than usual (the slot stays held).
 * - `malformed`: 200 with the real body cut in half (invalid JSON).
 * - `html`: 200 with an HTML page and `content-type: text/html`.
 *
 * A fault counts every request whose path and query contain `path`; it skips
 * the first `after` of them and fires on the next `times`. When several faults
 * could fire, the first in the list wins.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Fault, startApiServer } from "./api_server.ts";
 * const faults: Fault[] = [{ path: "offset=50", kind: "status", status: 503, retryAfter: "0" }];
 * const server = await startApiServer({ records: 100, faults });
 * const res = await fetch(`${server.url}/offset/items?offset=50`);
 * await res.body?.cancel();
 * assert(res.status === 503 && res.headers.get("retry-after") === "0");
 * await server.close();
 * ```
 */
export type Fault =
  & {
    /** Substring of path + query that a request must contain. @default "" (every request) */
    path?: string;
    /** Matching requests to let through before the fault fires. @default 0 */
    after?: number;
    /** How many matching requests the fault hits (may be `Infinity`). @default 1 */
    times?: number;
  }
  & (
    | { kind: "status"; status: number; retryAfter?: string }
    | { kind: "drop" }
    | { kind: "slow"; ms: number }
    | { kind: "malformed" }
    | { kind: "html" }
  );

/**
 * How the test API behaves.
 *
 * @example
 * ```ts
 * import { type ApiServerOptions, startApiServer } from "./api_server.ts";
 * const options: ApiServerOptions = { records: 1000, capacity: 4, overflow: "429" };
 * const server = await startApiServer(options);
 * await server.close();
 * ```
 */
export interface ApiServerOptions {
  /** Number of records; their ids run from 1 to `records`. @default 10_000 */
  records?: number;
  /** Service time of every request, in ms. @default 0 */
  latencyMs?: number;
  /** Requests served at once (in their service time). @default Infinity */
  capacity?: number;
  /**
   * Beyond capacity: `"queue"` makes requests wait for a slot in arrival order
   * (latency grows); `"429"` answers at once with 429 and `Retry-After`.
   * @default "queue"
   */
  overflow?: "queue" | "429";
  /**
   * `Retry-After` (seconds) of an overflow 429. A rate-limit 429 sends this
   * too when it is given, else the seconds until the window renews.
   * @default 1
   */
  retryAfterSeconds?: number;
  /**
   * Also send `retry-after-ms` with this many ms on an overflow or storm 429,
   * as several large APIs do beside a `Retry-After` in whole seconds.
   * @default none
   */
  retryAfterMs?: number;
  /**
   * Share of served requests answered 503 (no `Retry-After`) after their
   * service time, at random but the same for every run: a source's own
   * faults, not correlated with load. @default 0
   */
  errorShare?: number;
  /**
   * A fixed-window budget: `requests` per `perSeconds`, the window starting at
   * the first request after the last one ended. Beyond it: 429. Every answer
   * announces it: `"x-ratelimit"` (GitHub: `X-RateLimit-Limit`, `-Remaining`,
   * `-Used`, `-Reset` in epoch seconds), `"ietf"` (draft-ietf-httpapi-ratelimit-headers:
   * `RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=42;t=17`)
   * or `"none"`. `headers` @default "x-ratelimit"
   */
  rateLimit?: {
    requests: number;
    perSeconds: number;
    headers?: RateHeaderStyle;
  };
  /** Faults to inject; see {@linkcode Fault}. @default [] */
  faults?: Fault[];
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** Waits out service times; injected by tests. @default real timers */
  sleep?: (ms: number) => Promise<void>;
  /** Clock of the rate-limit window, in epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * What the server has seen. `/stats` serves the same object as JSON; requests
 * to `/stats` are not counted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ServerStats, startApiServer } from "./api_server.ts";
 * const server = await startApiServer({ records: 10 });
 * await (await fetch(`${server.url}/offset/items`)).body?.cancel();
 * const stats: ServerStats = await (await fetch(`${server.url}/stats`)).json();
 * assert(stats.requests === 1 && stats.byStatus[200] === 1 && stats.bytes > 0);
 * await server.close();
 * ```
 */
export interface ServerStats {
  /** Requests received. */
  requests: number;
  /** Requests answered after their service time (routes and injected faults, not drops). */
  served: number;
  /** Requests in their service time right now. */
  inFlight: number;
  /** The most requests ever in their service time at once. */
  maxInFlight: number;
  /** Requests waiting for a slot right now. */
  queued: number;
  /** TCP connections accepted. */
  connections: number;
  /** Answers by status code. */
  byStatus: Record<number, number>;
  /** Bytes of the answers' bodies, every status. */
  bytes: number;
  /** 429s sent for overflow or the rate limit (injected 429 faults not included). */
  throttled: number;
  /** Connections closed without an answer by a `drop` fault. */
  dropped: number;
}

/**
 * A running test API. Close it when done (or `await using` it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startApiServer } from "./api_server.ts";
 * await using server = await startApiServer({ records: 3 });
 * server.updateRecord(2, { name: "renamed" });
 * const res = await fetch(`${server.url}/updated/items?since=2024-01-01T00:03:00Z`);
 * const { items } = await res.json();
 * assert(items.length === 2 && items[1].name === "renamed");
 * ```
 */
export interface ApiServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Live counters; see {@linkcode ServerStats}. */
  readonly stats: ServerStats;
  /** Change the capacity mid-run (a source that slows down or recovers). */
  setCapacity(n: number): void;
  /** Change the service time mid-run. */
  setLatency(ms: number): void;
  /** Answer every request at once with a 429 for the next `ms` (a storm). */
  storm(ms: number): void;
  /**
   * Merge `patch` into record `id` and set its `updated_at` to "now" on a
   * logical clock: later than every other record and every earlier update.
   */
  updateRecord(id: number, patch: Record<string, unknown>): void;
  /** Stop listening, end pending service times and close every connection. */
  close(): Promise<void>;
}

interface FaultState {
  fault: Fault;
  seen: number;
}

const JSON_TYPE = "application/json";
const ERROR_503: Fault = { kind: "status", status: 503 };
const HTML_PAGE =
  "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";

function checkCount(
  name: string,
  n: number,
  min: number,
  allowInfinity = false,
): void {
  const ok = allowInfinity && n === Infinity
    ? true
    : Number.isSafeInteger(n) && n >= min;
  if (!ok) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${n}`);
  }
}

function checkMs(name: string, ms: number): void {
  if (!(Number.isFinite(ms) && ms >= 0)) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${ms}`);
  }
}

function checkFault(f: Fault, i: number): void {
  const kinds = ["status", "drop", "slow", "malformed", "html"];
  if (!kinds.includes(f.kind)) {
    throw new TypeError(
      `faults[${i}].kind must be one of ${kinds.join(", ")}, got "${f.kind}"`,
    );
  }
  if (f.after !== undefined) checkCount(`faults[${i}].after`, f.after, 0);
  if (f.times !== undefined) checkCount(`faults[${i}].times`, f.times, 0, true);
  if (f.kind === "status") checkCount(`faults[${i}].status`, f.status, 100);
  if (f.kind === "slow") checkMs(`faults[${i}].ms`, f.ms);
}

/** Cut a JSON text so it no longer parses. */
function truncate(body: string): string {
  const cut = body.slice(0, Math.floor(body.length / 2));
  try {
    JSON.parse(cut);
  } catch {
    return cut;
  }
  return cut + "{";
}

/**
 * Start the test API on 127.0.0.1.
 *
 * Records are the same in every route: `{ id, name: "item-<id>", score: id * 1.5,
 * active: id % 2 === 0, created_at, updated_at, tags, meta: { rank, source } }`
 * with `created_at` = 2024-01-01T00:00:00Z + id minutes. Routes (page sizes
 * default to 50 and are clamped at 1000; bad parameters get a 400):
 *
 * - `GET /offset/items?offset=&limit=` → `{ items, total }` (`&total=false` omits `total`)
 * - `GET /pages/items?page=&per_page=` → `{ data, page, total_pages }` (1-based; `&total=false` omits `total_pages`)
 * - `GET /cursor/items?cursor=&limit=` → `{ data, next_cursor }` (opaque; `null` at the end)
 * - `GET /stripe/items?limit=&starting_after=&created[gte]=&created[lt]=` → `{ object: "list", data, has_more, url }`:
 *   newest first, records carry `created` = 1704067200 + floor(id / 3) (unix s, three ids per second);
 *   also `created`, `created[gt]`, `created[lte]`; limit default 10, max 100
 * - `GET /next/items?page=&page_size=` → `{ results, next }` (absolute URL or `null`)
 * - `GET /link/items?page=&per_page=` → a JSON array; `Link` header with `next`/`last` (not on the last page) and `prev`/`first` (after page 1)
 * - `GET /updated/items?since=<ISO>&offset=&limit=` → `{ items, total }`: records with `updated_at >= since`, by `updated_at` then id
 * - `GET /v0/maxitem.json` → the number of records; `GET /v0/item/<id>.json` → a Hacker News item or `null`
 *   (so `${url}/v0` is a Hacker News base URL)
 * - `GET /stats` → {@linkcode ServerStats} (not counted); anything else → 404 `{ "error": "not found" }`
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startApiServer } from "./api_server.ts";
 * const server = await startApiServer({ records: 120, latencyMs: 1, capacity: 2 });
 * const res = await fetch(`${server.url}/offset/items?offset=100&limit=50`);
 * const body = await res.json();
 * assert(body.items.length === 20 && body.total === 120);
 * assert(body.items[0].name === "item-101");
 * await server.close();
 * ```
 */
export async function startApiServer(
  options: ApiServerOptions = {},
): Promise<ApiServer> {
  const records = options.records ?? 10_000;
  let latencyMs = options.latencyMs ?? 0;
  const capacity = options.capacity ?? Infinity;
  const overflow = options.overflow ?? "queue";
  const port = options.port ?? 0;
  checkCount("records", records, 0);
  checkMs("latencyMs", latencyMs);
  checkCount("capacity", capacity, 1, true);
  if (overflow !== "queue" && overflow !== "429") {
    throw new TypeError(`overflow must be "queue" or "429", got "${overflow}"`);
  }
  if (options.retryAfterSeconds !== undefined) {
    checkCount("retryAfterSeconds", options.retryAfterSeconds, 0);
  }
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const waitHeaders: Record<string, string> = { "retry-after": retryAfter };
  if (options.retryAfterMs !== undefined) {
    checkMs("retryAfterMs", options.retryAfterMs);
    waitHeaders["retry-after-ms"] = String(options.retryAfterMs);
  }
  const errorShare = options.errorShare ?? 0;
  if (!(errorShare >= 0 && errorShare <= 1)) {
    throw new RangeError(`errorShare must be in [0, 1], got ${errorShare}`);
  }
  // A fixed seed: every run of the bench meets the same faults.
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  let stormUntil = -Infinity;
  checkCount("port", port, 0);
  const limit = options.rateLimit;
  if (limit !== undefined) {
    checkCount("rateLimit.requests", limit.requests, 1);
    if (!(limit.perSeconds > 0 && Number.isFinite(limit.perSeconds))) {
      throw new RangeError(
        `rateLimit.perSeconds must be > 0, got ${limit.perSeconds}`,
      );
    }
  }
  const faults: FaultState[] = (options.faults ?? []).map((fault, i) => {
    checkFault(fault, i);
    return { fault, seen: 0 };
  });

  const store = new RecordStore(records);
  const gate = new CapacityGate(capacity);
  const rate = limit === undefined
    ? undefined
    : new RateWindow(limit, options.now ?? Date.now);
  const sleep = options.sleep;
  const timers = new CalibratedTimer();
  const active = new Set<AbortController>();
  const stats: ServerStats = {
    requests: 0,
    served: 0,
    // Getters so the live object and /stats never lag the gate.
    get inFlight() {
      return gate.inFlight;
    },
    maxInFlight: 0,
    get queued() {
      return gate.queued;
    },
    connections: 0,
    byStatus: {},
    bytes: 0,
    throttled: 0,
    dropped: 0,
  };

  /** Resolves true after `ms`, or false as soon as `signal` aborts. */
  function pause(ms: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const finish = () => {
        signal.removeEventListener("abort", onAbort);
        resolve(!signal.aborted);
      };
      if (sleep === undefined) timer = timers.set(ms, finish);
      else sleep(ms).then(finish, finish);
    });
  }

  function pickFault(target: string): Fault | undefined {
    let hit: Fault | undefined;
    for (const state of faults) {
      const f = state.fault;
      if (f.path !== undefined && !target.includes(f.path)) continue;
      const n = state.seen++;
      const after = f.after ?? 0;
      if (hit === undefined && n >= after && n < after + (f.times ?? 1)) {
        hit = f;
      }
    }
    return hit;
  }

  function send(
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string>,
  ): void {
    if (res.destroyed) return;
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    stats.bytes += Buffer.byteLength(body);
    res.writeHead(status, headers);
    res.end(body);
  }

  // The answer is built before the service time elapses, so the time a
  // request holds a slot is the configured latency, not latency + encoding.
  function answer(
    url: URL,
    fault: Fault | undefined,
    extra: Record<string, string>,
  ): [number, string, Record<string, string>] {
    if (fault?.kind === "status") {
      const headers: Record<string, string> = {
        ...extra,
        "content-type": JSON_TYPE,
      };
      if (fault.retryAfter !== undefined) {
        headers["retry-after"] = fault.retryAfter;
      }
      const body = JSON.stringify({
        error: "injected fault",
        status: fault.status,
      });
      return [fault.status, body, headers];
    }
    if (fault?.kind === "html") {
      return [200, HTML_PAGE, {
        ...extra,
        "content-type": "text/html; charset=utf-8",
      }];
    }
    const reply: Reply = route(store, url);
    const body = fault?.kind === "malformed"
      ? truncate(reply.body)
      : reply.body;
    return [reply.status, body, {
      ...extra,
      ...reply.headers,
      "content-type": JSON_TYPE,
    }];
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
  ): Promise<void> {
    const ctl = new AbortController();
    active.add(ctl);
    const onClose = () => {
      // The client went away (or close() cut the socket): stop waiting for it.
      if (!res.writableFinished) ctl.abort();
    };
    res.once("close", onClose);
    let held = false;
    try {
      let extra: Record<string, string> = {};
      if (rate !== undefined) {
        const d = rate.take();
        extra = d.headers;
        if (!d.ok) {
          stats.throttled++;
          const wait = options.retryAfterSeconds === undefined
            ? String(d.resetSeconds)
            : retryAfter;
          const body = `{"error":"rate limit exceeded"}`;
          return send(res, 429, body, {
            ...extra,
            "content-type": JSON_TYPE,
            "retry-after": wait,
          });
        }
      }
      const fault = pickFault(target) ??
        (errorShare > 0 && random() < errorShare ? ERROR_503 : undefined);
      const storming = performance.now() < stormUntil;
      if (storming || !gate.tryAcquire()) {
        if (storming || overflow === "429") {
          stats.throttled++;
          const body = `{"error":"too many requests"}`;
          return send(res, 429, body, {
            ...extra,
            "content-type": JSON_TYPE,
            ...waitHeaders,
          });
        }
        if (!(await gate.acquire(ctl.signal))) return;
      }
      held = true;
      if (stats.inFlight > stats.maxInFlight) {
        stats.maxInFlight = stats.inFlight;
      }
      const url = new URL(target, `http://${req.headers.host ?? "127.0.0.1"}`);
      const reply = fault?.kind === "drop"
        ? undefined
        : answer(url, fault, extra);
      const ms = latencyMs + (fault?.kind === "slow" ? fault.ms : 0);
      if (ms > 0 && !(await pause(ms, ctl.signal))) return;
      if (fault?.kind === "drop") {
        stats.dropped++;
        req.socket.destroy();
        return;
      }
      if (res.destroyed) return;
      stats.served++;
      if (reply) send(res, ...reply);
    } finally {
      if (held) gate.release();
      res.off("close", onClose);
      active.delete(ctl);
    }
  }

  const server = createServer((req, res) => {
    const target = req.url ?? "/";
    if (target === "/stats" || target.startsWith("/stats?")) {
      res.writeHead(200, { "content-type": JSON_TYPE });
      res.end(JSON.stringify(stats));
      return;
    }
    stats.requests++;
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, `{"error":"method not allowed"}`, {
        "content-type": JSON_TYPE,
        allow: "GET, HEAD",
      });
      return;
    }
    handle(req, res, target).catch((err) => {
      if (!res.headersSent && !res.destroyed) {
        send(res, 500, JSON.stringify({ error: String(err) }), {
          "content-type": JSON_TYPE,
        });
      }
    });
  });
  server.on("connection", () => {
    stats.connections++;
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      // Wake every request still waiting (for a slot or its service time).
      for (const ctl of active) ctl.abort();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    stats,
    setCapacity(n: number): void {
      checkCount("capacity", n, 1, true);
      gate.setCapacity(n);
      if (stats.inFlight > stats.maxInFlight) {
        stats.maxInFlight = stats.inFlight;
      }
    },
    setLatency(ms: number): void {
      checkMs("latencyMs", ms);
      latencyMs = ms;
    },
    storm(ms: number): void {
      checkMs("storm", ms);
      stormUntil = performance.now() + ms;
    },
    updateRecord(id: number, patch: Record<string, unknown>): void {
      store.update(id, patch);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

const USAGE =
  "usage: api_server.ts [--port 0] [--records 10000] [--latency ms] [--capacity n] " +
  "[--overflow queue|429] [--retry-after s] [--retry-after-ms ms] [--error-share 0.1] [--rate-limit R/S] " +
  "[--rate-headers x-ratelimit|ietf|none] [--stdin]\n" +
  "  --stdin reads commands, one per line: `capacity <n>`, `latency <ms>`, `storm <ms>`, `stats` (prints the stats as JSON)";

/** Parse `R/S` (requests per seconds), e.g. `100/1`. */
function parseRate(text: string): { requests: number; perSeconds: number } {
  const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (m === null) {
    throw new RangeError(`--rate-limit must be R/S, e.g. 100/1, got "${text}"`);
  }
  return { requests: Number(m[1]), perSeconds: Number(m[2]) };
}

/** Apply one control line; answers go to stdout, one line each. */
function control(server: ApiServer, line: string): void {
  const [cmd = "", arg = ""] = line.trim().split(/\s+/);
  try {
    switch (cmd) {
      case "":
        return;
      case "capacity":
        server.setCapacity(Number(arg));
        break;
      case "latency":
        server.setLatency(Number(arg));
        break;
      case "storm":
        server.storm(Number(arg));
        break;
      case "stats":
        console.log(JSON.stringify(server.stats));
        return;
      default:
        throw new TypeError(`unknown command "${cmd}"`);
    }
    console.log("ok");
  } catch (err) {
    console.log(`error: ${err instanceof Error ? err.message : err}`);
  }
}

async function readControl(server: ApiServer): Promise<void> {
  let rest = "";
  for await (
    const chunk of Deno.stdin.readable.pipeThrough(
      new TextDecoderStream(),
    )
  ) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      control(server, rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  }
}

async function main(args: string[]): Promise<void> {
  let server: ApiServer;
  let stdin = false;
  try {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: "string", default: "0" },
        records: { type: "string", default: "10000" },
        latency: { type: "string", default: "0" },
        capacity: { type: "string", default: "Infinity" },
        overflow: { type: "string", default: "queue" },
        "retry-after": { type: "string" },
        "retry-after-ms": { type: "string" },
        "error-share": { type: "string" },
        "rate-limit": { type: "string" },
        "rate-headers": { type: "string", default: "x-ratelimit" },
        stdin: { type: "boolean", default: false },
      },
    });
    stdin = values.stdin;
    const headers = values["rate-headers"];
    if (!["x-ratelimit", "ietf", "none"].includes(headers)) {
      throw new TypeError(
        `--rate-headers must be x-ratelimit, ietf or none, got "${headers}"`,
      );
    }
    server = await startApiServer({
      port: Number(values.port),
      records: Number(values.records),
      latencyMs: Number(values.latency),
      capacity: Number(values.capacity),
      overflow: values.overflow as "queue" | "429",
      ...(values["retry-after"] !== undefined
        ? { retryAfterSeconds: Number(values["retry-after"]) }
        : {}),
      ...(values["retry-after-ms"] !== undefined
        ? { retryAfterMs: Number(values["retry-after-ms"]) }
        : {}),
      ...(values["error-share"] !== undefined
        ? { errorShare: Number(values["error-share"]) }
        : {}),
      ...(values["rate-limit"] !== undefined
        ? {
          rateLimit: {
            ...parseRate(values["rate-limit"]),
            headers: headers as RateHeaderStyle,
          },
        }
        : {}),
    });
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n${USAGE}`);
    Deno.exit(2);
  }
  console.log(server.url);
  const stop = () => {
    server.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  // End of stdin (the parent went away) stops a controlled server too.
  if (stdin) await readControl(server).finally(stop);
}

if (import.meta.main) await main(Deno.args);
