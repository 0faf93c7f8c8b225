/**
 * Column types inferred from records. A stream's columns are typed by the
 * values seen, widened only where no value can be lost (an integer column
 * that meets a fraction becomes DOUBLE; an all-null column takes the first
 * type it meets); any other change of type is a {@linkcode SchemaError}
 * naming the stream and the field.
 *
 * Types:
 * - `INT64`: integral numbers, and bigints that fit 64 bits; `DOUBLE`: any
 *   other number. `DECIMAL`: bigints beyond 64 bits, as DECIMAL(38,0), every
 *   digit kept (a bigint of more than 38 digits is a {@linkcode SchemaError}).
 *   A column never rounds a bigint: `DECIMAL` and `DOUBLE` do not mix, and a
 *   bigint a `DOUBLE` column cannot hold exactly fails its write.
 * - `STRING`; `TIMESTAMP`: strings that are strict ISO-8601 date-times such as
 *   `2024-01-02T03:04:05Z` (optional fraction, optional `Z`/`±hh:mm`; no offset
 *   means UTC), stored as UTC microseconds. A column mixing timestamps and
 *   other strings is a STRING column (the raw strings are kept).
 * - `BOOLEAN`.
 * - `LIST<T>`: arrays whose elements are all of one scalar type T (or null).
 * - `STRUCT<…>`: nested objects, as Iceberg structs (Parquet groups): a
 *   field per key, each typed as a column is, widened field by field, new
 *   keys added as new fields. An object column whose shape is not stable
 *   (a key changing to a type no one type holds, more than 100 keys, more
 *   than 8 levels deep, an empty key, or an object meeting an array) is
 *   `JSON`.
 * - `JSON`: mixed or nested arrays, and unstable objects, kept as JSON text.
 * - Declared only (a stream's `columns`, never inferred): `INT32`, `FLOAT`,
 *   `DATE`, `DECIMAL(P,S)`.
 * - `NULL`: only nulls seen so far; it widens to anything.
 *
 * @module
 */
import {
  type LakeColumnType,
  type LakeScalar,
  structFields,
} from "../iceberg/lake_columns.ts";
import { objectType, structHolds, widenStruct } from "./_struct_type.ts";
import { SchemaError } from "../connector/errors.ts";
import type { Row } from "../connector/types.ts";
import { parseTimestamp, timestampMicros } from "./parse_timestamp.ts";
import { columnKeeps } from "./_column_keeps.ts";

export { parseTimestamp };

/**
 * Types a single value or a list element can have.
 *
 * @example
 * ```ts
 * import type { ScalarType } from "./schema.ts";
 * const t: ScalarType = "TIMESTAMP";
 * ```
 */
export type ScalarType = LakeScalar;

/**
 * The type of one column. `NULL` means every value seen so far was null.
 *
 * @example
 * ```ts
 * import type { ColumnType } from "./schema.ts";
 * const tags: ColumnType = "LIST<STRING>";
 * ```
 */
export type ColumnType = LakeColumnType;

/**
 * One column of a schema.
 *
 * @example
 * ```ts
 * import type { Column } from "./schema.ts";
 * const id: Column = { name: "id", type: "INT64" };
 * ```
 */
export interface Column {
  /** The record field it comes from. */
  readonly name: string;
  /** Its type; every column is nullable. */
  readonly type: ColumnType;
  /** Its Iceberg field id, written into the Parquet schema (see `_table_columns.ts`). */
  readonly fieldId?: number;
  /** A list column's element field id. */
  readonly elementId?: number;
  /** A struct column's fields with their field ids (by name; see `_table_columns.ts`). */
  readonly fields?: readonly Column[];
}

/**
 * Columns in first-seen order. Plain data: it serializes to JSON as is (the
 * engine may keep a stream's schema in its commit entries).
 *
 * @example
 * ```ts
 * import type { Schema } from "./schema.ts";
 * const schema: Schema = [{ name: "id", type: "INT64" }, { name: "title", type: "STRING" }];
 * ```
 */
export type Schema = readonly Column[];

const INT64_LIMIT = 2 ** 63;
const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_LIMIT = 10n ** 38n;

