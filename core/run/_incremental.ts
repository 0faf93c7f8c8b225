/**
 * Incremental helpers of a stream run: ordering cursor values and the
 * filter value a new sweep starts from.
 *
 * @module
 */

import { ConfigError } from "../connector/errors.ts";

const NUMERIC = /^-?\d+(?:\.\d+)?$/;

/**
 * Orders two cursor values: numbers (and bigints, exactly) numerically,
 * dates by time, anything else as strings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareCursor } from "./_incremental.ts";
 * assert.ok(compareCursor(9, 10) < 0);
 * assert.ok(compareCursor(9007199254740993n, 9007199254740992) > 0);
 * assert.ok(compareCursor("2024-01-02T00:00:00Z", "2024-01-01") > 0);
 * assert.equal(compareCursor("b", "b"), 0);
 * assert.ok(compareCursor("13", "9") > 0);
 * ```
 */
export function compareCursor(
  a: string | number | bigint,
  b: string | number | bigint,
): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a !== "string" && typeof b !== "string") return exactOrder(a, b);
  // Date.parse takes "10" and "9" for dates, and "13" for nothing.
  if (NUMERIC.test(String(a)) && NUMERIC.test(String(b))) {
    return Number(a) - Number(b);
  }
  const ta = Date.parse(String(a)), tb = Date.parse(String(b));
  if (Number.isFinite(ta) && Number.isFinite(tb)) return ta - tb;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The order of two numbers, one a bigint: exact, no double in between. */
function exactOrder(a: number | bigint, b: number | bigint): number {
  const whole = (x: number | bigint) =>
    typeof x === "bigint" ? x : BigInt(Math.floor(x));
  const part = (x: number | bigint) =>
    typeof x === "bigint" ? 0 : x - Math.floor(x);
  const wa = whole(a), wb = whole(b);
  if (wa !== wb) return wa < wb ? -1 : 1;
  return Math.sign(part(a) - part(b));
}

/**
 * The filter value of a new incremental sweep: the bookmark minus the
 * lookback. With `format` `"auto"` the value goes back in the very shape the
 * source wrote it (a server comparing strings skips `…19.500Z` for a
 * `…19Z`): unchanged without lookback, else shifted and written alike,
 * rounded down to the precision shown (earlier only re-reads, which `merge`
 * dedups). `"iso"` and `"unix"` convert.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sinceFrom } from "./_incremental.ts";
 * assert.equal(sinceFrom(1000, 60, "auto"), 940);
 * assert.equal(sinceFrom("2024-01-01T00:01:00.000Z", 0, "auto"), "2024-01-01T00:01:00.000Z");
 * assert.equal(sinceFrom("2024-01-01T00:01:00.000Z", 60, "auto"), "2024-01-01T00:00:00.000Z");
 * assert.equal(sinceFrom("2024-01-01 00:01:00+02:00", 90, "auto"), "2023-12-31 23:59:30+02:00");
 * assert.equal(sinceFrom("2024-01-01T00:01:00.5Z", 0.6, "auto"), "2024-01-01T00:00:59.9Z");
 * assert.equal(sinceFrom("2024-01-01T00:01:00Z", 60, "iso"), "2024-01-01T00:00:00Z");
 * assert.equal(sinceFrom("2024-01-01T00:01:00Z", 0, "unix"), 1704067260);
 * ```
 */
export function sinceFrom(
  bookmark: string | number | bigint,
  lookback: number,
  format: "iso" | "unix" | "auto",
): string | number | bigint {
  // An id beyond 2^53 (no date): exact arithmetic, never through a double.
  if (typeof bookmark === "bigint") return bookmark - BigInt(lookback);
  if (typeof bookmark === "number") {
    const v = bookmark - lookback;
    return format === "iso" ? new Date(v * 1000).toISOString() : v;
  }
  if (format === "auto") {
    if (lookback === 0) return bookmark;
    if (NUMERIC.test(bookmark)) return String(Number(bookmark) - lookback);
    return shiftAlike(bookmark, lookback);
  }
  const ms = Date.parse(bookmark);
  if (!Number.isFinite(ms)) return bookmark;
  const v = ms - lookback * 1000;
  if (format === "unix") return Math.floor(v / 1000);
  return new Date(v).toISOString().replace(/\.000Z$/, "Z");
}

const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** `raw` minus `lookback` seconds, written in `raw`'s shape and offset. */
function shiftAlike(raw: string, lookback: number): string {
  const m = ISO_LIKE.exec(raw);
  if (!m) {
    throw new ConfigError(
      `Cannot subtract the lookback from the bookmark ${
        JSON.stringify(raw)
      }: it is not an ISO 8601 time; declare incremental.format ("iso" or "unix") to say how the source takes it`,
    );
  }
  const [, y, mo, d, sep, h, mi, sec, frac, zone] = m;
  const ms3 = Number((frac ?? "").slice(0, 3).padEnd(3, "0"));
  // Computed in the source's own offset, so the fields print back alike.
  const local =
    Date.UTC(+y!, +mo! - 1, +d!, +(h ?? 0), +(mi ?? 0), +(sec ?? 0), ms3) -
    Math.ceil(lookback * 1000);
  const t = new Date(local);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  let out = `${p(t.getUTCFullYear(), 4)}-${p(t.getUTCMonth() + 1)}-${
    p(t.getUTCDate())
  }`;
  if (sep !== undefined) {
    out += `${sep}${p(t.getUTCHours())}:${p(t.getUTCMinutes())}`;
  }
  if (sec !== undefined) out += `:${p(t.getUTCSeconds())}`;
  if (frac !== undefined) {
    const whole = Number.isInteger(lookback * 1000);
    out += "." + (p(t.getUTCMilliseconds(), 3) + (whole ? frac.slice(3) : ""))
      .padEnd(frac.length, "0").slice(0, frac.length);
  }
  return out + (zone ?? "");
}
