/**
 * Reading one value of a leaf's typed column (see `_leaf_pages.ts`) without
 * making an object for it: integers as numbers (a bigint only beyond 2^53),
 * text as a byte range of the column's buffer.
 *
 * @module
 */
import type { ScalarColumn } from "./_leaf_pages.ts";

/** The bigints of an INT64 or TIMESTAMP column by position, if any. */
export function bigsOf(column: ScalarColumn): Map<number, bigint> | undefined {
  if (column.kind !== "int" && column.kind !== "micros") return undefined;
  if (column.bigAt.length === 0) return undefined;
  const out = new Map<number, bigint>();
  for (let k = 0; k < column.bigAt.length; k++) {
    out.set(column.bigAt[k]!, column.bigs[k]!);
  }
  return out;
}

/**
 * The integer at `p`: a number when it is a safe integer, however it was
 * stored (a bigint aside may hold a small value too), else the bigint. Two
 * equal values thus give the same key, as their bigints would.
 */
export function intAt(
  nums: Float64Array,
  bigs: Map<number, bigint> | undefined,
  p: number,
): number | bigint {
  const big = bigs?.get(p);
  if (big === undefined) return nums[p]!;
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big;
}

/** Where the bytes of position `p` start (they end at `ends[p]`). */
export function startOf(ends: Uint32Array, p: number): number {
  return p === 0 ? 0 : ends[p - 1]!;
}

/** Unsigned lexicographic order of two byte ranges of `b`, as Parquet's. */
export function compareBytes(
  b: Uint8Array,
  a0: number,
  a1: number,
  c0: number,
  c1: number,
): number {
  const n = Math.min(a1 - a0, c1 - c0);
  for (let i = 0; i < n; i++) {
    const d = b[a0 + i]! - b[c0 + i]!;
    if (d !== 0) return d;
  }
  return (a1 - a0) - (c1 - c0);
}

/** Whether two byte ranges of `b` hold the same bytes. */
export function sameBytes(
  b: Uint8Array,
  a0: number,
  a1: number,
  c0: number,
  c1: number,
): boolean {
  if (a1 - a0 !== c1 - c0) return false;
  for (let i = 0; i < a1 - a0; i++) if (b[a0 + i] !== b[c0 + i]) return false;
  return true;
}

/**
 * FNV-1a of a byte range: hyparquet-writer's bucket key for text, which its
 * dictionary sampling counts by (so collisions count as it counts them).
 */
export function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
