/**
 * Struct types in table schemas: nested fields have their own field ids,
 * kept as the struct widens field by field; a nested conflict names the
 * field's path; the Parquet schema carries every id.
 */
import assert from "node:assert/strict";
import { evolveSchema } from "../../../core/iceberg/schema.ts";
import { parquetSchema } from "../../../core/iceberg/parquet_schema.ts";
import { SchemaError } from "../../../core/connector/errors.ts";
import type { StructType } from "../../../core/iceberg/types.ts";

const user = (fields: { name: string; type: string }[]) => ({
  type: "struct" as const,
  fields,
});

Deno.test("evolveSchema: struct fields keep their ids; new nested fields get ids above last-column-id", () => {
  const first = evolveSchema(undefined, [
    { name: "id", type: "long" },
    { name: "user", type: user([{ name: "login", type: "string" }]) },
  ]);
  assert.deepEqual(first.schema.fields, [
    { id: 1, name: "id", required: false, type: "long" },
    {
      id: 2,
      name: "user",
      required: false,
      type: {
        type: "struct",
        fields: [{ id: 3, name: "login", required: false, type: "string" }],
      },
    },
  ]);
  // A dropped column once had id 4: new ids start above last-column-id.
  const next = evolveSchema(first.schema, [
    {
      name: "user",
      type: user([
        { name: "admin", type: "boolean" },
        { name: "login", type: "string" },
      ]),
    },
    { name: "count", type: "int" },
  ], { lastColumnId: 4 });
  assert(next.changed);
  assert.equal(next.lastColumnId, 6);
  const u = next.schema.fields[1]!;
  assert.equal(u.id, 2);
  assert.deepEqual(
    (u.type as StructType).fields.map((
      f,
    ) => [f.id, f.name]),
    [[3, "login"], [5, "admin"]],
  );
  assert.deepEqual(next.schema.fields.map((f) => [f.id, f.name]), [
    [1, "id"],
    [2, "user"],
    [6, "count"],
  ]);
  // Unchanged: the same schema, no new id.
  const same = evolveSchema(next.schema, [
    { name: "user", type: user([{ name: "login", type: "string" }]) },
  ], { lastColumnId: 6 });
  assert.equal(same.changed, false);
  // A nested field widens as a column does, and a conflict names its path.
  const wider = evolveSchema(next.schema, [
    { name: "count", type: "long" },
  ], { lastColumnId: 6 });
  assert.equal(wider.schema.fields[2]!.type, "long");
  assert.throws(
    () =>
      evolveSchema(next.schema, [
        { name: "user", type: user([{ name: "login", type: "long" }]) },
      ], { table: '"gh/issues"' }),
    (err: unknown) =>
      err instanceof SchemaError &&
      /"gh\/issues": field "user\.login" was string, now long/.test(
        err.message,
      ),
  );
  assert.throws(
    () => evolveSchema(next.schema, [{ name: "user", type: "string" }]),
    /field "user" was struct<login: string, admin: boolean>, now string/,
  );
});

Deno.test("parquetSchema: a struct is a group with its field id, its fields follow with theirs", () => {
  const { schema } = evolveSchema(undefined, [
    {
      name: "user",
      type: user([{ name: "login", type: "string" }, {
        name: "id",
        type: "long",
      }]),
    },
  ]);
  assert.deepEqual(parquetSchema(schema).slice(1), [
    { name: "user", field_id: 1, repetition_type: "OPTIONAL", num_children: 2 },
    {
      name: "login",
      field_id: 2,
      repetition_type: "OPTIONAL",
      type: "BYTE_ARRAY",
      converted_type: "UTF8",
    },
    { name: "id", field_id: 3, repetition_type: "OPTIONAL", type: "INT64" },
  ]);
});