function scalarType(value: unknown): ScalarType | "NULL" | undefined {
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) && Math.abs(value) < INT64_LIMIT
        ? "INT64"
        : "DOUBLE";
    case "string":
      return Number.isNaN(timestampMicros(value)) ? "STRING" : "TIMESTAMP";
    case "boolean":
      return "BOOLEAN";
    case "bigint":
      if (value >= INT64_MIN && value <= INT64_MAX) return "INT64";
      if (value < DECIMAL_LIMIT && value > -DECIMAL_LIMIT) return "DECIMAL";
      throw new RangeError(
        `the integer ${value} has more digits than DECIMAL(38,0) holds`,
      );
    case "undefined":
      return "NULL";
    case "object":
      if (value === null) return "NULL";
      if (value instanceof Date) return "TIMESTAMP";
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The type of one value: what a column holding only this value would be.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { valueType } from "./schema.ts";
 * assert(valueType(3) === "INT64");
 * assert(valueType(2.5) === "DOUBLE");
 * assert(valueType(2n ** 63n) === "DECIMAL"); // beyond INT64: DECIMAL(38,0)
 * assert(valueType("2024-01-02T03:04:05Z") === "TIMESTAMP");
 * assert(valueType(["a", null]) === "LIST<STRING>");
 * assert(valueType([1, "a"]) === "JSON");
 * assert(valueType({ a: 1 }) === 'STRUCT<[["a","INT64"]]>');
 * assert(valueType(null) === "NULL");
 * ```
 */
export function valueType(value: unknown, depth = 0): ColumnType {
  const scalar = scalarType(value);
  if (scalar !== undefined) return scalar;
  if (Array.isArray(value)) {
    let element: ScalarType | "NULL" = "NULL";
    for (const item of value) {
      const t = scalarType(item);
      if (t === undefined) return "JSON";
      const wider = widenScalar(element, t);
      if (wider === undefined) return "JSON";
      element = wider;
    }
    return `LIST<${element}>`;
  }
  if (typeof value === "object") {
    return objectType(value as Row, depth, valueType);
  }
  throw new TypeError(`Cannot store a ${typeof value} in the lake`);
}

function widenScalar(
  a: ScalarType | "NULL",
  b: ScalarType | "NULL",
): ScalarType | "NULL" | undefined {
  if (a === b || b === "NULL") return a;
  if (a === "NULL") return b;
  if ((a === "INT64" && b === "DOUBLE") || (a === "DOUBLE" && b === "INT64")) {
    return "DOUBLE";
  }
  // Every INT64 is a DECIMAL(38,0); a DOUBLE would round the wide ones.
  if (
    (a === "INT64" && b === "DECIMAL") || (a === "DECIMAL" && b === "INT64")
  ) {
    return "DECIMAL";
  }
  if (
    (a === "TIMESTAMP" && b === "STRING") ||
    (a === "STRING" && b === "TIMESTAMP")
  ) {
    return "STRING";
  }
  return undefined;
}

function listElement(t: ColumnType): ScalarType | "NULL" | undefined {
  return t.startsWith("LIST<")
    ? t.slice(5, -1) as ScalarType | "NULL"
    : undefined;
}

/**
 * The type a column must have to hold values of both `a` and `b`, or
 * `undefined` when no type holds both without loss. Widenings: `NULL` to
 * anything, `INT64` to `DOUBLE` or `DECIMAL`, `TIMESTAMP` to `STRING`, lists element-wise,
 * lists of conflicting elements (and lists meeting `JSON`) to `JSON`,
 * structs field by field (an unstable shape, or a struct meeting a list or
 * `JSON`, to `JSON`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { widenType } from "./schema.ts";
 * assert(widenType("INT64", "DOUBLE") === "DOUBLE");
 * assert(widenType("NULL", "BOOLEAN") === "BOOLEAN");
 * assert(widenType("LIST<INT64>", "LIST<STRING>") === "JSON");
 * assert(widenType("DOUBLE", "STRING") === undefined);
 * assert(widenType('STRUCT<[["a","INT64"]]>', 'STRUCT<[["b","STRING"]]>') ===
 *   'STRUCT<[["a","INT64"],["b","STRING"]]>');
 * assert(widenType('STRUCT<[["a","INT64"]]>', 'STRUCT<[["a","STRING"]]>') === "JSON");
 * ```
 */
export function widenType(
  a: ColumnType,
  b: ColumnType,
): ColumnType | undefined {
  if (a === b || b === "NULL") return a;
  if (a === "NULL") return b;
  const sa = structFields(a), sb = structFields(b);
  if (sa !== undefined || sb !== undefined) {
    if (sa !== undefined && sb !== undefined) {
      return widenStruct(sa, sb, widenType);
    }
    // An object where a list or JSON was (or the reverse): JSON, as before.
    const other = sa === undefined ? a : b;
    if (other === "JSON" || listElement(other) !== undefined) return "JSON";
    return undefined;
  }
  const la = listElement(a), lb = listElement(b);
  if (la !== undefined && lb !== undefined) {
    const e = widenScalar(la, lb);
    return e === undefined ? "JSON" : `LIST<${e}>`;
  }
  if (
    (la !== undefined && b === "JSON") || (lb !== undefined && a === "JSON")
  ) {
    return "JSON";
  }
  if (la !== undefined || lb !== undefined || a === "JSON" || b === "JSON") {
    return undefined;
  }
  // A declared int or float column (of an earlier run) widens as Iceberg lets it.
  const pair = `${a},${b}`;
  if (pair === "INT32,INT64" || pair === "INT64,INT32") return "INT64";
  if (pair === "FLOAT,DOUBLE" || pair === "DOUBLE,FLOAT") return "DOUBLE";
  return widenScalar(a as ScalarType, b as ScalarType);
}

