/**
 * `pull()`: one run of a connector, every selected stream into the lake.
 *
 * @module
 */

import { assertStreamFormat } from "../lake/stream_format.ts";
import { AdaptiveLimiter } from "../http/adaptive_limiter.ts";
import type { Connector } from "../connector/connector.ts";
import { ConfigError } from "../connector/errors.ts";
import { HttpClient, type HttpEvent } from "../http/http.ts";
import { FixedLimiter, type Limiter } from "../http/limiter.ts";
import { LocalStorage } from "../lake/local_storage.ts";
import { newStreamStats, type StreamStats } from "../paging/paginate.ts";
import { RateBudget } from "../http/rate_budget.ts";
import type { Storage } from "../lake/storage.ts";
import { runStream } from "./stream_run.ts";
import type { Format } from "../lake/stream_writer.ts";
import { newRunId } from "../lake/commit_log.ts";

/**
 * Options of {@linkcode pull}.
 *
 * @example
 * ```ts
 * import type { PullOptions } from "./pull.ts";
 * const options: PullOptions = { lake: "./lake", concurrency: "auto", format: "parquet" };
 * ```
 */
export interface PullOptions {
  /** The lake: a folder, or a {@linkcode Storage}. @default {"./lake"} */
  lake?: string | Storage;
  /** Streams to pull. @default every stream */
  streams?: readonly string[];
  /** Requests in flight per host: a number pins it, `"auto"` finds the source's limit. @default {"auto"} */
  concurrency?: number | "auto";
  /** Ceiling of adaptive concurrency. @default {256} */
  maxConcurrency?: number;
  /** Records per stream at most (exactly this many when the source has more). */
  limit?: number;
  /** File format. @default {"parquet"} */
  format?: Format;
  /** Compression of NDJSON files. @default {"zstd"} */
  compression?: "zstd" | "gzip";
  /** Records per file; each full file is committed (a checkpoint). @default {500000} */
  fileRecords?: number;
  /** Milliseconds between checkpoints at most. @default {60000} */
  checkpointMs?: number;
  /** Values of the connector's options (`--repo a/b --repo c/d`). */
  options?: Record<string, readonly string[]>;
  /** Where an incremental stream's first sweep starts. */
  since?: string;
  /** Ignore stored state and replace each stream's data with a new full sweep. */
  fullRefresh?: boolean;
  /** Replace the connector's base URL (a staging host, a local test server). */
  baseUrl?: string;
  /** Where secrets come from. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
  /** The fetch implementation. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds. @default {30000} */
  timeoutMs?: number;
  /** Abort at once: nothing more is committed. */
  signal?: AbortSignal;
  /** Stop gracefully: no new request; pages in flight land and are committed. */
  stop?: AbortSignal;
  /** The run's id (sortable, unique). @default a UTC timestamp plus random hex */
  runId?: string;
  /** Receives live counters as soon as the run starts. */
  monitor?: (run: RunMonitor) => void;
  /** Receives the run's events: start, retries, throttles, limit changes, commits, errors, end. */
  onEvent?: (event: RunEvent) => void;
  /** Pull only shard `index` of `count` (`--shard 2/3`): its lanes, with its own state. */
  shard?: { index: number; count: number };
}

/**
 * An event of a run, as `--log-format json` prints it (one per line).
 *
 * @example
 * ```ts
 * import type { RunEvent } from "./pull.ts";
 * const line = (e: RunEvent) => JSON.stringify(e);
 * ```
 */
export type RunEvent =
  | HttpEvent
  | {
    type: "run_start";
    runId: string;
    connector: string;
    streams: string[];
    lake: string;
  }
  | { type: "limit"; host: string; limit: number }
  | {
    type: "commit";
    stream: string;
    version: number;
    files: number;
    records: number;
    sweep: string;
  }
  | { type: "stream_error"; stream: string; error: string }
  | { type: "run_end"; summary: RunSummary };

/**
 * Live view of a run, for progress lines.
 *
 * @example
 * ```ts
 * import type { RunMonitor } from "./pull.ts";
 * function inFlight(run: RunMonitor): number {
 *   return [...run.streams.values()].reduce((n, s) => n + s.inFlight, 0);
 * }
 * ```
 */
