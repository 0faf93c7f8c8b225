/**
 * The lane runner of a dependent stream: the parent's records, each one's
 * detail page(s), landed in parent order.
 *
 * @module
 */

import { getPath } from "../connector/json_path.ts";
import { ConfigError } from "../connector/errors.ts";
import {
  newStreamStats,
  type PagePosition,
  paginate,
  type StreamSource,
} from "../paging/paginate.ts";
import { DemandGate } from "../async/demand_gate.ts";
import { pooledMap } from "../async/pool.ts";
import type { LaneState } from "../lake/stream_state.ts";
import type { StreamRunOptions } from "./stream_run_options.ts";
import type { Row, StreamDef } from "../connector/types.ts";

/**
 * A dependent stream's lane: walks the parent's pages and, for each parent
 * record, fetches this stream's page(s) with the record's field in the path,
 * concurrently but landed in parent order, so the position is exact.
 * With a limit, at most that many parent records are walked in the run;
 * `true` when that bound, not the parent's end, stopped the walk (the lane
 * is not done: the next run continues from its position).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runDependentLane } from "./_dependent_lane.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { ConfigError } from "../connector/errors.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { newStreamStats } from "../paging/paginate.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 *
 * // A parent that does not exist fails before any request.
 * const stream = {
 *   path: "/items/{id}",
 *   primaryKey: "id",
 *   paginator: singlePaginator(),
 *   parent: { stream: "missing", field: "id" },
 * };
 * const connector = defineConnector({
 *   name: "t",
 *   baseUrl: "http://127.0.0.1",
 *   streams: { details: stream },
 * });
 * const o = {
 *   connector,
 *   name: "details",
 *   storage: new LocalStorage("unused"),
 *   runId: "20260101T000000Z-000001",
 *   http: new HttpClient(),
 *   baseUrl: "http://127.0.0.1",
 *   stats: newStreamStats(),
 *   poolWidth: 1,
 * };
 * const lane = { key: "main", position: { page: -1 } };
 * await assert.rejects(
 *   runDependentLane(o, stream, lane, () => {
 *     throw new Error("not reached");
 *   }, async () => {}, new AbortController().signal),
 *   ConfigError,
 * );
 * ```
 */
export async function runDependentLane(
  o: StreamRunOptions,
  stream: StreamDef,
  lane: LaneState,
  baseSource: (lane: LaneState, extra?: Partial<StreamSource>) => StreamSource,
  accept: (
    lane: LaneState,
    rows: Row[],
    position: PagePosition,
    where?: { url?: string; item?: number },
  ) => Promise<void>,
  stop: AbortSignal,
): Promise<boolean> {
  const ref = stream.parent!;
  const parent = o.connector.streams[ref.stream];
  if (!parent) {
    throw new ConfigError(
      `connector "${o.connector.name}": stream "${o.name}" depends on unknown stream "${ref.stream}"`,
    );
  }
  const as = ref.as ?? ref.field;
  const own = baseSource(lane);
  const parentSource: StreamSource = {
    ...own,
    id: `${o.connector.name}/${ref.stream}`,
    stream: parent,
    // The parent's counters are its own; what it warns of, this stream reports.
    stats: { ...newStreamStats(), warnings: own.stats.warnings ??= [] },
  };
  const fetchDetail = async (
    t: Task,
    signal: AbortSignal,
  ): Promise<{ t: Task; rows: Row[] }> => {
    if (t.value === undefined) return { t, rows: [] };
    const rows: Row[] = [];
    const detail: StreamSource = {
      ...baseSource(lane),
      vars: { ...lane.vars, [as]: t.value },
      ...(t.record ? { parent: t.record } : {}),
      resume: { page: -1 },
      signal: o.signal ? AbortSignal.any([o.signal, signal]) : signal,
    };
    delete detail.stop;
    for await (const p of paginate(detail)) rows.push(...p.records);
    return { t, rows };
  };
  // With a limit, a parent record is walked only while the details in
  // flight, at one record or more each, could fall short of it; the parent's
  // pages are fetched only as its records are walked.
  const walk = { cut: false };
  const tasks = walkBound(
    parentTasks(parentSource, lane, ref.field, stop),
    o.limit,
    walk,
  );
  const gate = own.wanted ? new DemandGate(own.wanted) : undefined;
  try {
    for await (
      const { t, rows } of pooledMap(
        gate ? gate.admit(tasks, () => 1) : tasks,
        fetchDetail,
        {
          concurrency: o.poolWidth,
          ordered: true,
          ...(o.signal ? { signal: o.signal } : {}),
        },
      )
    ) {
      if (t.last) await accept(lane, rows, t.after);
      else await accept(lane, rows, t.before, { item: t.item });
      gate?.settle();
    }
  } finally {
    gate?.close();
  }
  return walk.cut;
}

/**
 * At most `limit` parent records of `tasks`; `walk.cut` is set when the
 * bound stopped them. The bound is checked before the next task is taken,
 * since taking it may fetch the parent's next page.
 */
async function* walkBound(
  tasks: AsyncGenerator<Task>,
  limit: number | undefined,
  walk: { cut: boolean },
): AsyncGenerator<Task> {
  let walked = 0;
  try {
    while (true) {
      if (limit !== undefined && walked >= limit) {
        walk.cut = true;
        return;
      }
      const r = await tasks.next();
      if (r.done) return;
      if (r.value.item >= 0) walked++;
      yield r.value;
    }
  } finally {
    await tasks.return(undefined);
  }
}

/** One parent record's detail request, and where the lane stands around it. */
interface Task {
  value: string | undefined;
  /** The parent record, for `{parent.<field>}` in this stream's transforms. */
  record?: Row;
  before: PagePosition;
  after: PagePosition;
  item: number;
  last: boolean;
}

/**
 * The parent's records after the lane's position, each with the value of
 * `field` for its detail request; an empty parent page is one task with no
 * request, so the position still moves past it.
 */
async function* parentTasks(
  parentSource: StreamSource,
  lane: LaneState,
  field: string,
  stop: AbortSignal,
): AsyncGenerator<Task> {
  let before = lane.position;
  let skipThrough = lane.item ?? -1;
  for await (const page of paginate(parentSource)) {
    const rows = page.records;
    // A stop starts no new detail request; those in flight still land.
    if (stop.aborted) return;
    if (rows.length === 0) {
      yield {
        value: undefined,
        before,
        after: page.position,
        item: -1,
        last: true,
      };
    }
    for (let i = 0; i < rows.length; i++) {
      if (i <= skipThrough) continue;
      if (stop.aborted) return;
      const v = getPath(rows[i], field);
      yield {
        value: v === undefined || v === null ? undefined : String(v),
        record: rows[i]!,
        before,
        after: page.position,
        item: i,
        last: i === rows.length - 1,
      };
    }
    skipThrough = -1;
    before = page.position;
  }
}
