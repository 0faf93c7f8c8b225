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

/** Microseconds of `text` by `Date` (an independent count of days), or NaN. */
function byDate(text: string): number {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/
      .exec(text);
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as number[];
  const date = new Date(0);
  date.setUTCFullYear(y!, mo! - 1, d!);
  // Date rolls February 30 over into March: the text was no date.
  if (date.getUTCMonth() !== mo! - 1 || date.getUTCDate() !== d!) return NaN;
  date.setUTCHours(h!, mi!, s!, 0);
  const zone = m[8] ?? "Z";
  const offset = zone === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) *
    (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const micros = Number((m[7] ?? "").padEnd(6, "0").slice(0, 6));
  return (date.getTime() - offset * 60_000) * 1000 + micros;
}

Deno.test("timestampMicros: one text after another (days counted once a date) agrees with Date, impossible dates included", () => {
  // Dates near each other, so consecutive texts often share a day.
  const near = fc.record({
    year: fc.constantFrom(1900, 1970, 2000, 2023, 2024, 2100),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 27, max: 31 }),
    time: fc.constantFrom("00:00:00Z", "12:34:56.789Z", "23:59:59+02:00"),
  }).map((t) => `${t.year}-${pad(t.month, 2)}-${pad(t.day, 2)}T${t.time}`);
  fc.assert(
    fc.property(fc.array(fc.oneof(near, iso), { maxLength: 30 }), (texts) => {
      for (const text of texts) {
        const want = byDate(text);
        const got = timestampMicros(text);
        if (Number.isNaN(want)) assert(Number.isNaN(got), text);
        else if (Number.isSafeInteger(got)) assert.equal(got, want, text);
      }
    }),
    { seed: 1414, numRuns: 2000 },
  );
});
