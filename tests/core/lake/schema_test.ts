import assert from "node:assert/strict";
import { SchemaError } from "../../../core/connector/errors.ts";
import {
  type ColumnType,
  inferSchema,
  mergeSchemas,
  parseTimestamp,
  valueType,
  widenType,
} from "../../../core/lake/schema.ts";

Deno.test("valueType: one value", () => {
  const cases: Array<[unknown, ColumnType]> = [
    [0, "INT64"],
    [-42, "INT64"],
    [2 ** 53 + 2, "INT64"],
    [2 ** 64, "DOUBLE"],
    [1.5, "DOUBLE"],
    [12n, "INT64"],
    ["x", "STRING"],
    ["", "STRING"],
    ["2024-01-02T03:04:05Z", "TIMESTAMP"],
    ["2024-01-02 03:04:05Z", "STRING"],
    ["2024-01-02", "STRING"],
    [new Date(0), "TIMESTAMP"],
    [true, "BOOLEAN"],
    [null, "NULL"],
    [undefined, "NULL"],
    [[], "LIST<NULL>"],
    [[null], "LIST<NULL>"],
    [[1, 2], "LIST<INT64>"],
    [[1, 2.5], "LIST<DOUBLE>"],
    [["a", null], "LIST<STRING>"],
    [["2024-01-02T03:04:05Z", "b"], "LIST<STRING>"],
    [[true], "LIST<BOOLEAN>"],
    [[1, "a"], "JSON"],
    [[[1]], "JSON"],
    [[{ a: 1 }], "JSON"],
    // Nested objects are structs (they were JSON text before Iceberg structs).
    [{ a: 1 }, 'STRUCT<[["a","INT64"]]>'],
    [{ a: { b: null } }, 'STRUCT<[["a","STRUCT<[[\\"b\\",\\"NULL\\"]]>"]]>'],
    [{}, "STRUCT<[]>"],
    [{ "": 1 }, "JSON"],
    [{ toJSON: () => 1 }, "JSON"],
    [new Map(), "JSON"],
  ];
  for (const [value, type] of cases) {
    assert.equal(
      valueType(value),
      type,
      `valueType(${JSON.stringify(String(value))})`,
    );
  }
  assert.throws(() => valueType(() => 1), TypeError);
});

Deno.test("parseTimestamp: strict ISO-8601 to UTC microseconds", () => {
  const ok: Array<[string, bigint]> = [
    ["1970-01-01T00:00:00Z", 0n],
    ["1970-01-01T00:00:00", 0n],
    ["1970-01-01T00:00:00.000001Z", 1n],
    ["1970-01-01T00:00:00.123456789Z", 123_456n],
    ["1970-01-01T00:00:01.5Z", 1_500_000n],
    ["1970-01-01T02:00:00+02:00", 0n],
    ["1969-12-31T19:00:00-05:00", 0n],
    ["2024-02-29T12:00:00Z", BigInt(Date.UTC(2024, 1, 29, 12)) * 1000n],
    ["2000-02-29T00:00:00Z", BigInt(Date.UTC(2000, 1, 29)) * 1000n],
    ["0001-01-01T00:00:00Z", -62135596800000000n],
  ];
  for (const [text, micros] of ok) {
    assert.equal(parseTimestamp(text), micros, text);
  }
  const bad = [
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2024-04-31T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-00-01T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T23:60:00Z",
    "2024-01-01T23:59:60Z",
    "2024-01-01t00:00:00z",
    "2024-01-01T00:00:00+0100",
    "2024-01-01T00:00:00.Z",
    "2024-01-01T00:00Z",
    " 2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00Z ",
    "20240101T000000Z",
  ];
  for (const text of bad) assert.equal(parseTimestamp(text), undefined, text);
});

Deno.test("widenType: only lossless widenings", () => {
  const cases: Array<[ColumnType, ColumnType, ColumnType | undefined]> = [
    ["INT64", "DOUBLE", "DOUBLE"],
    ["DOUBLE", "INT64", "DOUBLE"],
    ["NULL", "TIMESTAMP", "TIMESTAMP"],
    ["JSON", "NULL", "JSON"],
    ["TIMESTAMP", "STRING", "STRING"],
    ["LIST<NULL>", "LIST<INT64>", "LIST<INT64>"],
    ["LIST<INT64>", "LIST<DOUBLE>", "LIST<DOUBLE>"],
    ["LIST<INT64>", "LIST<BOOLEAN>", "JSON"],
    ["LIST<STRING>", "JSON", "JSON"],
    ["DOUBLE", "STRING", undefined],
    ["INT64", "BOOLEAN", undefined],
    ["STRING", "JSON", undefined],
    ["LIST<INT64>", "INT64", undefined],
    ["TIMESTAMP", "INT64", undefined],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(widenType(a, b), want, `${a} + ${b}`);
  }
});