function conflict(
  stream: string,
  field: string,
  was: ColumnType,
  now: ColumnType,
): SchemaError {
  return new SchemaError(
    `field ${JSON.stringify(field)} was ${was}, now ${now} in "${stream}"`,
  );
}

/** {@linkcode valueType}, a value no column can hold a `SchemaError`. */
function typeOfField(value: unknown, key: string, stream: string): ColumnType {
  try {
    return valueType(value);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new SchemaError(
      `field ${
        JSON.stringify(key)
      } cannot be stored in "${stream}": ${err.message}`,
      { cause: err },
    );
  }
}

/**
 * Options for {@linkcode inferSchema}.
 *
 * @example
 * ```ts
 * import type { InferOptions } from "./schema.ts";
 * const options: InferOptions = { stream: "demo/items", base: [{ name: "id", type: "INT64" }] };
 * ```
 */
export interface InferOptions {
  /** `"connector/stream"`, for messages. */
  stream: string;
  /** Columns known already (a file's schema so far); new columns follow them. */
  base?: Schema;
  /**
   * Fields whose type the stream declares: their columns (in `base`) keep
   * that type, and their values, converted already, are not inferred.
   * @default {none}
   */
  declared?: ReadonlySet<string> | undefined;
}

/**
 * The columns of `rows`, in first-seen order, widened over every value.
 * Throws a {@linkcode SchemaError} when a field holds values no one type can
 * hold (`field "score" was DOUBLE, now STRING in "demo/items"`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inferSchema } from "./schema.ts";
 * const schema = inferSchema([
 *   { id: 1, score: 1, at: "2024-01-02T03:04:05Z", tags: ["a"] },
 *   { id: 2, score: 2.5, at: null, extra: { deep: true } },
 *   { id: 3, extra: { deep: false, n: 1 } },
 * ], { stream: "demo/items" });
 * assert(JSON.stringify(schema) === JSON.stringify([
 *   { name: "id", type: "INT64" },
 *   { name: "score", type: "DOUBLE" },
 *   { name: "at", type: "TIMESTAMP" },
 *   { name: "tags", type: "LIST<STRING>" },
 *   { name: "extra", type: 'STRUCT<[["deep","BOOLEAN"],["n","INT64"]]>' },
 * ]));
 * ```
 */
export function inferSchema(
  rows: Iterable<Row>,
  options: InferOptions,
): Schema {
  const types = new Map<string, ColumnType>();
  for (const c of options.base ?? []) types.set(c.name, c.type);
  const declared = options.declared?.size ? options.declared : undefined;
  for (const row of rows) {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new TypeError(
        `Cannot write a record of "${options.stream}": expected an object, got ${
          row === null ? "null" : Array.isArray(row) ? "an array" : typeof row
        }`,
      );
    }
    for (const key in row) {
      if (declared?.has(key)) continue;
      const was = types.get(key);
      const value = row[key];
      if (was !== undefined && columnKeeps(was, value)) continue;
      if (
        was !== undefined && was.startsWith("STRUCT<") &&
        typeof value === "object" && value !== null && !Array.isArray(value) &&
        structHolds(was, value as Row, valueType, widenType)
      ) {
        continue;
      }
      const t = typeOfField(value, key, options.stream);
      if (was === undefined) {
        types.set(key, t);
      } else if (was !== t && t !== "NULL") {
        const wider = widenType(was, t);
        if (wider === undefined) throw conflict(options.stream, key, was, t);
        types.set(key, wider);
      }
    }
  }
  return Array.from(types, ([name, type]) => ({ name, type }));
}

/**
 * `a` widened by `b`: `a`'s columns in order (types widened), then the
 * columns only `b` has. Throws a {@linkcode SchemaError} on a conflict.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeSchemas } from "./schema.ts";
 * const merged = mergeSchemas(
 *   [{ name: "id", type: "INT64" }],
 *   [{ name: "id", type: "DOUBLE" }, { name: "name", type: "STRING" }],
 *   "demo/items",
 * );
 * assert(merged[0]?.type === "DOUBLE" && merged[1]?.name === "name");
 * ```
 */
export function mergeSchemas(a: Schema, b: Schema, stream: string): Schema {
  const types = new Map<string, ColumnType>();
  for (const c of a) types.set(c.name, c.type);
  for (const c of b) {
    const was = types.get(c.name);
    if (was === undefined) {
      types.set(c.name, c.type);
      continue;
    }
    const wider = widenType(was, c.type);
    if (wider === undefined) throw conflict(stream, c.name, was, c.type);
    types.set(c.name, wider);
  }
  return Array.from(types, ([name, type]) => ({ name, type }));
}
