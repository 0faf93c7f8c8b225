import assert from "node:assert/strict";
import fc from "fast-check";
import { MicrosFiller } from "../../../core/lake/_column_fillers.ts";
import { columnValues } from "../../../core/lake/_column_group.ts";
import {
  parseTimestamp,
  timestampMicros,
} from "../../../core/lake/parse_timestamp.ts";

const pad = (n: number, w: number) => String(n).padStart(w, "0");

/** ISO date-times over the whole range, any fraction, any offset form. */
const iso = fc.record({
  year: fc.integer({ min: 0, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
  zone: fc.constantFrom("Z", "", "+05:30", "-11:45", "+00:00"),
}).map((t) =>
  `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.hour, 2)}:${
    pad(t.minute, 2)
  }:${pad(t.second, 2)}${
    t.fraction === undefined ? "" : "." + t.fraction
  }${t.zone}`
);

Deno.test("timestampMicros: exactly parseTimestamp's microseconds when safe, a not-safe number past that, NaN where it has none", () => {
  fc.assert(
    fc.property(fc.oneof(iso, fc.string()), (text) => {
      const exact = parseTimestamp(text);
      const n = timestampMicros(text);
      if (exact === undefined) return assert(Number.isNaN(n), text);
      if (Number.isSafeInteger(n)) assert.equal(BigInt(n), exact, text);
      else {
        assert(
          exact > BigInt(Number.MAX_SAFE_INTEGER) ||
            exact < -BigInt(Number.MAX_SAFE_INTEGER),
          text,
        );
      }
    }),
    { seed: 1414, numRuns: 5000 },
  );
});

Deno.test("MicrosFiller: microseconds beyond INT64 are refused, never wrapped", () => {
  const f = new MicrosFiller();
  assert.throws(() => f.push(2n ** 63n), RangeError);
  f.push(2n ** 63n - 1n);
  f.push("9999-12-31T23:59:59.999999Z");
  f.push("2024-01-02T03:04:05.000006Z");
  const built = f.take();
  assert.equal(built.kind, "micros");
  assert.deepEqual(columnValues(built, 3), [
    2n ** 63n - 1n,
    parseTimestamp("9999-12-31T23:59:59.999999Z"),
    1704164645000006n,
  ]);
});
