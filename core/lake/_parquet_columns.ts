/**
 * Our column types as Parquet schema elements, and rows as the column arrays
 * hyparquet-writer encodes.
 *
 * @module
 */
import type { ColumnSource, SchemaElement } from "hyparquet-writer";
import {
  type Column,
  type ColumnType,
  parseTimestamp,
  type Schema,
} from "./schema.ts";
import { typedFields } from "../iceberg/lake_columns.ts";
import { exactJson } from "../connector/exact_json.ts";
import { describe, RowFailure } from "./_row_failure.ts";
import type { Row } from "../connector/types.ts";
import { utf8Length } from "./_utf8_length.ts";

const DECIMAL_PS = /^DECIMAL\((\d+),(\d+)\)$/;

function decimalElement(
  name: string,
  precision: number,
  scale: number,
): SchemaElement {
  const decimal = {
    name,
    repetition_type: "OPTIONAL",
    converted_type: "DECIMAL",
    precision,
    scale,
    logical_type: { type: "DECIMAL", precision, scale },
  } as const;
  // The physical types the Iceberg spec asks for: the values are unscaled
  // bigints (see `declared_columns.ts`), written as they are.
  if (precision <= 9) return { ...decimal, type: "INT32" };
  if (precision <= 18) return { ...decimal, type: "INT64" };
  return { ...decimal, type: "FIXED_LEN_BYTE_ARRAY", type_length: 16 };
}

function scalarElement(name: string, type: ColumnType): SchemaElement {
  const repetition_type = "OPTIONAL";
  const d = DECIMAL_PS.exec(type);
  if (d) return decimalElement(name, Number(d[1]), Number(d[2]));
  switch (type) {
    case "BOOLEAN":
    case "INT64":
    case "DOUBLE":
    case "INT32":
    case "FLOAT":
      return { name, type, repetition_type };
    case "DATE":
      return { name, type: "INT32", converted_type: "DATE", repetition_type };
    case "DECIMAL":
      // Integers beyond INT64, every digit kept: DuckDB reads DECIMAL(38,0).
      return decimalElement(name, 38, 0);
    case "TIMESTAMP":
      // UTC instants: DuckDB reads TIMESTAMP WITH TIME ZONE, Spark a TimestampType,
      // Polars Datetime("us", "UTC"). The converted type is for older readers.
      return {
        name,
        type: "INT64",
        repetition_type,
        converted_type: "TIMESTAMP_MICROS",
        logical_type: {
          type: "TIMESTAMP",
          isAdjustedToUTC: true,
          unit: "MICROS",
        },
      };
    case "JSON":
      return {
        name,
        type: "BYTE_ARRAY",
        converted_type: "JSON",
        repetition_type,
      };
    default:
      // STRING, and NULL only inside a list (all lists empty so far): an
      // empty list of strings is still an empty list to every reader.
      return {
        name,
        type: "BYTE_ARRAY",
        converted_type: "UTF8",
        repetition_type,
      };
  }
}

/**
 * The columns a file really stores. A column that is null everywhere so far
 * has no type yet and is left out, as dlt does: a reader combining files by
 * name (`union_by_name`) then takes its type from the files with values,
 * where a placeholder type would have widened it (to VARCHAR) or, with
 * Parquet's null logical type, confused DuckDB (1.5) into dropping values.
 * A struct none of whose fields has a type yet waits the same way. Only
 * when no column has a type are they stored as strings, so the file still
 * has a column for readers.
 */
export function fileColumns(schema: Schema): Schema {
  const typed = schema.filter((c) =>
    c.type !== "NULL" && typedFields(c.type)?.length !== 0
  );
  return typed.length > 0 || schema.length === 0
    ? typed
    : schema.map(({ name }) => ({ name, type: "STRING" }));
}

/** A struct column's stored fields, with their field ids when known. */
export function structColumns(column: Column): Column[] {
  const ids = new Map((column.fields ?? []).map((f) => [f.name, f]));
  return (typedFields(column.type) ?? []).map(([name, type]) =>
    ids.get(name) ?? { name, type }
  );
}

// Iceberg readers match a file's columns to the table by these ids.
const id = (fieldId: number | undefined) =>
  fieldId === undefined ? {} : { field_id: fieldId };

/** One column's Parquet schema elements (a group's children follow it). */
function columnElements(column: Column): SchemaElement[] {
  const { name, type, fieldId, elementId } = column;
  if (type.startsWith("STRUCT<")) {
    const fields = structColumns(column);
    return [
      {
        name,
        repetition_type: "OPTIONAL",
        num_children: fields.length,
        ...id(fieldId),
      },
      ...fields.flatMap(columnElements),
    ];
  }
  if (type.startsWith("LIST<")) {
    // The standard 3-level list: every reader maps it to a native list.
    return [
      {
        name,
        repetition_type: "OPTIONAL",
        converted_type: "LIST",
        num_children: 1,
        ...id(fieldId),
      },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      {
        ...scalarElement("element", type.slice(5, -1) as ColumnType),
        ...id(elementId),
      },
    ];
  }
  return [{ ...scalarElement(name, type), ...id(fieldId) }];
}

/** The flat Parquet schema (root first) for the columns of a file. */
export function schemaElements(schema: Schema): SchemaElement[] {
  return [
    { name: "root", num_children: schema.length },
    ...schema.flatMap(columnElements),
  ];
}

type Convert = (value: unknown) => unknown;

