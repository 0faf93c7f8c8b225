/**
 * The connector kit: what a connector author needs to test a connector
 * offline. Serve recorded responses on 127.0.0.1 ({@linkcode startRecordedServer}),
 * record them once from the real API ({@linkcode recordFetch}), run a pull into
 * a temporary lake and read it back with DuckDB ({@linkcode pullForTest}),
 * check the records ({@linkcode assertRecords}) and that a paginator of your
 * own keeps the paging contract ({@linkcode assertPaginator}).
 *
 * ```ts ignore
 * import myapi from "../../connectors/myapi.ts";
 * import { assertRecords, pullForTest, startRecordedServer } from "./kit.ts";
 *
 * Deno.test("myapi: pulls every item", async () => {
 *   await using server = startRecordedServer([
 *     { path: "/items", query: { offset: "0" }, body: { items: [{ id: 1 }], total: 1 } },
 *   ]);
 *   await using run = await pullForTest(myapi, { baseUrl: server.url });
 *   assertRecords(run.rows.items, { count: 1, uniqueKey: "id" });
 * });
 * ```
 *
 * @module
 */

import { AssertionError } from "node:assert";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Connector } from "../connector/connector.ts";
import { pull, type PullOptions, type RunSummary } from "../run/pull.ts";
import type { Row } from "../connector/types.ts";
import { readableFiles, snapshotSelect } from "../lake/lake_reader.ts";
import { LocalStorage } from "../lake/local_storage.ts";
import { json, type LocalServer, serveLocal } from "./_serve.ts";

export { assertPaginator } from "./paginator_contract.ts";

/**
 * One recorded exchange: the request it answers and the response.
 *
 * In `body` (string values, deep) and `headers`, `{{baseUrl}}` stands for
 * the recorded server's URL, so next-page URLs and `Link` headers lead back
 * to it.
 *
 * @example
 * ```ts
 * import type { Recording } from "./kit.ts";
 * const page: Recording = {
 *   path: "/items",
 *   query: { page: "2" },
 *   headers: { link: '<{{baseUrl}}/items?page=3>; rel="next"' },
 *   body: [{ id: 3 }, { id: 4 }],
 * };
 * ```
 */
export interface Recording {
  /** HTTP method. @default {"GET"} */
  method?: string;
  /** The path, without the query string (`/v1/items`). */
  path: string;
  /**
   * Query parameters the request must carry with these values. Others are
   * ignored (an auth key, say); when several recordings match, the one
   * naming the most parameters wins. @default {{}}
   */
  query?: Record<string, string>;
  /** Response status. @default {200} */
  status?: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** The response body: JSON, or a string sent as is. */
  body: unknown;
}

/**
 * A running recorded server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startRecordedServer } from "./kit.ts";
 * await using server = startRecordedServer([{ path: "/a", body: { ok: true } }]);
 * await (await fetch(`${server.url}/b`)).body?.cancel();
 * assert.deepEqual(server.unmatched, ["GET /b"]);
 * ```
 */
export interface RecordedServer extends LocalServer {
  /** Requests no recording matched (answered 404), as `"METHOD /path?query"`. */
  readonly unmatched: string[];
}

function fill(value: unknown, baseUrl: string): unknown {
  if (typeof value === "string") {
    return value.replaceAll("{{baseUrl}}", baseUrl);
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, baseUrl));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fill(v, baseUrl)]),
    );
  }
  return value;
}

function checkRecording(r: Recording, i: number): void {
  const at = `recordings[${i}]`;
  if (typeof r !== "object" || r === null) {
    throw new TypeError(`${at} must be an object`);
  }
  if (typeof r.path !== "string" || !r.path.startsWith("/")) {
    throw new TypeError(
      `${at}.path must start with "/", got ${JSON.stringify(r.path)}`,
    );
  }
  if (r.path.includes("?")) {
    throw new TypeError(
      `${at}.path must not hold the query string: put it in ${at}.query`,
    );
  }
  if (
    r.status !== undefined &&
    !(Number.isInteger(r.status) && r.status >= 100 && r.status <= 599)
  ) {
    throw new RangeError(
      `${at}.status must be an HTTP status, got ${r.status}`,
    );
  }
  if (!("body" in r)) throw new TypeError(`${at}.body is required`);
}

