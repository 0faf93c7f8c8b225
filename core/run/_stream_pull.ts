/**
 * One stream's part of a run: its {@linkcode runStream} with the run's
 * shared client and options, and its summary, failed or not.
 *
 * @module
 */

import type { Connector } from "../connector/connector.ts";
import type { HttpClient } from "../http/http.ts";
import type { Limiter } from "../http/limiter.ts";
import type { Storage } from "../lake/storage.ts";
import type { StreamStats } from "../paging/paginate.ts";
import { runStream } from "./stream_run.ts";
import type { StreamRunOptions } from "./stream_run_options.ts";
import type { PullOptions } from "./pull_options.ts";
import type { RunEvent } from "./run_event.ts";
import type { StreamSummary } from "./run_summary.ts";

/** What the streams of a run share. */
export interface PullRun {
  /** The connector. */
  connector: Connector;
  /** The run's options. */
  options: PullOptions;
  /** The streams the run pulls. */
  names: readonly string[];
  /** The lake. */
  storage: Storage;
  /** The run's id. */
  runId: string;
  /** The shared client. */
  http: HttpClient;
  /** Its limiters by host. */
  limiters: Map<string, Limiter>;
  /** Query parameters of the credential. */
  authParams: Record<string, string>;
  /** Pages in flight per stream at most; read as it changes. */
  poolWidth: number | (() => number);
  /** Where the run's events go. */
  emit: (event: RunEvent) => void;
}

/**
 * Pull one stream of a run; a failure is its summary's `error` (what the
 * stream committed stays, and is reported).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullStream } from "./_stream_pull.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { newStreamStats } from "../paging/paginate.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 *
 * const connector = defineConnector({
 *   name: "t",
 *   baseUrl: "http://127.0.0.1",
 *   streams: {
 *     items: { path: "/x", primaryKey: "id", paginator: singlePaginator() },
 *   },
 * });
 * const run = {
 *   connector,
 *   options: {},
 *   names: ["missing"],
 *   storage: new LocalStorage("unused"),
 *   runId: "20260101T000000Z-000001",
 *   http: new HttpClient(),
 *   limiters: new Map(),
 *   authParams: {},
 *   poolWidth: 1,
 *   emit: () => {},
 * };
 * const s = await pullStream(run, "missing", newStreamStats());
 * assert(s.error?.includes("has no stream") && !s.complete);
 * ```
 */
export async function pullStream(
  run: PullRun,
  name: string,
  stats: StreamStats,
): Promise<StreamSummary> {
  const t0 = performance.now();
  const id = `${run.connector.name}/${name}`;
  let error: string | undefined;
  let result = { records: 0, bytes: 0, files: 0, complete: false };
  // What the stream committed, kept current: a failed stream reports it.
  const committed = { records: 0, bytes: 0, files: 0 };
  try {
    result = await runStream(streamRunOptions(run, name, stats, committed));
  } catch (err) {
    result = { ...committed, complete: false };
    // stats.errors counts failed requests (the HTTP client's); the
    // stream's failure is its error message.
    error = err instanceof Error ? err.message : String(err);
    if (!error.includes(`"${id}"`)) error = `"${id}": ${error}`;
    run.emit({ type: "stream_error", stream: id, error });
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
}

/** The options of the stream's run: the run's, for this stream. */
function streamRunOptions(
  run: PullRun,
  name: string,
  stats: StreamStats,
  committed: { records: number; bytes: number; files: number },
): StreamRunOptions {
  const { connector, options, names, limiters, emit } = run;
  return {
    connector,
    name,
    siblings: names,
    storage: run.storage,
    runId: run.runId,
    http: run.http,
    baseUrl: options.baseUrl ?? connector.baseUrl,
    authParams: run.authParams,
    stats,
    poolWidth: run.poolWidth,
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
    ...(options.strict ? { strict: true } : {}),
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
  };
}
