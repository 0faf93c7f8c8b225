/**
 * The leaf columns of a built column, as slots with Dremel levels over its
 * typed values: what hyparquet-writer's `encodeNestedValues` would compute
 * from row objects, without making a value, object or array per row for it
 * to walk. `_leaf_chunk.ts` writes them.
 *
 * @module
 */
import type { BuiltColumn } from "./_column_group.ts";

/** A column of scalars: what a leaf's values are read from. */
export type ScalarColumn = Extract<
  BuiltColumn,
  { kind: "int" | "micros" | "double" | "bool" | "bytes" }
>;

/**
 * One leaf column. Slot `s` (a row, or a list element or empty list) has
 * definition level `def[s]` (and repetition level `rep[s]` in a list); it
 * has a value, `values` at position `pos[s]`, exactly when
 * `def[s] === maxDef` (else `pos[s]` is -1).
 */
export interface TypedLeaf {
  values: ScalarColumn;
  pos: Int32Array;
  def: Uint8Array;
  rep: Uint8Array | undefined;
  maxDef: number;
}

const SCALAR = new Set(["int", "double", "bool", "micros", "bytes"]);

const isScalar = (c: BuiltColumn): c is ScalarColumn => SCALAR.has(c.kind);

/**
 * The leaves of `column` (a scalar: itself; a struct of scalars: one per
 * field, in order; a list of scalars: its element), or `undefined` for any
 * other shape, which `encodeNestedValues` handles. Levels follow the
 * file's schema: optional columns, an optional struct of optional fields,
 * and the standard optional 3-level list of optional elements.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { leafPages } from "./_leaf_pages.ts";
 * const list = {
 *   kind: "list" as const,
 *   present: new Uint8Array([1, 0, 1]),
 *   ends: new Uint32Array([2, 2, 2]),
 *   element: { kind: "double" as const, present: new Uint8Array([1, 0]), nums: new Float64Array([1.5, 0]) },
 * };
 * const [leaf] = leafPages(list, 3)!;
 * assert.deepEqual([...leaf!.def], [3, 2, 0, 1]);
 * assert.deepEqual([...leaf!.rep!], [0, 1, 0, 0]);
 * assert.deepEqual([...leaf!.pos], [0, -1, -1, -1]);
 * ```
 */
export function leafPages(
  column: BuiltColumn,
  rows: number,
): TypedLeaf[] | undefined {
  if (isScalar(column)) return [flatLeaf(column, rows)];
  if (column.kind === "struct") {
    const fields = column.fields;
    if (!fields.every(isScalar)) return undefined;
    return fields.map((f) => structLeaf(column.present, f, rows));
  }
  if (column.kind === "list" && isScalar(column.element)) {
    return [listLeaf(column.present, column.ends, column.element, rows)];
  }
  return undefined;
}

function flatLeaf(values: ScalarColumn, rows: number): TypedLeaf {
  const def = values.present.subarray(0, rows);
  const pos = new Int32Array(rows);
  for (let i = 0; i < rows; i++) pos[i] = def[i] ? i : -1;
  return { values, pos, def, rep: undefined, maxDef: 1 };
}

function structLeaf(
  present: Uint8Array,
  field: ScalarColumn,
  rows: number,
): TypedLeaf {
  const def = new Uint8Array(rows);
  const pos = new Int32Array(rows);
  const has = field.present;
  for (let i = 0; i < rows; i++) {
    // No struct: nothing below it (0); a null field (1); a value (2).
    const d = present[i] ? (has[i] ? 2 : 1) : 0;
    def[i] = d;
    pos[i] = d === 2 ? i : -1;
  }
  return { values: field, pos, def, rep: undefined, maxDef: 2 };
}

function listLeaf(
  present: Uint8Array,
  ends: Uint32Array,
  element: ScalarColumn,
  rows: number,
): TypedLeaf {
  // One slot per element, and one for each null or empty list.
  let slots = rows > 0 ? ends[rows - 1]! : 0;
  let start = 0;
  for (let i = 0; i < rows; i++) {
    if (ends[i] === start) slots++;
    start = ends[i]!;
  }
  const def = new Uint8Array(slots);
  const rep = new Uint8Array(slots);
  const pos = new Int32Array(slots).fill(-1);
  const has = element.present;
  let s = 0;
  start = 0;
  for (let i = 0; i < rows; i++) {
    const end = ends[i]!;
    if (!present[i] || end === start) {
      // A null list (0), or an empty one (1): one slot, no value.
      def[s++] = present[i] ? 1 : 0;
    } else {
      for (let j = start; j < end; j++) {
        rep[s] = j === start ? 0 : 1;
        if (has[j]) {
          def[s] = 3;
          pos[s] = j;
        } else def[s] = 2;
        s++;
      }
    }
    start = end;
  }
  return { values: element, pos, def, rep, maxDef: 3 };
}
