/**
 * What a lane's page lands: the rows it takes (after a cut page's rows, a
 * split's boundary rows and the limit), stamped with the lane's option
 * values, and the incremental cursors they move.
 *
 * @module
 */

import { compareCursor } from "./_incremental.ts";
import { sliceKey } from "./_lanes.ts";
import { toNum } from "./_ranges.ts";
import { getPath } from "../connector/json_path.ts";
import type { LaneState, StreamState } from "../lake/stream_state.ts";
import type { Row, StreamDef } from "../connector/types.ts";

/**
 * The rows of a page a lane lands, from the one after `lane.item` (a plain
 * lane's page the limit cut short) until `limit`; `upTo` is the index of the
 * last one taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takeRows } from "./_accepted_rows.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 *
 * const stream = { path: "/x", primaryKey: "id", paginator: singlePaginator() };
 * const lane = { key: "main", position: { page: 0 }, item: 0 };
 * const rows = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }];
 * const { keep, upTo } = takeRows(stream, lane, rows, 2, (r) => String(r.id));
 * assert.deepEqual(keep, [{ id: 2 }, { id: 3 }]);
 * assert.equal(upTo, 2);
 * ```
 */
export function takeRows(
  stream: StreamDef,
  lane: LaneState,
  rows: Row[],
  limit: number,
  keyOf: (r: Row) => string,
): { keep: Row[]; upTo: number } {
  const dependent = stream.parent !== undefined;
  const first = !dependent && lane.item !== undefined ? lane.item + 1 : 0;
  const skip = lane.skip;
  // The common case lands the page's own array: no copy to allocate or hold.
  if (first === 0 && !(skip && stream.partition) && rows.length <= limit) {
    return { keep: rows, upTo: rows.length - 1 };
  }
  const isSkipped = (r: Row): boolean => {
    if (!skip || !stream.partition) return false;
    const v = getPath(r, stream.partition.field);
    return v !== undefined &&
      toNum(v as string | number, stream.partition.kind) === skip.value &&
      skip.keys.includes(keyOf(r));
  };
  const keep: Row[] = [];
  let upTo = rows.length - 1;
  for (let i = first; i < rows.length; i++) {
    const r = rows[i]!;
    if (isSkipped(r)) continue;
    if (keep.length === limit) {
      upTo = i - 1;
      break;
    }
    keep.push(r);
  }
  return { keep, upTo };
}

/**
 * Give each row its lane's option values: the option value is part of the
 * record's identity (a commit of repo a/b).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stampVars } from "./_accepted_rows.ts";
 *
 * const rows = [{ sha: "1" }, { sha: "2", repo: "x/y" }];
 * stampVars({ key: "k", vars: { repo: "a/b" }, position: { page: -1 } }, rows);
 * assert.deepEqual(rows, [{ sha: "1", repo: "a/b" }, { sha: "2", repo: "x/y" }]);
 * ```
 */
export function stampVars(lane: LaneState, keep: Row[]): void {
  if (!lane.vars) return;
  for (const r of keep) {
    for (
      const [k, v] of Object.entries(lane.vars)
    ) if (r[k] === undefined) r[k] = v;
  }
}

/**
 * Move the lane's slice cursor of an incremental stream to the newest
 * cursor value among the rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { advanceCursors } from "./_accepted_rows.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 *
 * const stream = {
 *   path: "/x",
 *   primaryKey: "id",
 *   paginator: singlePaginator(),
 *   incremental: { cursorField: "at" },
 * };
 * import type { StreamState } from "../lake/stream_state.ts";
 * const state: StreamState = { version: 1, sweep: "running", records: 0 };
 * const lane = { key: "main", position: { page: 0 } };
 * advanceCursors(stream, lane, [{ at: 3 }, { at: 7 }, { at: 5 }], state);
 * assert.deepEqual(Object.values(state.cursor ?? {}), [7]);
 * ```
 */
export function advanceCursors(
  stream: StreamDef,
  lane: LaneState,
  keep: Row[],
  state: StreamState,
): void {
  const inc = stream.incremental;
  if (!inc) return;
  const slice = sliceKey(lane.vars ?? {});
  const cursors = state.cursor ??= {};
  for (const r of keep) {
    const v = getPath(r, inc.cursorField);
    if (
      typeof v !== "string" && typeof v !== "number" &&
      typeof v !== "bigint"
    ) continue;
    const cur = cursors[slice];
    if (cur === undefined || compareCursor(v, cur) > 0) {
      cursors[slice] = v;
    }
  }
}
