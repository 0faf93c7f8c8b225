/**
 * Incremental helpers of a stream run: ordering cursor values and the
 * filter value a new sweep starts from.
 *
 * @module
 */

/**
 * Orders two cursor values: numbers numerically, dates by time, anything
 * else as strings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareCursor } from "./_incremental.ts";
 * assert.ok(compareCursor(9, 10) < 0);
 * assert.ok(compareCursor("2024-01-02T00:00:00Z", "2024-01-01") > 0);
 * assert.equal(compareCursor("b", "b"), 0);
 * ```
 */
export function compareCursor(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const ta = Date.parse(String(a)), tb = Date.parse(String(b));
  if (Number.isFinite(ta) && Number.isFinite(tb)) return ta - tb;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
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
  bookmark: string | number,
  lookback: number,
  format: "iso" | "unix" | "auto",
): string | number {
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
