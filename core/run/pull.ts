/**
 * `pull()`: one run of a connector, every selected stream into the lake.
 *
 * @module
 */

import { assertStreamFormat } from "../lake/stream_format.ts";
import { AdaptiveLimiter } from "../http/adaptive_limiter.ts";
import type { Connector } from "../connector/connector.ts";
import { ConfigError } from "../connector/errors.ts";
import type { Limiter } from "../http/limiter.ts";
import { useHttp1Agent } from "../http/use_http1_agent.ts";
import { Http1Agent } from "../http/http1_agent.ts";
import { newStreamStats, type StreamStats } from "../paging/paginate.ts";
import type { Storage } from "../lake/storage.ts";
import { newRunId } from "../lake/stream_table.ts";
import { holdEncoderThreads } from "../lake/parquet_writer.ts";
import { authParts } from "./_auth_parts.ts";
import { concurrencyOf, poolWidthOf, runHttp } from "./_run_http.ts";
import { pullStream } from "./_stream_pull.ts";
import { openLake } from "./open_lake.ts";
import type { PullOptions } from "./pull_options.ts";
import type { RunEvent } from "./run_event.ts";
import type { RunMonitor } from "./run_monitor.ts";
import type { RunSummary, StreamSummary } from "./run_summary.ts";

export { openLake };
export type { PullOptions, RunEvent, RunMonitor, RunSummary, StreamSummary };

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
  await checkStreams(connector, options, storage, names);
  const { concurrency, maxConcurrency } = concurrencyOf(options);
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  // The run's own keep-alive connections for its GETs (fetch for the rest,
  // and for all with INLET_HTTP=fetch or a proxy), closed with the run.
  using agent = options.fetch || !useHttp1Agent()
    ? undefined
    : new Http1Agent();
  const wire = agent ? { ...options, fetch: agent.fetch } : options;
  const auth = authParts(connector, env, wire);
  const emit = options.onEvent ?? (() => {});
  const { http, limiters } = runHttp(
    connector,
    wire,
    { concurrency, maxConcurrency },
    auth,
    emit,
  );

  const statsByStream = new Map<string, StreamStats>(
    names.map((n) => [n, newStreamStats()]),
  );
  const limits = () =>
    Object.fromEntries([...limiters].map(([h, l]) => [h, l.limit]));
  const traces = () => limitTraces(limiters);
  options.monitor?.({ runId, streams: statsByStream, limits, traces });
  emit({
    type: "run_start",
    runId,
    connector: connector.name,
    streams: [...names],
    lake: storage.root,
  });

  const poolWidth = poolWidthOf(limiters, { concurrency, maxConcurrency });
  const run = {
    connector,
    options,
    names,
    storage,
    runId,
    http,
    limiters,
    authParams: auth.params,
    poolWidth,
    emit,
  };
  // One encoder thread serves every file of the run, started once.
  using _threads = holdEncoderThreads();
  const streamSummaries: StreamSummary[] = await Promise.all(
    names.map((name) => pullStream(run, name, statsByStream.get(name)!)),
  );

  const summary = runSummary(connector, options, {
    runId,
    startedAt,
    started,
    streamSummaries,
    limits: limits(),
    limitTrace: traces(),
    limitRange: limitRanges(limiters),
  });
  await storage.put(
    `${connector.name}/_runs/${runId}.json`,
    new TextEncoder().encode(JSON.stringify(summary, null, 2) + "\n"),
  );
  emit({ type: "run_end", summary });
  return summary;
}

/** Every stream asked for exists, and its lake files are in the run's format. */
async function checkStreams(
  connector: Connector,
  options: PullOptions,
  storage: Storage,
  names: readonly string[],
): Promise<void> {
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
}

/** Limit changes over time per adaptive limiter's host. */
function limitTraces(
  limiters: Map<string, Limiter>,
): Record<string, Array<{ atMs: number; limit: number }>> {
  return Object.fromEntries(
    [...limiters].flatMap(([h, l]) =>
      l instanceof AdaptiveLimiter ? [[h, l.trace()]] : []
    ),
  );
}

/** Lowest, highest and final limit per adaptive limiter's host. */
function limitRanges(
  limiters: Map<string, Limiter>,
): NonNullable<RunSummary["limitRange"]> {
  return Object.fromEntries(
    [...limiters].flatMap(([h, l]) =>
      l instanceof AdaptiveLimiter ? [[h, l.range()]] : []
    ),
  );
}

/** The run's summary: its streams' summaries, totalled. */
function runSummary(
  connector: Connector,
  options: PullOptions,
  run: {
    runId: string;
    startedAt: string;
    started: number;
    streamSummaries: StreamSummary[];
    limits: Record<string, number>;
    limitTrace: Record<string, Array<{ atMs: number; limit: number }>>;
    limitRange: NonNullable<RunSummary["limitRange"]>;
  },
): RunSummary {
  const { streamSummaries } = run;
  const errors = streamSummaries.flatMap((s) =>
    s.error !== undefined ? [s.error] : []
  );
  const sum = (k: "records" | "pages" | "requests" | "retries" | "bytes") =>
    streamSummaries.reduce((n, s) => n + s[k], 0);
  const summary: RunSummary = {
    runId: run.runId,
    connector: connector.name,
    status: errors.length ? "failed" : options.stop?.aborted ? "stopped" : "ok",
    startedAt: run.startedAt,
    durationMs: Math.round(performance.now() - run.started),
    records: sum("records"),
    pages: sum("pages"),
    requests: sum("requests"),
    retries: sum("retries"),
    bytes: sum("bytes"),
    limits: run.limits,
    limitTrace: run.limitTrace,
    limitRange: run.limitRange,
    streams: streamSummaries,
    errors,
    warnings: streamSummaries.flatMap((s) => s.warnings ?? []),
  };
  return summary;
}