/**
 * Serve recorded responses on 127.0.0.1 (a free port): each request gets the
 * recording with its method and path whose `query` it carries (the most
 * specific one); anything else gets 404 and is listed in `unmatched`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startRecordedServer } from "./kit.ts";
 * const server = startRecordedServer([
 *   { path: "/items", body: { items: [{ id: 1 }], next: "{{baseUrl}}/items?page=2" } },
 *   { path: "/items", query: { page: "2" }, body: { items: [{ id: 2 }], next: null } },
 * ]);
 * try {
 *   const first = await (await fetch(`${server.url}/items`)).json();
 *   const second = await (await fetch(first.next)).json();
 *   assert.deepEqual(second.items, [{ id: 2 }]);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export function startRecordedServer(
  recordings: readonly Recording[],
): RecordedServer {
  if (!Array.isArray(recordings)) {
    throw new TypeError("recordings must be an array");
  }
  recordings.forEach(checkRecording);
  const unmatched: string[] = [];
  let baseUrl = "";
  const server = serveLocal((req, url) => {
    let best: Recording | undefined;
    let score = -1;
    for (const r of recordings) {
      if (
        (r.method ?? "GET").toUpperCase() !== req.method ||
        r.path !== url.pathname
      ) continue;
      const q = Object.entries(r.query ?? {});
      if (
        q.every(([k, v]) => url.searchParams.get(k) === v) && q.length > score
      ) {
        best = r;
        score = q.length;
      }
    }
    if (best === undefined) {
      const what = `${req.method} ${url.pathname}${url.search}`;
      unmatched.push(what);
      return json(404, { error: `no recording for ${what}` });
    }
    const headers = fill(best.headers ?? {}, baseUrl) as Record<string, string>;
    const body = fill(best.body, baseUrl);
    if (typeof body === "string") {
      return new Response(body, { status: best.status ?? 200, headers });
    }
    return json(best.status ?? 200, body, headers);
  });
  baseUrl = server.url;
  return { ...server, unmatched };
}

/**
 * Options of {@linkcode recordFetch}.
 *
 * @example
 * ```ts
 * import type { RecordFetchOptions } from "./kit.ts";
 * const options: RecordFetchOptions = { omitParams: ["api_key"], keepHeaders: ["link"] };
 * ```
 */
export interface RecordFetchOptions {
  /** The fetch that really goes out. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** Query parameters left out of the recordings (keys, tokens). @default {[]} */
  omitParams?: readonly string[];
  /**
   * Response headers kept (lowercase). Others are dropped, so cookies and
   * request ids never land in a test file.
   * @default {["link", "x-total-count", "content-type"]}
   */
  keepHeaders?: readonly string[];
}

/**
 * Record what a pull fetches, to replay it later with
 * {@linkcode startRecordedServer}. Pass `recorder.fetch` as `pull()`'s
 * `fetch` (once, against the real API), then save `recorder.recordings` as
 * JSON beside the test. The origin of every fetched URL is replaced by
 * `{{baseUrl}}` in bodies and headers. Request headers (where tokens live)
 * are never recorded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordFetch, startRecordedServer } from "./kit.ts";
 * await using real = startRecordedServer([
 *   { path: "/x", query: { key: "secret" }, body: { next: "{{baseUrl}}/x?page=2" } },
 * ]);
 * const recorder = recordFetch({ omitParams: ["key"] });
 * await (await recorder.fetch(`${real.url}/x?key=secret`)).json();
 * assert.deepEqual(recorder.recordings, [
 *   { method: "GET", path: "/x", query: {}, status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body: { next: "{{baseUrl}}/x?page=2" } },
 * ]);
 * ```
 */
