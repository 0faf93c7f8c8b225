/**
 * The lake's inferred column types, and each as an Iceberg type. The lake
 * sits above this package and takes its `ColumnType` from here, so the two
 * are one definition.
 *
 * @module
 */
import type { ColumnSpec } from "./schema.ts";

/** A scalar lake column type (the lake's `ScalarType`). */
export type LakeScalar =
  | "BOOLEAN"
  | "INT64"
  | "DECIMAL"
  | "DOUBLE"
  | "STRING"
  | "TIMESTAMP";

/**
 * A lake column type (the lake's `ColumnType`).
 *
 * @example
 * ```ts
 * import type { LakeColumnType } from "./lake_columns.ts";
 * const t: LakeColumnType = "LIST<INT64>";
 * ```
 */
export type LakeColumnType =
  | "NULL"
  | LakeScalar
  | "JSON"
  | `LIST<${LakeScalar | "NULL"}>`;

const SCALARS: Record<LakeScalar, string> = {
  BOOLEAN: "boolean",
  INT64: "long",
  // Integers beyond 64 bits, every digit kept (the lake writes DECIMAL(38,0)).
  DECIMAL: "decimal(38,0)",
  DOUBLE: "double",
  STRING: "string",
  // UTC instants in microseconds, as the lake's Parquet TIMESTAMP(UTC, MICROS).
  TIMESTAMP: "timestamptz",
};

/**
 * The Iceberg type of a lake column type, or `undefined` for a column with
 * no type yet (`NULL`, a `LIST<NULL>` of empty lists): such a column is left
 * out of the table schema (and so of readers' view) until a value types it,
 * and then joins as a new optional column. `JSON` is JSON text in a
 * `string` column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { icebergType } from "./lake_columns.ts";
 * assert.equal(icebergType("INT64"), "long");
 * assert.equal(icebergType("TIMESTAMP"), "timestamptz");
 * assert.deepEqual(icebergType("LIST<STRING>"), { type: "list", element: "string" });
 * assert.equal(icebergType("NULL"), undefined);
 * ```
 */
export function icebergType(
  type: LakeColumnType,
): ColumnSpec["type"] | undefined {
  if (type === "NULL" || type === "LIST<NULL>") return undefined;
  if (type === "JSON") return "string";
  if (type.startsWith("LIST<")) {
    return { type: "list", element: SCALARS[type.slice(5, -1) as LakeScalar] };
  }
  const scalar = SCALARS[type as LakeScalar];
  if (scalar === undefined) {
    throw new TypeError(`Cannot map the lake column type ${type} to Iceberg`);
  }
  return scalar;
}

/**
 * A lake schema (columns in order) as the column specs
 * `evolveSchema()` takes: every column optional, untyped ones left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lakeColumns } from "./lake_columns.ts";
 * assert.deepEqual(lakeColumns([{ name: "id", type: "INT64" }, { name: "x", type: "NULL" }]), [
 *   { name: "id", type: "long" },
 * ]);
 * ```
 */
export function lakeColumns(
  schema: readonly { readonly name: string; readonly type: LakeColumnType }[],
): ColumnSpec[] {
  const out: ColumnSpec[] = [];
  for (const { name, type } of schema) {
    const t = icebergType(type);
    if (t !== undefined) out.push({ name, type: t });
  }
  return out;
}
