/**
 * A leaf's values in Parquet's PLAIN encoding, written from its typed
 * column into one buffer: little-endian INT64 and DOUBLE, bit-packed
 * BOOLEAN, length-prefixed BYTE_ARRAY.
 *
 * @module
 */
import type { ScalarColumn } from "./_leaf_pages.ts";
import { bigsOf, startOf } from "./_leaf_values.ts";

const TWO_32 = 2 ** 32;

/**
 * The values at positions `dense[from]` to `dense[to - 1]` of `column`,
 * PLAIN-encoded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainValues } from "./_leaf_plain.ts";
 * const column = { kind: "int" as const, present: new Uint8Array([1, 1]), nums: new Float64Array([-1, 2]), bigAt: [], bigs: [] };
 * const bytes = plainValues(column, new Int32Array([0, 1]), 0, 2);
 * assert.deepEqual([...bytes], [255, 255, 255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 0, 0, 0]);
 * ```
 */
export function plainValues(
  column: ScalarColumn,
  dense: Int32Array,
  from: number,
  to: number,
): Uint8Array {
  const n = to - from;
  switch (column.kind) {
    case "int":
    case "micros": {
      const out = new Uint8Array(8 * n);
      const view = new DataView(out.buffer);
      const bigs = bigsOf(column);
      for (let k = 0; k < n; k++) {
        const p = dense[from + k]!;
        const big = bigs?.get(p);
        if (big !== undefined) {
          view.setBigInt64(8 * k, big, true);
          continue;
        }
        // A safe integer as two 32-bit halves, two's complement.
        const v = column.nums[p]!;
        const hi = Math.floor(v / TWO_32);
        view.setUint32(8 * k, v - hi * TWO_32, true);
        view.setInt32(8 * k + 4, hi, true);
      }
      return out;
    }
    case "double": {
      const out = new Uint8Array(8 * n);
      const view = new DataView(out.buffer);
      for (let k = 0; k < n; k++) {
        view.setFloat64(8 * k, column.nums[dense[from + k]!]!, true);
      }
      return out;
    }
    case "bool": {
      const out = new Uint8Array(Math.ceil(n / 8));
      for (let k = 0; k < n; k++) {
        if (column.bits[dense[from + k]!]) out[k >> 3]! |= 1 << (k & 7);
      }
      return out;
    }
    case "bytes":
      return plainBytes(column.bytes, column.ends, dense, from, to);
  }
}

function plainBytes(
  bytes: Uint8Array,
  ends: Uint32Array,
  dense: Int32Array,
  from: number,
  to: number,
): Uint8Array {
  let size = 0;
  for (let k = from; k < to; k++) {
    const p = dense[k]!;
    size += 4 + ends[p]! - startOf(ends, p);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (let k = from; k < to; k++) {
    const p = dense[k]!;
    const start = startOf(ends, p), end = ends[p]!;
    view.setUint32(at, end - start, true);
    at += 4;
    if (end - start > 32) {
      out.set(bytes.subarray(start, end), at);
      at += end - start;
    } else {
      // Short text: a loop costs less than a view per value.
      for (let i = start; i < end; i++) out[at++] = bytes[i]!;
    }
  }
  return out;
}
