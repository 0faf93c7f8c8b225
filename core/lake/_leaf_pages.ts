/**
 * The leaf columns of a nested column, straight from its built columns: the
 * values and Dremel levels hyparquet-writer's `encodeNestedValues` would
 * compute, without first making an object or array per row for it to walk.
 *
 * @module
 */
import { type BuiltColumn, columnValues } from "./_column_group.ts";

/** One leaf column's values and levels (hyparquet-writer's `PageData`). */
export interface LeafPage {
  values: unknown[];
  definitionLevels: number[];
  repetitionLevels: number[];
  maxDefinitionLevel: number;
}

const SCALAR = new Set(["int", "double", "bool", "micros", "bytes"]);

/**
 * The leaves of `column` (a struct of scalars: one per field, in order; a
 * list of scalars: its element), or `undefined` for any other shape, which
 * `encodeNestedValues` handles. Levels follow the file's schema: an
 * optional struct of optional fields, and the standard optional 3-level
 * list of optional elements.
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
 * assert.deepEqual(leaf!.values, [1.5, null, undefined, undefined]);
 * assert.deepEqual(leaf!.definitionLevels, [3, 2, 0, 1]);
 * assert.deepEqual(leaf!.repetitionLevels, [0, 1, 0, 0]);
 * ```
 */
export function leafPages(
  column: BuiltColumn,
  rows: number,
): LeafPage[] | undefined {
  if (column.kind === "struct") {
    if (!column.fields.every((f) => SCALAR.has(f.kind))) return undefined;
    return column.fields.map((f) => structLeaf(column.present, f, rows));
  }
  if (column.kind === "list" && SCALAR.has(column.element.kind)) {
    return [listLeaf(column.present, column.ends, column.element, rows)];
  }
  return undefined;
}

function structLeaf(
  present: Uint8Array,
  field: BuiltColumn,
  rows: number,
): LeafPage {
  const values = columnValues(field, rows);
  const definitionLevels = new Array<number>(rows);
  for (let i = 0; i < rows; i++) {
    if (!present[i]) {
      // No struct: nothing below it, as the walk gives it.
      values[i] = undefined;
      definitionLevels[i] = 0;
    } else definitionLevels[i] = values[i] === null ? 1 : 2;
  }
  return {
    values,
    definitionLevels,
    repetitionLevels: [],
    maxDefinitionLevel: 2,
  };
}

function listLeaf(
  present: Uint8Array,
  ends: Uint32Array,
  element: BuiltColumn,
  rows: number,
): LeafPage {
  const items = columnValues(element, rows > 0 ? ends[rows - 1]! : 0);
  const values: unknown[] = [];
  const definitionLevels: number[] = [];
  const repetitionLevels: number[] = [];
  let start = 0;
  for (let i = 0; i < rows; i++) {
    const end = ends[i]!;
    if (!present[i] || end === start) {
      // A null list (0), or an empty one (1): one slot, no value.
      values.push(undefined);
      definitionLevels.push(present[i] ? 1 : 0);
      repetitionLevels.push(0);
    } else {
      for (let j = start; j < end; j++) {
        const item = items[j];
        values.push(item);
        definitionLevels.push(item === null ? 2 : 3);
        repetitionLevels.push(j === start ? 0 : 1);
      }
    }
    start = end;
  }
  return { values, definitionLevels, repetitionLevels, maxDefinitionLevel: 3 };
}
