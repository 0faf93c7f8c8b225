/**
 * The plan of one stream's run, made before anything in the lake changes:
 * the states it depends on (checked), the pass it belongs to, its lanes,
 * where each option slice starts, and the state its first commit holds.
 *
 * @module
 */

import { sinceFrom } from "./_incremental.ts";
import { planLanes, shardLanes, sliceKey } from "./_lanes.ts";
import { StreamTable } from "../lake/stream_table.ts";
import { ConfigError } from "../connector/errors.ts";
import {
  type LaneState,
  parseState,
  type StreamState,
} from "../lake/stream_state.ts";
import type { StreamDef } from "../connector/types.ts";
import type { StreamRunOptions } from "./stream_run_options.ts";

/** What a stream's run starts from. */
export interface StreamPlan {
  /** `connector/stream`. */
  id: string;
  /** The stream's definition. */
  stream: StreamDef;
  /** The clock. */
  now: () => number;
  /** The stream's table (loaded). */
  log: StreamTable;
  /** The pass this run's sweep belongs to. */
  pass: string;
  /** A running sweep is resumed (else a new one starts). */
  resuming: boolean;
  /** How the sweep lands its files. */
  disposition: NonNullable<StreamState["disposition"]>;
  /** Every lane by key: the resumed ones, or a new plan. */
  lanes: Map<string, LaneState>;
  /** Where each option slice's incremental sweep starts. */
  since: Record<string, string | number | bigint> | undefined;
  /** The running state (lanes aside: a commit adds them). */
  state: StreamState;
}

/**
 * Plan a stream's run; `undefined` when its sweep of the resumed pass is
 * complete already.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planStream } from "./_stream_plan.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { ConfigError } from "../connector/errors.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { newStreamStats } from "../paging/paginate.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 *
 * // A stream the connector does not have fails before the lake is read.
 * const connector = defineConnector({
 *   name: "t",
 *   baseUrl: "http://127.0.0.1",
 *   streams: {
 *     items: { path: "/x", primaryKey: "id", paginator: singlePaginator() },
 *   },
 * });
 * await assert.rejects(
 *   planStream({
 *     connector,
 *     name: "missing",
 *     storage: new LocalStorage("unused"),
 *     runId: "20260101T000000Z-000001",
 *     http: new HttpClient(),
 *     baseUrl: "http://127.0.0.1",
 *     stats: newStreamStats(),
 *     poolWidth: 1,
 *   }),
 *   ConfigError,
 * );
 * ```
 */
export async function planStream(
  o: StreamRunOptions,
): Promise<StreamPlan | undefined> {
  const { connector, name } = o;
  const id = `${connector.name}/${name}`;
  const stream = connector.streams[name];
  if (!stream) {
    throw new ConfigError(
      `connector "${connector.name}" has no stream "${name}"`,
    );
  }
  const now = o.now ?? Date.now;
  const scope = o.shard && o.shard.count > 1
    ? `shard-${o.shard.index}-of-${o.shard.count}`
    : undefined;
  const log = new StreamTable(o.storage, id, {
    runId: o.runId,
    ...(scope ? { scope } : {}),
  });
  const { previous, siblings } = await readStates(o, log, scope);
  await log.recover();

  const pass = passOf(o, previous, siblings);
  if (previous?.sweep === "complete" && previous.pass === pass) {
    return undefined;
  }

  // A running sweep is resumed exactly as planned (and as it was asked: a
  // full refresh stays one); otherwise a new one starts.
  const resuming = previous?.sweep === "running";
  const disposition = resuming
    ? previous.disposition ?? stream.writeDisposition ?? "append"
    : o.fullRefresh
    ? "replace"
    : stream.writeDisposition ?? "append";
  const lanes = new Map<string, LaneState>();
  if (resuming) {
    for (const lane of Object.values(previous.lanes ?? {})) {
      lanes.set(lane.key, structuredClone(lane));
    }
  } else {
    for (const lane of shardLanes(planLanes(o, stream, now), o.shard, stream)) {
      lanes.set(lane.key, lane);
    }
  }
  const since = resuming ? previous.since : sinceOf(o, stream, lanes, previous);
  const state = startState(
    previous,
    resuming,
    now,
    pass,
    disposition,
    since,
  );
  return {
    id,
    stream,
    now,
    log,
    pass,
    resuming,
    disposition,
    lanes,
    since,
    state,
  };
}

