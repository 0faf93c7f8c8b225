/**
 * Range arithmetic for partitions: half-open `[gte, lt)` ranges over unix
 * seconds, ISO 8601 times or integers.
 *
 * @module
 */

import type { RangePartition } from "../connector/types.ts";

/** A half-open range in numeric form (ms for ISO times). */
export interface NumRange {
  /** Inclusive lower bound. */
  gte: number;
  /** Exclusive upper bound. */
  lt: number;
}

/**
 * Numeric form of a bound: ISO times become epoch milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toNum } from "./_ranges.ts";
 * assert(toNum("1970-01-01T00:00:01Z", "iso") === 1000);
 * assert(toNum(5, "int") === 5);
 * ```
 */
export function toNum(
  value: number | string,
  kind: RangePartition["kind"],
): number {
  if (kind === "iso") {
    const ms = typeof value === "number" ? value : Date.parse(value);
    if (!Number.isFinite(ms)) {
      throw new RangeError(`not an ISO 8601 time: ${JSON.stringify(value)}`);
    }
    return ms;
  }
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`not a whole number: ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * A bound as the API takes it in a query parameter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromNum } from "./_ranges.ts";
 * assert(fromNum(1000, "iso") === "1970-01-01T00:00:01.000Z");
 * assert(fromNum(7, "unix") === "7");
 * ```
 */
export function fromNum(n: number, kind: RangePartition["kind"]): string {
  return kind === "iso" ? new Date(n).toISOString() : String(n);
}

/**
 * Split `[gte, lt)` into at most `parts` adjacent ranges with no gap and no
 * overlap (fewer when the range is too narrow).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitRange } from "./_ranges.ts";
 * const parts = splitRange({ gte: 0, lt: 10 }, 3);
 * assert(parts.length === 3 && parts[0]!.gte === 0 && parts[2]!.lt === 10);
 * ```
 */
export function splitRange(range: NumRange, parts: number): NumRange[] {
  const width = range.lt - range.gte;
  if (width <= 0) return [];
  const n = Math.max(1, Math.min(parts, width));
  const out: NumRange[] = [];
  let lo = range.gte;
  for (let i = 1; i <= n; i++) {
    const hi = i === n ? range.lt : range.gte + Math.floor(width * i / n);
    if (hi > lo) out.push({ gte: lo, lt: hi });
    lo = hi;
  }
  return out;
}

/**
 * The part of a range not yet covered by a lane that pages through it in
 * `order` and has seen `boundary` last: the boundary value itself is still
 * included (records sharing it may lie on later pages).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { remaining } from "./_ranges.ts";
 * assert(remaining({ gte: 0, lt: 100 }, 60, "desc").lt === 61);
 * assert(remaining({ gte: 0, lt: 100 }, 60, "asc").gte === 60);
 * ```
 */
export function remaining(
  range: NumRange,
  boundary: number,
  order: "asc" | "desc",
): NumRange {
  return order === "desc"
    ? { gte: range.gte, lt: boundary + 1 }
    : { gte: boundary, lt: range.lt };
}
