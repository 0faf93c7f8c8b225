/**
 * The boundary tracker of a range lane: the last range-field value it
 * landed and the keys of the records sharing it.
 *
 * @module
 */

import { getPath } from "../connector/json_path.ts";
import { toNum } from "./_ranges.ts";
import type { Row, StreamDef } from "../connector/types.ts";

/** What {@linkcode boundaryTracker} returns. */
export interface BoundaryTracker {
  /** Notes the rows a lane landed, in order. */
  see(rows: Row[]): void;
  /** The last value first met in this run and the keys sharing it. */
  boundary(): { value: number; keys: string[] } | undefined;
}

/**
 * Tracks the last range-field value a lane landed and the keys that share it.
 * Only a value first met in this run is a boundary: records of the value a
 * resumed lane started in may have landed in an earlier run, and their keys
 * are not known here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { boundaryTracker } from "./_boundary_tracker.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 * const t = boundaryTracker({
 *   path: "/items",
 *   primaryKey: "id",
 *   paginator: singlePaginator(),
 *   partition: {
 *     field: "n",
 *     kind: "int",
 *     start: 0,
 *     end: 10,
 *     gteParam: "from",
 *     ltParam: "to",
 *   },
 * }, (r) => String(r.id));
 * t.see([{ id: 1, n: 1 }, { id: 2, n: 1 }]);
 * assert.equal(t.boundary(), undefined);
 * t.see([{ id: 3, n: 2 }, { id: 4, n: 2 }]);
 * assert.deepEqual(t.boundary(), { value: 2, keys: ["3", "4"] });
 * ```
 */
export function boundaryTracker(
  stream: StreamDef,
  keyOf: (r: Row) => string,
): BoundaryTracker {
  const p = stream.partition;
  let value: number | undefined;
  let firstValue: number | undefined;
  let keys: string[] = [];
  return {
    see(rows: Row[]): void {
      if (!p) return;
      for (const r of rows) {
        const raw = getPath(r, p.field);
        if (typeof raw !== "string" && typeof raw !== "number") continue;
        const v = toNum(raw, p.kind);
        firstValue ??= v;
        if (v !== value) {
          value = v;
          keys = [];
        }
        keys.push(keyOf(r));
      }
    },
    boundary: () =>
      value === undefined || value === firstValue
        ? undefined
        : { value, keys: [...keys] },
  };
}
