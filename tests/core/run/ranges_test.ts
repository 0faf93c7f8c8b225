import assert from "node:assert/strict";
import {
  fromNum,
  type NumRange,
  remaining,
  splitRange,
  toNum,
} from "../../../core/run/_ranges.ts";

/** Every integer of `r`, in order. */
function members(r: NumRange): number[] {
  const out: number[] = [];
  for (let v = r.gte; v < r.lt; v++) out.push(v);
  return out;
}

/** A small deterministic generator, so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

Deno.test("splitRange: adjacent parts, no gap, no overlap, none empty", () => {
  const cases: Array<[NumRange, number]> = [
    [{ gte: 0, lt: 10 }, 3],
    [{ gte: 0, lt: 10 }, 10],
    [{ gte: 0, lt: 10 }, 64],
    [{ gte: -7, lt: 5 }, 5],
    [{ gte: 1704067200, lt: 1704067200 + 333_334 }, 8],
    [{ gte: 5, lt: 6 }, 4],
  ];
  for (const [range, parts] of cases) {
    const out = splitRange(range, parts);
    assert.equal(out.length, Math.min(parts, range.lt - range.gte));
    assert.equal(out[0]!.gte, range.gte);
    assert.equal(out.at(-1)!.lt, range.lt);
    for (let i = 0; i < out.length; i++) {
      assert.ok(out[i]!.gte < out[i]!.lt, `part ${i} of ${parts} is empty`);
      if (i > 0) assert.equal(out[i]!.gte, out[i - 1]!.lt, "gap or overlap");
    }
    // Sizes differ by at most one: partitions start evenly loaded.
    const sizes = out.map((r) => r.lt - r.gte);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${sizes}`);
  }
});

Deno.test("splitRange: an empty or inverted range has no parts", () => {
  assert.deepEqual(splitRange({ gte: 3, lt: 3 }, 4), []);
  assert.deepEqual(splitRange({ gte: 4, lt: 3 }, 4), []);
});

Deno.test("splitRange: randomized, the parts cover each value exactly once", () => {
  const random = lcg(7);
  for (let k = 0; k < 300; k++) {
    const gte = Math.floor(random() * 1000) - 500;
    const range = { gte, lt: gte + 1 + Math.floor(random() * 200) };
    const parts = 1 + Math.floor(random() * 40);
    const seen = splitRange(range, parts).flatMap(members);
    assert.deepEqual(seen, members(range));
  }
});

Deno.test("remaining: the boundary value stays in, what was passed goes", () => {
  assert.deepEqual(remaining({ gte: 0, lt: 100 }, 60, "desc"), {
    gte: 0,
    lt: 61,
  });
  assert.deepEqual(remaining({ gte: 0, lt: 100 }, 60, "asc"), {
    gte: 60,
    lt: 100,
  });
  // At the range's own edge nothing is lost either.
  assert.deepEqual(remaining({ gte: 0, lt: 100 }, 99, "desc"), {
    gte: 0,
    lt: 100,
  });
  assert.deepEqual(remaining({ gte: 0, lt: 100 }, 0, "asc"), {
    gte: 0,
    lt: 100,
  });
});

/**
 * The split protocol of a dense lane, as the engine runs it: a lane pages
 * through its range in `order`, `page` records at a time; after some pages
 * the rest of its range (`remaining`) is split in two, and the half that
 * holds the last value seen skips the records of that value already landed.
 * Whatever the records, the page size and the moment of the split, every
 * record lands exactly once.
 */
Deno.test("a split at any page lands every record exactly once (both orders)", () => {
  const random = lcg(11);
  for (let k = 0; k < 400; k++) {
    const order = k % 2 === 0 ? "desc" : "asc";
    const range = { gte: 0, lt: 5 + Math.floor(random() * 40) };
    // Records with duplicate field values, as many share a second.
    const records: Array<{ id: number; v: number }> = [];
    let id = 0;
    for (let v = range.gte; v < range.lt; v++) {
      const n = Math.floor(random() * 4); // 0..3 records per value
      for (let j = 0; j < n; j++) records.push({ id: id++, v });
    }
    const inOrder = (r: NumRange) =>
      records.filter((x) => x.v >= r.gte && x.v < r.lt).sort((a, b) =>
        order === "desc" ? b.v - a.v || b.id - a.id : a.v - b.v || a.id - b.id
      );
    const page = 1 + Math.floor(random() * 4);
    const all = inOrder(range);
    const pages = Math.max(
      1,
      Math.min(Math.ceil(all.length / page), 1 + Math.floor(random() * 5)),
    );
    const landed = all.slice(0, pages * page);
    const last = landed.at(-1);
    const out = [...landed];
    if (last && landed.length < all.length) {
      const keys = new Set(
        landed.filter((x) => x.v === last.v).map((x) => x.id),
      );
      for (const half of splitRange(remaining(range, last.v, order), 2)) {
        const holds = half.gte <= last.v && last.v < half.lt;
        for (const x of inOrder(half)) {
          if (holds && x.v === last.v && keys.has(x.id)) continue;
          out.push(x);
        }
      }
    } else {
      out.push(...all.slice(landed.length));
    }
    const ids = out.map((x) => x.id).sort((a, b) => a - b);
    assert.deepEqual(ids, records.map((x) => x.id), `case ${k} (${order})`);
  }
});

Deno.test("toNum and fromNum round-trip each kind", () => {
  assert.equal(toNum("2024-01-01T00:00:00Z", "iso"), Date.UTC(2024, 0, 1));
  assert.equal(
    fromNum(toNum("2024-01-01T00:00:00.250Z", "iso"), "iso"),
    "2024-01-01T00:00:00.250Z",
  );
  assert.equal(toNum("1704067200", "unix"), 1704067200);
  assert.equal(fromNum(1704067200, "unix"), "1704067200");
  assert.equal(toNum(42, "int"), 42);
  assert.throws(() => toNum("soon", "iso"), RangeError);
  assert.throws(() => toNum("1.5", "int"), RangeError);
});