export function recordFetch(
  options: RecordFetchOptions = {},
): { fetch: typeof fetch; recordings: Recording[] } {
  const inner = options.fetch ?? globalThis.fetch;
  const omit = new Set(options.omitParams ?? []);
  const keep = new Set(
    options.keepHeaders ?? ["link", "x-total-count", "content-type"],
  );
  const recordings: Recording[] = [];
  const wrapped = async (
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> => {
    const req = new Request(input, init);
    const res = await inner(req);
    const url = new URL(req.url);
    const text = await res.text();
    const swap = (s: string) => s.replaceAll(url.origin, "{{baseUrl}}");
    let body: unknown;
    try {
      body = JSON.parse(swap(text));
    } catch {
      body = swap(text);
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (keep.has(k)) headers[k] = swap(v);
    });
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!omit.has(k)) query[k] = v;
    recordings.push({
      method: req.method,
      path: url.pathname,
      query,
      status: res.status,
      headers,
      body,
    });
    return new Response(text, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
  return { fetch: wrapped as typeof fetch, recordings };
}

/**
 * Options of {@linkcode pullForTest}.
 *
 * @example
 * ```ts
 * import type { PullForTestOptions } from "./kit.ts";
 * const options: PullForTestOptions = {
 *   baseUrl: "http://127.0.0.1:8080",
 *   options: { repo: ["octo/hello"] },
 *   env: { GITHUB_TOKEN: "ghp_test" },
 * };
 * ```
 */
export interface PullForTestOptions {
  /** The test server's base URL (replaces the connector's). */
  baseUrl: string;
  /** Values of the connector's options (`{ repo: ["a/b", "c/d"] }`). */
  options?: Record<string, string | readonly string[]>;
  /** Records per stream at most. */
  limit?: number;
  /** Streams to pull. @default every stream */
  streams?: readonly string[];
  /**
   * The environment the connector sees (its secrets). The real environment
   * is never read, so a developer's own tokens never reach a test.
   * @default {{}}
   */
  env?: Record<string, string>;
  /** Requests in flight per host. @default {4} */
  concurrency?: number | "auto";
  /** File format. @default {"parquet"} */
  format?: "parquet" | "ndjson";
  /** Anything else `pull()` takes. */
  pull?: Partial<PullOptions>;
}

/**
 * What {@linkcode pullForTest} gives back. Dispose it (or call `cleanup()`)
 * to remove the lake.
 *
 * @example
 * ```ts
 * import type { TestPull } from "./kit.ts";
 * const count = (run: TestPull, stream: string) => run.rows[stream]?.length ?? 0;
 * ```
 */
export interface TestPull extends AsyncDisposable {
  /** The run summary `pull()` returned. */
  summary: RunSummary;
  /** Every committed record per stream, read back by DuckDB from the lake. */
  rows: Record<string, Row[]>;
  /** DuckDB's column types per stream (`{ id: "BIGINT", ... }`). */
  types: Record<string, Record<string, string>>;
  /** The temporary lake folder. */
  lake: string;
  /** Remove the lake. */
  cleanup(): Promise<void>;
}

/** Run one SQL statement in a fresh in-memory DuckDB and return its rows. */
async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<
      string,
      unknown
    >[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

// DuckDB hands BIGINTs back as bigint; tests compare with numbers.
function plain(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) &&
        value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  }
  if (Array.isArray(value)) return value.map(plain);
  // A struct column's value: its fields as the columns' are.
  if (
    typeof value === "object" && value !== null &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const fields = Object.entries(value as Record<string, unknown>);
    return Object.fromEntries(fields.map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * Read a stream back with DuckDB: the rows of its Iceberg table's current
 * snapshot (position deletes applied) and of its NDJSON archive, and the
 * column types. A stream with no file has no rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readStream } from "./kit.ts";
 * const lake = await Deno.makeTempDir();
 * try {
 *   assert.deepEqual(await readStream(lake, "nothing", "here"), { rows: [], types: {} });
 * } finally {
 *   await Deno.remove(lake, { recursive: true });
 * }
 * ```
 */
export async function readStream(
  lake: string,
  connector: string,
  stream: string,
): Promise<{ rows: Row[]; types: Record<string, string> }> {
  // The stream's table as it stands (position deletes applied), and its
  // NDJSON archive files.
  const found = await readableFiles(
    new LocalStorage(lake),
    `${connector}/${stream}`,
  );
  const at = (f: string) => `${lake}/${f}`;
  const sources = [
    ...(found.data.length > 0
      ? [
        snapshotSelect(found.data.map(at), [], "append", {
          files: found.deletes.map(at),
          uris: found.uris,
        }),
      ]
      : []),
    ...(found.archive.length > 0
      ? [snapshotSelect(found.archive.map(at), [], "append")]
      : []),
  ];
  if (sources.length === 0) return { rows: [], types: {} };
  const from = sources.join(" UNION ALL BY NAME ");
  const described = await duck(`DESCRIBE ${from}`);
  const types = Object.fromEntries(
    described.map((c) => [String(c.column_name), String(c.column_type)]),
  );
  const rows = (await duck(from)).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)]))
  );
  return { rows, types };
}

/**
 * Pull `connector` from a test server into a fresh temporary lake and read
 * every stream back with DuckDB. The lake is removed on `cleanup()` (or
 * when the result is disposed); if the pull throws, at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineConnector } from "../connector/connector.ts";
 * import { offsetPaginator } from "../paging/paginators.ts";
 * import { pullForTest, startRecordedServer } from "./kit.ts";
 *
 * const shop = defineConnector({
 *   name: "shop",
 *   baseUrl: "https://shop.example.com/api",
 *   streams: {
 *     orders: {
 *       path: "/orders",
 *       recordsPath: "orders",
 *       primaryKey: "id",
 *       paginator: offsetPaginator({ limit: 2, totalPath: "total" }),
 *     },
 *   },
 * });
 * await using server = startRecordedServer([
 *   { path: "/orders", query: { offset: "0" }, body: { orders: [{ id: 1 }, { id: 2 }], total: 3 } },
 *   { path: "/orders", query: { offset: "2" }, body: { orders: [{ id: 3 }], total: 3 } },
 * ]);
 * await using run = await pullForTest(shop, { baseUrl: server.url });
 * assert.equal(run.summary.status, "ok");
 * assert.deepEqual(run.rows.orders?.map((r) => r.id).sort(), [1, 2, 3]);
 * ```
 */
export async function pullForTest(
  connector: Connector,
  options: PullForTestOptions,
): Promise<TestPull> {
  const lake = await Deno.makeTempDir({ prefix: `inlet-${connector.name}-` });
  const cleanup = () => Deno.remove(lake, { recursive: true }).catch(() => {});
  try {
    const env = options.env ?? {};
    const values = Object.fromEntries(
      Object.entries(options.options ?? {}).map((
        [k, v],
      ) => [k, typeof v === "string" ? [v] : [...v]]),
    );
    const pullOptions: PullOptions = {
      ...options.pull,
      lake,
      baseUrl: options.baseUrl,
      concurrency: options.concurrency ?? 4,
      format: options.format ?? "parquet",
      env: (name: string) => env[name],
      ...(options.options ? { options: values } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.streams ? { streams: options.streams } : {}),
    };
    const summary = await pull(connector, pullOptions);
    const rows: Record<string, Row[]> = {};
    const types: Record<string, Record<string, string>> = {};
    for (const s of options.streams ?? Object.keys(connector.streams)) {
      const read = await readStream(lake, connector.name, s);
      rows[s] = read.rows;
      types[s] = read.types;
    }
    return {
      summary,
      rows,
      types,
      lake,
      cleanup,
      [Symbol.asyncDispose]: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * What {@linkcode assertRecords} checks; every check is optional.
 *
 * @example
 * ```ts
 * import type { RecordChecks } from "./kit.ts";
 * const checks: RecordChecks = { count: 151, uniqueKey: "id", required: ["name"], types: { id: "number" } };
 * ```
 */
export interface RecordChecks {
  /** Exactly this many records. */
  count?: number;
  /** At least this many records. */
  minCount?: number;
  /** These field(s) identify a record: no two records share them, none is missing. */
  uniqueKey?: string | readonly string[];
  /** Fields every record has, not null. */
  required?: readonly string[];
  /**
   * The JavaScript type of each field's non-null values: `"number"`,
   * `"string"`, `"boolean"`, `"bigint"`, `"date"`, `"array"`, `"object"`.
   */
  types?: Record<
    string,
    "number" | "string" | "boolean" | "bigint" | "date" | "array" | "object"
  >;
}

function kindOf(v: unknown): string {
  if (v instanceof Date) return "date";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Check records (as {@linkcode pullForTest} reads them): count, unique keys,
 * required fields, stable types. Throws an `AssertionError` naming the first
 * record at fault.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertRecords } from "./kit.ts";
 * const rows = [{ id: 1, name: "a" }, { id: 2, name: "b" }];
 * assertRecords(rows, { count: 2, uniqueKey: "id", required: ["name"], types: { id: "number" } });
 * assert.throws(() => assertRecords([...rows, { id: 1, name: "c" }], { uniqueKey: "id" }), /duplicate key/);
 * ```
 */
export function assertRecords(
  rows: readonly Row[] | undefined,
  checks: RecordChecks,
): void {
  const fail = (message: string): never => {
    throw new AssertionError({ message });
  };
  if (!Array.isArray(rows)) {
    return fail(`expected a list of records, got ${typeof rows}`);
  }
  if (checks.count !== undefined && rows.length !== checks.count) {
    fail(`expected ${checks.count} records, got ${rows.length}`);
  }
  if (checks.minCount !== undefined && rows.length < checks.minCount) {
    fail(`expected at least ${checks.minCount} records, got ${rows.length}`);
  }
  if (checks.uniqueKey !== undefined) {
    const fields = typeof checks.uniqueKey === "string"
      ? [checks.uniqueKey]
      : [...checks.uniqueKey];
    const seen = new Map<string, number>();
    rows.forEach((r, i) => {
      const values = fields.map((f) => r[f]);
      if (values.some((v) => v === undefined || v === null)) {
        fail(
          `record ${i} has no key ${fields.join(", ")}: ${
            JSON.stringify(r).slice(0, 200)
          }`,
        );
      }
      const key = JSON.stringify(
        values.map((v) => v instanceof Date ? v.toISOString() : String(v)),
      );
      const first = seen.get(key);
      if (first !== undefined) {
        fail(
          `duplicate key (${
            fields.join(", ")
          }) = ${key} in records ${first} and ${i}`,
        );
      }
      seen.set(key, i);
    });
  }
  for (const f of checks.required ?? []) {
    const i = rows.findIndex((r) => r[f] === undefined || r[f] === null);
    if (i >= 0) fail(`record ${i} lacks required field "${f}"`);
  }
  for (const [f, want] of Object.entries(checks.types ?? {})) {
    const i = rows.findIndex((r) =>
      r[f] !== undefined && r[f] !== null && kindOf(r[f]) !== want
    );
    if (i >= 0) {
      fail(
        `record ${i}: field "${f}" is ${kindOf(rows[i]![f])}, expected ${want}`,
      );
    }
  }
}
