/**
 * Incremental helpers of a stream run: ordering cursor values and the
 * filter value a new sweep starts from.
 *
 * @module
 */

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
 * ```
 */
export function compareCursor(
  a: string | number | bigint,
  b: string | number | bigint,
): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a !== "string" && typeof b !== "string") return exactOrder(a, b);
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
 * The filter value of a new incremental sweep: the bookmark minus the lookback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sinceFrom } from "./_incremental.ts";
 * assert.equal(sinceFrom(1000, 60, "auto"), 940);
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
  const ms = Date.parse(bookmark);
  if (!Number.isFinite(ms)) return bookmark;
  const v = ms - lookback * 1000;
  if (format === "unix") return Math.floor(v / 1000);
  return new Date(v).toISOString().replace(/\.000Z$/, "Z");
}
