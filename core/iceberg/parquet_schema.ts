/**
 * Parquet schemas that carry Iceberg field ids (the Parquet `field_id` of
 * each column, which readers match to the table schema), and the
 * `iceberg.schema` key-value Iceberg's own writers put in every data file.
 *
 * @module
 */
import type { KeyValue, SchemaElement } from "hyparquet-writer";
import type { IcebergField, IcebergSchema, IcebergType } from "./types.ts";

const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/;

/** Bytes a FIXED decimal of `precision` digits needs (the spec's minimum). */
function decimalBytes(precision: number): number {
  let bytes = 1;
  while (2 ** (8 * bytes - 1) <= 10 ** precision) bytes++;
  return bytes;
}

function primitive(
  name: string,
  type: string,
  fieldId: number,
  required: boolean,
): SchemaElement {
  const base = {
    name,
    field_id: fieldId,
    repetition_type: required ? "REQUIRED" : "OPTIONAL",
  } as const;
  const d = DECIMAL.exec(type);
  if (d) {
    const precision = Number(d[1]), scale = Number(d[2]);
    return {
      ...base,
      type: "FIXED_LEN_BYTE_ARRAY",
      type_length: decimalBytes(precision),
      converted_type: "DECIMAL",
      precision,
      scale,
      logical_type: { type: "DECIMAL", precision, scale },
    };
  }
  switch (type) {
    case "boolean":
      return { ...base, type: "BOOLEAN" };
    case "int":
      return { ...base, type: "INT32" };
    case "long":
      return { ...base, type: "INT64" };
    case "float":
      return { ...base, type: "FLOAT" };
    case "double":
      return { ...base, type: "DOUBLE" };
    case "date":
      return { ...base, type: "INT32", converted_type: "DATE" };
    case "string":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8" };
    case "binary":
      return { ...base, type: "BYTE_ARRAY" };
    case "timestamp":
    case "timestamptz":
      return {
        ...base,
        type: "INT64",
        converted_type: "TIMESTAMP_MICROS",
        logical_type: {
          type: "TIMESTAMP",
          isAdjustedToUTC: type === "timestamptz",
          unit: "MICROS",
        },
      };
  }
  throw new TypeError(
    `Cannot write the Iceberg type ${type} of ${
      JSON.stringify(name)
    } to Parquet`,
  );
}

function elements(
  name: string,
  type: IcebergType,
  id: number,
  required: boolean,
): SchemaElement[] {
  if (typeof type === "string") return [primitive(name, type, id, required)];
  if (type.type === "struct") {
    // A Parquet group; each field keeps its own field id.
    return [
      {
        name,
        field_id: id,
        repetition_type: required ? "REQUIRED" : "OPTIONAL",
        num_children: type.fields.length,
      },
      ...type.fields.flatMap((f) => elements(f.name, f.type, f.id, f.required)),
    ];
  }
  // The standard 3-level list; the element keeps its own field id.
  return [
    {
      name,
      field_id: id,
      repetition_type: required ? "REQUIRED" : "OPTIONAL",
      converted_type: "LIST",
      num_children: 1,
    },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    ...elements(
      "element",
      type.element,
      type["element-id"],
      type["element-required"],
    ),
  ];
}

/**
 * The flat Parquet schema (root first) of `schema`'s columns, each with its
 * field id, for hyparquet-writer's `schema` option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parquetSchema } from "./parquet_schema.ts";
 * const s = parquetSchema({
 *   fields: [{ id: 1, name: "id", required: true, type: "long" }],
 * });
 * assert.deepEqual(s[1], { name: "id", field_id: 1, repetition_type: "REQUIRED", type: "INT64" });
 * ```
 */
export function parquetSchema(
  schema: { readonly fields: readonly IcebergField[] },
): SchemaElement[] {
  const out: SchemaElement[] = [{
    name: "table",
    num_children: schema.fields.length,
  }];
  for (const f of schema.fields) {
    out.push(...elements(f.name, f.type, f.id, f.required));
  }
  return out;
}

/**
 * The `iceberg.schema` key-value for a data file's footer: the schema it
 * was written with, so a reader maps its columns by field id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { icebergSchemaKeyValue } from "./parquet_schema.ts";
 * const kv = icebergSchemaKeyValue({ type: "struct", "schema-id": 0, fields: [] });
 * assert.equal(kv.key, "iceberg.schema");
 * ```
 */
export function icebergSchemaKeyValue(schema: IcebergSchema): KeyValue {
  return { key: "iceberg.schema", value: JSON.stringify(schema) };
}