Deno.test("inferSchema: first-seen order, widened types, nulls", () => {
  const schema = inferSchema([
    { id: 1, score: 3, name: null },
    { id: 2, score: 4.5, name: "b", tags: [] },
    {
      id: 3,
      name: "c",
      tags: ["x"],
      at: "2024-01-02T03:04:05.123+01:00",
      ok: false,
      extra: { a: [1] },
    },
    { id: 4, never: null },
  ], { stream: "demo/items" });
  assert.deepEqual(schema, [
    { name: "id", type: "INT64" },
    { name: "score", type: "DOUBLE" },
    { name: "name", type: "STRING" },
    { name: "tags", type: "LIST<STRING>" },
    { name: "at", type: "TIMESTAMP" },
    { name: "ok", type: "BOOLEAN" },
    { name: "extra", type: 'STRUCT<[["a","LIST<INT64>"]]>' },
    { name: "never", type: "NULL" },
  ]);
});

Deno.test("inferSchema: a column mixing timestamps and other strings is STRING", () => {
  const schema = inferSchema([{ at: "2024-01-02T03:04:05Z" }, { at: "soon" }], {
    stream: "s/t",
  });
  assert.deepEqual(schema, [{ name: "at", type: "STRING" }]);
});

Deno.test("inferSchema: a conflict names field, both types and stream", () => {
  assert.throws(
    () =>
      inferSchema([{ id: 1, score: 1.5 }, { id: 2, score: "high" }], {
        stream: "demo/items",
      }),
    (err: unknown) =>
      err instanceof SchemaError &&
      err.message === 'field "score" was DOUBLE, now STRING in "demo/items"',
  );
  assert.throws(
    () => inferSchema([{ flag: true }, { flag: 1 }], { stream: "demo/items" }),
    /field "flag" was BOOLEAN, now INT64 in "demo\/items"/,
  );
  assert.throws(
    () =>
      inferSchema([{ o: [1, "a"] }, { o: "text" }], { stream: "demo/items" }),
    /field "o" was JSON, now STRING/,
  );
  assert.throws(
    () =>
      inferSchema([{ o: { a: 1 } }, { o: "text" }], { stream: "demo/items" }),
    /field "o" was STRUCT<\[\["a","INT64"\]\]>, now STRING/,
  );
});

Deno.test("inferSchema: base columns come first and are widened, not replaced", () => {
  const schema = inferSchema([{ b: 1, a: 2.5 }], {
    stream: "s/t",
    base: [{ name: "a", type: "INT64" }, { name: "z", type: "NULL" }],
  });
  assert.deepEqual(schema, [
    { name: "a", type: "DOUBLE" },
    { name: "z", type: "NULL" },
    { name: "b", type: "INT64" },
  ]);
  assert.throws(
    () =>
      inferSchema([{ a: "x" }], {
        stream: "s/t",
        base: [{ name: "a", type: "INT64" }],
      }),
    /field "a" was INT64, now STRING in "s\/t"/,
  );
});

Deno.test("inferSchema: a record that is not an object is a TypeError naming the stream", () => {
  for (const bad of [null, [1], "x", 3]) {
    assert.throws(
      () =>
        inferSchema([bad as unknown as Record<string, unknown>], {
          stream: "demo/items",
        }),
      (err: unknown) =>
        err instanceof TypeError && err.message.includes('"demo/items"'),
    );
  }
});

Deno.test("mergeSchemas: widens, appends, and names conflicts", () => {
  assert.deepEqual(
    mergeSchemas(
      [{ name: "a", type: "NULL" }, { name: "b", type: "INT64" }],
      [{ name: "c", type: "BOOLEAN" }, { name: "b", type: "DOUBLE" }, {
        name: "a",
        type: "STRING",
      }],
      "s/t",
    ),
    [{ name: "a", type: "STRING" }, { name: "b", type: "DOUBLE" }, {
      name: "c",
      type: "BOOLEAN",
    }],
  );
  assert.throws(
    () =>
      mergeSchemas([{ name: "a", type: "TIMESTAMP" }], [{
        name: "a",
        type: "BOOLEAN",
      }], "s/t"),
    /field "a" was TIMESTAMP, now BOOLEAN in "s\/t"/,
  );
});

Deno.test("inferSchema: a struct column takes objects that fit it as they are, and widens, adds fields or turns JSON for those that do not", () => {
  const infer = (rows: Record<string, unknown>[]) =>
    inferSchema(rows, {
      stream: "s/t",
      base: [{ name: "s", type: 'STRUCT<[["a","DOUBLE"],["b","JSON"]]>' }],
    })[0]?.type;
  // Fits: fewer keys, a narrower number, any value where JSON is.
  assert.equal(
    infer([{ s: { a: 1 } }, { s: { b: [1, "x"] } }, { s: {} }, { s: null }]),
    'STRUCT<[["a","DOUBLE"],["b","JSON"]]>',
  );
  assert.equal(
    infer([{ s: { a: 1, c: true } }]),
    'STRUCT<[["a","DOUBLE"],["b","JSON"],["c","BOOLEAN"]]>',
  );
  assert.equal(infer([{ s: { a: "x" } }]), "JSON");
  assert.throws(
    () => infer([{ s: { a: 2n ** 130n } }]),
    (err: unknown) =>
      err instanceof SchemaError &&
      /field "s" cannot be stored in "s\/t"/.test(err.message),
  );
});