export interface RunMonitor {
  /** The run id. */
  runId: string;
  /** Counters per stream name. */
  streams: Map<string, StreamStats>;
  /** The concurrency limit in force per host. */
  limits(): Record<string, number>;
  /** Limit changes over time per host (adaptive only). */
  traces(): Record<string, Array<{ atMs: number; limit: number }>>;
}

/** What one stream did in a run. */
export interface StreamSummary {
  /** Stream name. */
  stream: string;
  /** Records written and committed (a failed stream's too: what it kept). */
  records: number;
  /** Pages fetched. */
  pages: number;
  /** HTTP requests sent (retries included). */
  requests: number;
  /** Retries. */
  retries: number;
  /** 429 answers. */
  throttled: number;
  /** Bytes received. */
  bytes: number;
  /** Bytes written to the lake. */
  bytesWritten: number;
  /** Files committed. */
  files: number;
  /** Wall time in milliseconds. */
  durationMs: number;
  /** Most requests in flight at once (sampled). */
  maxInFlight: number;
  /** The sweep finished (false: stopped, limited or failed; the next run continues). */
  complete: boolean;
  /** The error that stopped the stream, if any. */
  error?: string;
  /** What went wrong without failing the stream (a total that said more than the source held). */
  warnings?: string[];
}

/**
 * What a run did; written to `<lake>/<connector>/_runs/<run-id>.json`.
 *
 * @example
 * ```ts
 * import type { RunSummary } from "./pull.ts";
 * const ok = (s: RunSummary) => s.status === "ok";
 * ```
 */
export interface RunSummary {
  /** Run id. */
  runId: string;
  /** Connector name. */
  connector: string;
  /** `ok`, `failed`, or `stopped` (a graceful stop: the next run continues). */
  status: "ok" | "failed" | "stopped";
  /** ISO start time. */
  startedAt: string;
  /** Wall time in milliseconds. */
  durationMs: number;
  /** Totals over streams. */
  records: number;
  /** Pages over streams. */
  pages: number;
  /** Requests over streams. */
  requests: number;
  /** Retries over streams. */
  retries: number;
  /** Bytes received over streams. */
  bytes: number;
  /** The concurrency in force at the end, per host. */
  limits: Record<string, number>;
  /** Limit changes over time, per host (adaptive only; bounded). */
  limitTrace: Record<string, Array<{ atMs: number; limit: number }>>;
  /** Per stream. */
  streams: StreamSummary[];
  /** Error messages, one per failed stream. */
  errors: string[];
  /** Warnings over streams: the run succeeded, but look at these. */
  warnings: string[];
}

/**
 * Open a lake by its name: a folder, or `s3://bucket/prefix` (endpoint from
 * `INLET_S3_ENDPOINT`, credentials from the standard `AWS_*` variables).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openLake } from "./pull.ts";
 * const dir = await Deno.makeTempDir();
 * const lake = await openLake(dir);
 * assert(lake.root === dir);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openLake(
  lake: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Promise<Storage> {
  if (lake.startsWith("s3://")) {
    const { S3Storage } = await import("../lake/s3_storage.ts");
    return S3Storage.fromUrl(lake, { env });
  }
  return new LocalStorage(lake);
}

/** Read the auth secret and turn it into headers or query parameters. */
function authParts(
  c: Connector,
  env: (name: string) => string | undefined,
): {
  headers: Record<string, string>;
  params: Record<string, string>;
  secrets: string[];
} {
  const auth = c.auth;
  if (auth.type === "none") return { headers: {}, params: {}, secrets: [] };
  const value = env(auth.env);
  if (value === undefined || value === "") {
    if (auth.optional) return { headers: {}, params: {}, secrets: [] };
    throw new ConfigError(
      `connector "${c.name}": environment variable ${auth.env} is not set (it holds the ${auth.type} credential)`,
    );
  }
  switch (auth.type) {
    case "bearer":
      return {
        headers: { authorization: `Bearer ${value}` },
        params: {},
        secrets: [value],
      };
    case "header":
      return { headers: { [auth.name]: value }, params: {}, secrets: [value] };
    case "query":
      return { headers: {}, params: { [auth.name]: value }, secrets: [value] };
  }
}