/**
 * Every state this run depends on, read and checked before anything in the
 * lake changes: a corrupt one stops the run with the lake untouched.
 */
async function readStates(
  o: StreamRunOptions,
  log: StreamTable,
  scope: string | undefined,
): Promise<{
  previous: StreamState | undefined;
  siblings: (StreamState | undefined)[];
}> {
  const { connector, name } = o;
  const previous = o.fullRefresh ? undefined : await readState(o, log, scope);
  const siblings = o.fullRefresh ? [] : await Promise.all(
    (o.siblings ?? Object.keys(connector.streams))
      .filter((n) => n !== name && connector.streams[n] !== undefined)
      .map((n) =>
        readState(
          o,
          new StreamTable(o.storage, `${connector.name}/${n}`, {
            runId: o.runId,
            ...(scope ? { scope } : {}),
          }),
          scope,
        )
      ),
  );
  return { previous, siblings };
}

/**
 * A pass is the set of sweeps a run starts together. While one of them
 * runs, the pass is unfinished: a restarted run resumes it and leaves the
 * sweeps that completed in it alone (else an append stream lands twice).
 */
function passOf(
  o: StreamRunOptions,
  previous: StreamState | undefined,
  siblings: (StreamState | undefined)[],
): string {
  const open = [previous, ...siblings].flatMap((s) =>
    s?.sweep === "running" && s.pass !== undefined ? [s.pass] : []
  ).sort();
  return previous?.sweep === "running" && previous.pass !== undefined
    ? previous.pass
    : open.at(-1) ?? o.runId;
}

/** Each option slice keeps its own bookmark: a repository added later starts from its own history. */
function sinceOf(
  o: StreamRunOptions,
  stream: StreamDef,
  lanes: Map<string, LaneState>,
  previous: StreamState | undefined,
): Record<string, string | number | bigint> | undefined {
  const inc = stream.incremental;
  if (!inc) return undefined;
  const since: Record<string, string | number | bigint> = {};
  for (const lane of lanes.values()) {
    const slice = sliceKey(lane.vars ?? {});
    const bookmark = previous?.bookmark?.[slice];
    const start = o.since ??
      (bookmark !== undefined
        ? sinceFrom(bookmark, inc.lookback ?? 0, inc.format ?? "auto")
        : inc.initial);
    if (start !== undefined) since[slice] = start;
  }
  return since;
}

/** The running state a new or resumed sweep starts with. */
function startState(
  previous: StreamState | undefined,
  resuming: boolean,
  now: () => number,
  pass: string,
  disposition: NonNullable<StreamState["disposition"]>,
  since: Record<string, string | number | bigint> | undefined,
): StreamState {
  return {
    version: 1,
    sweep: "running",
    records: resuming ? previous!.records : 0,
    startedAt: resuming && previous!.startedAt
      ? previous!.startedAt
      : new Date(now()).toISOString(),
    pass,
    disposition,
    ...(since !== undefined ? { since } : {}),
    cursor: resuming && previous!.cursor ? { ...previous!.cursor } : {},
    ...(previous?.bookmark !== undefined
      ? { bookmark: previous.bookmark }
      : {}),
    ...(resuming && previous!.staged ? { staged: [...previous!.staged] } : {}),
  };
}

/** The checked state of a stream's newest commit (`undefined`: none, or reset). */
async function readState(
  o: StreamRunOptions,
  log: StreamTable,
  scope: string | undefined,
): Promise<StreamState | undefined> {
  const latest = await log.latest();
  // A reset is itself a commit whose state is null: the next sweep starts afresh.
  if (!latest || latest.state === null) return undefined;
  return parseState(
    latest.state,
    `${log.where()} (snapshot ${latest.version}${scope ? `, ${scope}` : ""})`,
    o.connector.name,
  );
}
