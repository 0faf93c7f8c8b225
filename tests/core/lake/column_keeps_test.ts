import assert from "node:assert/strict";
import fc from "fast-check";
import { columnKeeps } from "../../../core/lake/_column_keeps.ts";
import { valueType, widenType } from "../../../core/lake/schema.ts";

const TYPES = [
  "STRING",
  "TIMESTAMP",
  "INT64",
  "DOUBLE",
  "BOOLEAN",
  "DECIMAL",
  "JSON",
  "LIST<STRING>",
  "LIST<INT64>",
  'STRUCT<[["a","INT64"]]>',
] as const;

const scalar = fc.oneof(
  fc.string(),
  fc.constantFrom("2024-01-02T03:04:05Z", "2024-02-30T00:00:00Z", "x"),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 63, -(2 ** 63), 2 ** 53 + 2, 9007199254740993n),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const value = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 4 }),
  fc.record({ a: scalar }),
);

Deno.test("columnKeeps: a value kept as it is is one inference would not widen the column for", () => {
  fc.assert(
    fc.property(fc.constantFrom(...TYPES), value, (was, v) => {
      if (!columnKeeps(was, v)) return;
      let t;
      try {
        t = valueType(v);
      } catch {
        assert.fail(`kept ${String(v)} in ${was}, which no column holds`);
      }
      assert.equal(widenType(was, t), was, `${was} with ${String(v)}`);
    }),
    { seed: 14, numRuns: 3000 },
  );
});

Deno.test("columnKeeps: a timestamp column still parses every string", () => {
  // Kept only when the text parses: anything else widens the column.
  assert.equal(columnKeeps("TIMESTAMP", "2024-01-02T03:04:05Z"), true);
  assert.equal(columnKeeps("TIMESTAMP", "2024-02-30T03:04:05Z"), false);
  assert.equal(columnKeeps("TIMESTAMP", "soon"), false);
  assert.equal(columnKeeps("INT64", 2 ** 63), false);
  assert.equal(columnKeeps("LIST<STRING>", ["a", 1]), false);
});