function timestamp(value: unknown): unknown {
  if (value instanceof Date) return BigInt(value.getTime()) * 1000n;
  // Declared epoch columns arrive as microseconds already.
  if (typeof value === "bigint") return value;
  return parseTimestamp(value as string);
}

/**
 * A struct's values as objects of its stored fields, each converted as its
 * column would be (JSON text as UTF-8 bytes, which the group writer takes
 * as they are). A field that cannot be converted names its path.
 */
function struct(column: Column): Convert {
  const fields = structColumns(column).map((f) => {
    const convert = converter(f.type, f);
    // Text as UTF-8 bytes, as a column of its own would be (and as the
    // struct's typed columns give it): the same file either way.
    const utf8 = (v: unknown) => typeof v === "string" ? encoder.encode(v) : v;
    return {
      name: f.name,
      convert: f.type === "JSON" || f.type === "STRING"
        ? (v: unknown) => utf8(convert(v))
        : f.type === "LIST<STRING>"
        ? (v: unknown) => (convert(v) as unknown[]).map(utf8)
        : convert,
    };
  });
  return (value) => {
    const v = value as Row;
    const out: Row = {};
    for (const { name, convert } of fields) {
      const x = v[name];
      try {
        out[name] = x === null || x === undefined ? null : convert(x);
      } catch (err) {
        throw new Error(`.${name}: ${describe(err)}`, { cause: err });
      }
    }
    return out;
  };
}

function converter(type: ColumnType, column?: Column): Convert {
  if (type.startsWith("STRUCT<")) return struct(column ?? { name: "", type });
  if (type.startsWith("DECIMAL(")) return (v) => v; // an unscaled bigint
  switch (type) {
    case "INT32":
    case "FLOAT":
    case "DATE":
      // Declared columns, converted and checked already (a number each).
      return (v) => v;
    case "INT64":
    case "DECIMAL":
      return (v) => (typeof v === "bigint" ? v : BigInt(v as number));
    case "DOUBLE":
      return double;
    case "TIMESTAMP":
      return timestamp;
    case "STRING":
      // A STRING column may have met Dates (it widened from TIMESTAMP).
      return (v) => (v instanceof Date ? v.toISOString() : v);
    case "JSON":
      // Bigints with every digit, Dates as ISO strings.
      return exactJson;
    case "BOOLEAN":
      return (v) => v;
    case "NULL":
      return () => null;
  }
  const element = converter(type.slice(5, -1) as ColumnType);
  return (v) =>
    (v as unknown[]).map((item) =>
      item === null || item === undefined ? null : element(item)
    );
}

/** A number, or a bigint only when a DOUBLE holds it exactly: never rounded. */
function double(value: unknown): number {
  const n = Number(value);
  if (typeof value === "bigint" && BigInt(n) !== value) {
    throw new RangeError(
      `${value} is not exact as a DOUBLE (the column holds fractions too)`,
    );
  }
  return n;
}

const encoder = new TextEncoder();

/**
 * Every string of `values` as UTF-8 bytes, encoded in one call (a call per
 * value costs more than the encoding); other values unchanged. The bytes
 * are views into one buffer.
 */
function utf8All(values: unknown[]): void {
  const lengths: number[] = [];
  const strings: string[] = [];
  for (const v of values) {
    if (typeof v !== "string") continue;
    const n = utf8Length(v);
    if (n < 0) {
      // A lone surrogate could pair up with its neighbour once joined.
      for (let i = 0; i < values.length; i++) {
        const s = values[i];
        if (typeof s === "string") values[i] = encoder.encode(s);
      }
      return;
    }
    lengths.push(n);
    strings.push(v);
  }
  const bytes = encoder.encode(strings.join(""));
  let at = 0;
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== "string") continue;
    const n = lengths[k++]!;
    values[i] = bytes.subarray(at, at + n);
    at += n;
  }
}

/** Lists' string elements as UTF-8 bytes, encoded in one call. */
function utf8Lists(values: unknown[]): void {
  const flat: unknown[] = [];
  for (const list of values) {
    if (!Array.isArray(list)) continue;
    for (let j = 0; j < list.length; j++) flat.push(list[j]);
  }
  utf8All(flat);
  let k = 0;
  for (const list of values) {
    // The converter made these lists: filling them in place is safe.
    if (!Array.isArray(list)) continue;
    for (let j = 0; j < list.length; j++) list[j] = flat[k++];
  }
}

/**
 * Rows as one array per column, values converted to what the Parquet type
 * stores (bigint for INT64, UTC microseconds for TIMESTAMP, UTF-8 bytes for
 * strings and JSON text). Every row must already fit `schema` (the writer
 * checks before it buffers); a value that still cannot be converted throws
 * a `RowFailure` naming its row.
 */
export function columnData(
  schema: Schema,
  rows: readonly Row[],
): ColumnSource[] {
  return schema.map((column) => {
    const { name, type } = column;
    const convert = converter(type, column);
    const data = new Array<unknown>(rows.length);
    let i = 0;
    try {
      for (; i < rows.length; i++) {
        const v = (rows[i] as Row)[name];
        data[i] = v === null || v === undefined ? null : convert(v);
      }
    } catch (err) {
      // A value too deep to stringify, say: the writer names its page.
      throw new RowFailure(
        i,
        `field ${JSON.stringify(name)} cannot be stored as ${type} (${
          describe(err)
        })`,
        { cause: err },
      );
    }
    if (type === "STRING" || type === "JSON") utf8All(data);
    else if (type === "LIST<STRING>") utf8Lists(data);
    return { name, data } as ColumnSource;
  });
}
