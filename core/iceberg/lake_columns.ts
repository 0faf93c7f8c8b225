/**
 * The lake's column types, and each as an Iceberg type. The lake sits above
 * this package and takes its `ColumnType` from here, so the two are one
 * definition.
 *
 * @module
 */
import type { ColumnSpec } from "./schema.ts";

/** A scalar lake column type inferred from values (the lake's `ScalarType`). */
export type LakeScalar =
  | "BOOLEAN"
  | "INT64"
  | "DECIMAL"
  | "DOUBLE"
  | "STRING"
  | "TIMESTAMP";

/**
 * A scalar type only a stream's declared `columns` give (values never infer
 * them): 32-bit integers and floats, dates, and decimals of a declared
 * precision and scale.
 *
 * @example
 * ```ts
 * import type { DeclaredScalar } from "./lake_columns.ts";
 * const amount: DeclaredScalar = "DECIMAL(18,2)";
 * ```
 */
export type DeclaredScalar =
  | "INT32"
  | "FLOAT"
  | "DATE"
  | `DECIMAL(${number},${number})`;

/**
 * A lake column type (the lake's `ColumnType`). A struct is
 * `STRUCT<` + the JSON of its `[name, type]` pairs + `>`, so a type stays
 * one string that compares and serializes as is.
 *
 * @example
 * ```ts
 * import type { LakeColumnType } from "./lake_columns.ts";
 * const t: LakeColumnType = "LIST<INT64>";
 * const s: LakeColumnType = 'STRUCT<[["login","STRING"]]>';
 * ```
 */
export type LakeColumnType =
  | "NULL"
  | LakeScalar
  | DeclaredScalar
  | "JSON"
  | `LIST<${LakeScalar | "NULL"}>`
  | `STRUCT<${string}>`;

/** One field of a struct type: its name and type. */
export type StructField = readonly [string, LakeColumnType];

const SCALARS: Record<string, string> = {
  BOOLEAN: "boolean",
  INT64: "long",
  // Integers beyond 64 bits, every digit kept (the lake writes DECIMAL(38,0)).
  DECIMAL: "decimal(38,0)",
  DOUBLE: "double",
  STRING: "string",
  // UTC instants in microseconds, as the lake's Parquet TIMESTAMP(UTC, MICROS).
  TIMESTAMP: "timestamptz",
  INT32: "int",
  FLOAT: "float",
  DATE: "date",
};

const DECIMAL_PS = /^DECIMAL\((\d+),(\d+)\)$/;

/**
 * The struct type of `fields`, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { structFields, structType } from "./lake_columns.ts";
 * const t = structType([["id", "INT64"], ["login", "STRING"]]);
 * assert.equal(t, 'STRUCT<[["id","INT64"],["login","STRING"]]>');
 * assert.deepEqual(structFields(t), [["id", "INT64"], ["login", "STRING"]]);
 * assert.equal(structFields("INT64"), undefined);
 * ```
 */
export function structType(
  fields: readonly StructField[],
): `STRUCT<${string}>` {
  return `STRUCT<${JSON.stringify(fields)}>`;
}

/** The fields of a struct type, or `undefined` for any other type. */
export function structFields(
  type: LakeColumnType,
): readonly StructField[] | undefined {
  return type.startsWith("STRUCT<")
    ? JSON.parse(type.slice(7, -1)) as StructField[]
    : undefined;
}

/**
 * The fields of a struct type that have a type yet (a field null
 * everywhere so far, or a struct of such fields, waits as a null column
 * does), or `undefined` for any other type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { typedFields } from "./lake_columns.ts";
 * assert.deepEqual(typedFields('STRUCT<[["a","NULL"],["b","INT64"]]>'), [["b", "INT64"]]);
 * ```
 */
export function typedFields(
  type: LakeColumnType,
): readonly StructField[] | undefined {
  return structFields(type)?.filter(([, t]) => icebergType(t) !== undefined);
}

/**
 * The Iceberg type of a lake column type, or `undefined` for a column with
 * no type yet (`NULL`, a `LIST<NULL>` of empty lists, a struct none of whose
 * fields has a type): such a column is left out of the table schema (and
 * so of readers' view) until a value types it, and then joins as a new
 * optional column. `JSON` is JSON text in a `string` column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { icebergType } from "./lake_columns.ts";
 * assert.equal(icebergType("INT64"), "long");
 * assert.equal(icebergType("TIMESTAMP"), "timestamptz");
 * assert.equal(icebergType("DECIMAL(18,2)"), "decimal(18,2)");
 * assert.deepEqual(icebergType("LIST<STRING>"), { type: "list", element: "string" });
 * assert.deepEqual(icebergType('STRUCT<[["a","NULL"],["b","DOUBLE"]]>'), {
 *   type: "struct",
 *   fields: [{ name: "b", type: "double" }],
 * });
 * assert.equal(icebergType("NULL"), undefined);
 * ```
 */
export function icebergType(
  type: LakeColumnType,
): ColumnSpec["type"] | undefined {
  if (type === "NULL" || type === "LIST<NULL>") return undefined;
  if (type === "JSON") return "string";
  if (type.startsWith("LIST<")) {
    return { type: "list", element: SCALARS[type.slice(5, -1)]! };
  }
  const fields = structFields(type);
  if (fields !== undefined) {
    const specs = lakeColumns(fields.map(([name, type]) => ({ name, type })));
    return specs.length === 0 ? undefined : { type: "struct", fields: specs };
  }
  const d = DECIMAL_PS.exec(type);
  if (d) return `decimal(${d[1]},${d[2]})`;
  const scalar = SCALARS[type];
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