/**
 * Pull a connector's streams into the lake. Streams run concurrently and share
 * the per-host concurrency limit and rate budget. Each full file is committed
 * with the stream's state; a failed stream keeps what it committed and
 * leaves no partial file visible.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pull } from "./pull.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { offsetPaginator } from "../paging/paginators.ts";
 * import { startApiServer } from "../testing/api_server.ts";
 *
 * const server = await startApiServer({ records: 200 });
 * const lake = await Deno.makeTempDir();
 * try {
 *   const demo = defineConnector({
 *     name: "demo",
 *     baseUrl: server.url,
 *     streams: {
 *       items: {
 *         path: "/offset/items",
 *         params: { limit: 50 },
 *         recordsPath: "items",
 *         primaryKey: "id",
 *         paginator: offsetPaginator({ limit: 50, totalPath: "total" }),
 *       },
 *     },
 *   });
 *   const summary = await pull(demo, { lake });
 *   assert(summary.records === 200 && summary.status === "ok");
 * } finally {
 *   await server.close();
 *   await Deno.remove(lake, { recursive: true });
 * }
 * ```
 */
export async function pull(
  connector: Connector,
  options: PullOptions = {},
): Promise<RunSummary> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const runId = options.runId ?? newRunId();
  const storage = typeof options.lake === "object"
    ? options.lake
    : await openLake(options.lake ?? "./lake", options.env);
  const names = options.streams ?? Object.keys(connector.streams);
  for (const n of names) {
    if (!connector.streams[n]) {
      throw new ConfigError(
        `connector "${connector.name}" has no stream "${n}"; its streams: ${
          Object.keys(connector.streams).join(", ")
        }`,
      );
    }
  }
  for (const n of names) {
    await assertStreamFormat(
      storage,
      connector.name,
      n,
      options.format ?? "parquet",
      options.fullRefresh ?? false,
    );
  }
  const concurrency = options.concurrency ?? "auto";
  const maxConcurrency = options.maxConcurrency ?? 256;
  if (
    concurrency !== "auto" &&
    !(Number.isInteger(concurrency) && concurrency >= 1)
  ) {
    throw new RangeError(
      `concurrency must be a whole number >= 1 or "auto", got ${concurrency}`,
    );
  }
  if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
    throw new RangeError(
      `maxConcurrency must be a whole number >= 1, got ${maxConcurrency}`,
    );
  }
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const auth = authParts(connector, env);

  const limiters = new Map<string, Limiter>();
  const limiterFor = (host: string): Limiter => {
    let l = limiters.get(host);
    if (!l) {
      l = concurrency === "auto"
        ? new AdaptiveLimiter({ max: maxConcurrency })
        : new FixedLimiter(concurrency);
      l.onChange = (limit) => emit({ type: "limit", host, limit });
      limiters.set(host, l);
    }
    return l;
  };
  const budgets = new Map<string, RateBudget>();
  const budgetFor = (host: string): RateBudget => {
    let b = budgets.get(host);
    if (!b) {
      b = new RateBudget(
        connector.rateLimit ? { limit: connector.rateLimit } : {},
      );
      budgets.set(host, b);
    }
    return b;
  };
  const emit = options.onEvent ?? (() => {});
  const http = new HttpClient({
    limiter: limiterFor,
    rateBudget: budgetFor,
    headers: {
      accept: "application/json",
      ...connector.headers,
      ...auth.headers,
    },
    secrets: auth.secrets,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs !== undefined
      ? { timeoutMs: options.timeoutMs }
      : {}),
    onEvent: emit,
  });

  const statsByStream = new Map<string, StreamStats>(
    names.map((n) => [n, newStreamStats()]),
  );
  const limits = () =>
    Object.fromEntries([...limiters].map(([h, l]) => [h, l.limit]));
  const traces = () =>
    Object.fromEntries(
      [...limiters].flatMap(([h, l]) =>
        l instanceof AdaptiveLimiter ? [[h, l.trace()]] : []
      ),
    );
  options.monitor?.({ runId, streams: statsByStream, limits, traces });
  emit({
    type: "run_start",
    runId,
    connector: connector.name,
    streams: [...names],
    lake: storage.root,
  });

  // The limiter caps what flies; the pool keeps the next pages queued at it,
  // so a freed slot is refilled at once instead of after the page is parsed.
  const poolWidth = concurrency === "auto" ? maxConcurrency : concurrency * 2;
  const streamSummaries = await Promise.all(
    names.map(async (name): Promise<StreamSummary> => {
      const t0 = performance.now();
      const stats = statsByStream.get(name)!;
      const id = `${connector.name}/${name}`;
      let error: string | undefined;
      let result = { records: 0, bytes: 0, files: 0, complete: false };
      // What the stream committed, kept current: a failed stream reports it.
      const committed = { records: 0, bytes: 0, files: 0 };
      try {
        result = await runStream({
          connector,
          name,
          siblings: names,
          storage,
          runId,
          http,
          baseUrl: options.baseUrl ?? connector.baseUrl,
          authParams: auth.params,
          stats,
          poolWidth,
          // Range partitions split until there is more work than the limit lets fly.
          targetLanes: () => {
            const l = Math.max(
              1,
              ...[...limiters.values()].map((x) => x.limit),
            );
            return Math.ceil(l * 1.25) + 2;
          },
          format: options.format ?? "parquet",
          ...(options.compression ? { compression: options.compression } : {}),
          ...(options.fileRecords !== undefined
            ? { fileRecords: options.fileRecords }
            : {}),
          ...(options.checkpointMs !== undefined
            ? { checkpointMs: options.checkpointMs }
            : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.since !== undefined ? { since: options.since } : {}),
          ...(options.fullRefresh ? { fullRefresh: true } : {}),
          ...(options.options ? { options: options.options } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.stop ? { stop: options.stop } : {}),
          ...(options.shard
            ? { shard: { ...options.shard, streamIndex: names.indexOf(name) } }
            : {}),
          onCommit: (e) => emit({ type: "commit", ...e }),
          committed,
        });
      } catch (err) {
        result = { ...committed, complete: false };
        // stats.errors counts failed requests (the HTTP client's); the
        // stream's failure is its error message.
        error = err instanceof Error ? err.message : String(err);
        if (!error.includes(`"${id}"`)) error = `"${id}": ${error}`;
        emit({ type: "stream_error", stream: id, error });
      }
      return {
        stream: name,
        records: result.records,
        pages: stats.pages,
        requests: stats.requests,
        retries: stats.retries,
        throttled: stats.throttled,
        bytes: stats.bytes,
        bytesWritten: result.bytes,
        files: result.files,
        durationMs: Math.round(performance.now() - t0),
        maxInFlight: stats.maxInFlight,
        complete: result.complete,
        ...(error !== undefined ? { error } : {}),
        ...(stats.warnings?.length ? { warnings: [...stats.warnings] } : {}),
      };
    }),
  );

  const errors = streamSummaries.flatMap((s) =>
    s.error !== undefined ? [s.error] : []
  );
  const sum = (k: "records" | "pages" | "requests" | "retries" | "bytes") =>
    streamSummaries.reduce((n, s) => n + s[k], 0);
  const summary: RunSummary = {
    runId,
    connector: connector.name,
    status: errors.length ? "failed" : options.stop?.aborted ? "stopped" : "ok",
    startedAt,
    durationMs: Math.round(performance.now() - started),
    records: sum("records"),
    pages: sum("pages"),
    requests: sum("requests"),
    retries: sum("retries"),
    bytes: sum("bytes"),
    limits: limits(),
    limitTrace: traces(),
    streams: streamSummaries,
    errors,
    warnings: streamSummaries.flatMap((s) => s.warnings ?? []),
  };
  await storage.put(
    `${connector.name}/_runs/${runId}.json`,
    new TextEncoder().encode(JSON.stringify(summary, null, 2) + "\n"),
  );
  emit({ type: "run_end", summary });
  return summary;
}
