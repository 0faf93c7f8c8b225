// The contract pulls' oracle must itself catch a wrong field, or their
// "every field as served" proves nothing.
import assert from "node:assert/strict";
import { assertSameRecords, difference } from "./_truth.ts";

const served = {
  id: 7,
  at: "2024-01-01T00:01:00Z",
  meta: { rank: 1, tags: ["a"] },
  gone: null,
};

Deno.test("truth: a record read back the way DuckDB hands it equals what was served", () => {
  const landed = {
    id: 7,
    at: new Date("2024-01-01T00:01:00.000Z"),
    meta: '{"rank":1,"tags":["a"]}',
  };
  assert.equal(difference(landed, served), undefined);
  assert.doesNotThrow(() => assertSameRecords("t", [landed], [served], ["id"]));
});

Deno.test("truth: any changed, extra or lost field is a difference", () => {
  const ok = {
    id: 7,
    at: new Date("2024-01-01T00:01:00Z"),
    meta: '{"rank":1,"tags":["a"]}',
  };
  const wrong = [
    { ...ok, id: 8 },
    { ...ok, at: new Date("2024-01-01T00:01:01Z") },
    { ...ok, meta: '{"rank":2,"tags":["a"]}' },
    { ...ok, meta: '{"rank":1,"tags":[]}' },
    { ...ok, meta: '{"rank":1}' },
    { ...ok, gone: 0 },
    { ...ok, extra: "x" },
    { id: 7, at: ok.at },
  ];
  for (const w of wrong) {
    assert.notEqual(difference(w, served), undefined, JSON.stringify(w));
  }
  assert.throws(
    () => assertSameRecords("t", [ok, ok], [served], ["id"]),
    /t: 2 records \(1 distinct keys\) landed, the server has 1/,
  );
  assert.throws(
    () => assertSameRecords("t", [wrong[2]!], [served], ["id"]),
    /a field differs from the server's: \["7"\]\.meta\.rank: /,
  );
});
