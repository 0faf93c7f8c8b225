/**
 * A leaf column chunk's statistics from its typed values: the bounds,
 * null and NaN counts hyparquet-writer 0.17.0's `getStatistics` gives for
 * the same values (bigint bounds for INT64, a signed zero normalized, NaN
 * left out of the bounds, text in unsigned byte order).
 *
 * @module
 */
import type { ChunkStatistics } from "hyparquet-writer/src/types.js";
import type { TypedLeaf } from "./_leaf_pages.ts";
import { bigsOf, compareBytes, startOf } from "./_leaf_values.ts";

/**
 * The statistics of `leaf`, whose values are at positions `dense` (nulls
 * skipped) of its `slots` slots.
 */
export function leafStatistics(
  leaf: TypedLeaf,
  dense: Int32Array,
): ChunkStatistics {
  const null_count = BigInt(leaf.pos.length - dense.length);
  const column = leaf.values;
  switch (column.kind) {
    case "int":
    case "micros":
      return { ...intBounds(leaf, dense), null_count, nan_count: undefined };
    case "double":
      return { ...doubleBounds(column.nums, dense), null_count };
    case "bool": {
      let min: boolean | undefined, max: boolean | undefined;
      for (let k = 0; k < dense.length; k++) {
        const b = column.bits[dense[k]!] === 1;
        if (min === undefined || (!b && min)) min = b;
        if (max === undefined || (b && !max)) max = b;
      }
      return {
        min_value: min,
        max_value: max,
        null_count,
        nan_count: undefined,
      };
    }
    case "bytes": {
      const { bytes, ends } = column;
      let min = -1, max = -1;
      for (let k = 0; k < dense.length; k++) {
        const p = dense[k]!;
        const from = startOf(ends, p), to = ends[p]!;
        if (
          min < 0 ||
          compareBytes(bytes, from, to, startOf(ends, min), ends[min]!) < 0
        ) min = p;
        if (
          max < 0 ||
          compareBytes(bytes, from, to, startOf(ends, max), ends[max]!) > 0
        ) max = p;
      }
      const at = (p: number) =>
        p < 0 ? undefined : bytes.slice(startOf(ends, p), ends[p]);
      return {
        min_value: at(min),
        max_value: at(max),
        null_count,
        nan_count: undefined,
      };
    }
  }
}

/** INT64 bounds as bigints: the numbers compared as numbers, bigints aside. */
function intBounds(
  leaf: TypedLeaf,
  dense: Int32Array,
): Pick<ChunkStatistics, "min_value" | "max_value"> {
  const column = leaf.values as Extract<
    TypedLeaf["values"],
    { kind: "int" | "micros" }
  >;
  const bigs = bigsOf(column);
  let min = Infinity, max = -Infinity;
  let bigMin: bigint | undefined, bigMax: bigint | undefined;
  for (let k = 0; k < dense.length; k++) {
    const p = dense[k]!;
    const big = bigs?.get(p);
    if (big !== undefined) {
      if (bigMin === undefined || big < bigMin) bigMin = big;
      if (bigMax === undefined || big > bigMax) bigMax = big;
      continue;
    }
    const n = column.nums[p]!;
    if (n < min) min = n;
    if (n > max) max = n;
  }
  if (dense.length === 0) return { min_value: undefined, max_value: undefined };
  const lo = min === Infinity ? undefined : BigInt(min);
  const hi = max === -Infinity ? undefined : BigInt(max);
  return {
    min_value: lo === undefined || (bigMin !== undefined && bigMin < lo)
      ? bigMin
      : lo,
    max_value: hi === undefined || (bigMax !== undefined && bigMax > hi)
      ? bigMax
      : hi,
  };
}

/** DOUBLE bounds without NaN, and how many NaN there were. */
function doubleBounds(
  nums: Float64Array,
  dense: Int32Array,
): Pick<ChunkStatistics, "min_value" | "max_value" | "nan_count"> {
  let min: number | undefined, max: number | undefined;
  let nan = 0;
  for (let k = 0; k < dense.length; k++) {
    const n = nums[dense[k]!]!;
    if (Number.isNaN(n)) {
      nan++;
      continue;
    }
    if (min === undefined || n < min) min = n;
    if (max === undefined || n > max) max = n;
  }
  // Parquet's rule for zeros: a zero lower bound is -0, a zero upper one +0.
  if (min === 0) min = -0;
  if (max === 0) max = 0;
  return { min_value: min, max_value: max, nan_count: BigInt(nan) };
}
