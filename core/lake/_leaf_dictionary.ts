/**
 * Whether a leaf column is dictionary-encoded, and its dictionary: the
 * decision of hyparquet-writer 0.17.0's `useDictionary` (pinned in
 * deno.json), taken over typed values so the file's bytes are the same as
 * that path writes (a property test holds the two to it).
 *
 * @module
 */
import type { TypedLeaf } from "./_leaf_pages.ts";
import {
  bigsOf,
  hashBytes,
  intAt,
  sameBytes,
  startOf,
} from "./_leaf_values.ts";

/** A leaf's dictionary. */
export interface LeafDictionary {
  /** Positions (in the leaf's values) of the dictionary's values, in order. */
  entries: number[];
  /** The dictionary index of each value, in slot order, nulls skipped. */
  indexes: Int32Array;
}

// A sample whose distinct values are more than this share of its bytes is
// not worth a dictionary (hyparquet-writer's `sampleRejectionRatio`).
const SAMPLE_REJECTION = 0.9;
const SAMPLE = 1000;

/**
 * The dictionary of `leaf`, whose values are at positions `dense` (slot
 * order, nulls skipped), or `undefined` when plain encoding is smaller:
 * a spread sample rejects mostly distinct columns, and a dictionary must
 * at least halve the plain bytes. Booleans never have one.
 */
export function leafDictionary(
  leaf: TypedLeaf,
  dense: Int32Array,
): LeafDictionary | undefined {
  const column = leaf.values;
  if (column.kind === "bool") return undefined;
  if (column.kind === "bytes") {
    if (rejectBytes(leaf)) return undefined;
    return keep(buildBytes(column.bytes, column.ends, dense), dense.length, 4);
  }
  const bigs = bigsOf(column);
  const key = column.kind === "double"
    ? (p: number) => column.nums[p]!
    : (p: number) => intAt(column.nums, bigs, p);
  if (rejectNumbers(leaf, key)) return undefined;
  return keep(buildNumbers(key, dense), dense.length, 0);
}

/** The slots the sample reads, spread over the whole column. */
function* sampleSlots(slots: number): Generator<number> {
  const size = Math.min(slots, SAMPLE);
  for (let i = 0; i < size; i++) {
    yield size === 1 ? 0 : Math.floor(i * (slots - 1) / (size - 1));
  }
}

/** Whether the sample says numbers are too distinct (8 bytes each). */
function rejectNumbers(
  leaf: TypedLeaf,
  key: (p: number) => number | bigint,
): boolean {
  const seen = new Set<number | bigint>();
  let total = 0;
  for (const s of sampleSlots(leaf.pos.length)) {
    const p = leaf.pos[s]!;
    if (p < 0) continue; // Nulls weigh nothing.
    total += 8;
    seen.add(key(p));
  }
  return total === 0 || seen.size * 8 / total > SAMPLE_REJECTION;
}

/** Whether the sample says text is too distinct (length + 4 bytes each). */
function rejectBytes(leaf: TypedLeaf): boolean {
  const { bytes, ends } = leaf.values as Extract<
    TypedLeaf["values"],
    { kind: "bytes" }
  >;
  // Keyed by hash, sized by the first value of each hash, as the original.
  const sizes = new Map<number, number>();
  let distinct = 0;
  let total = 0;
  for (const s of sampleSlots(leaf.pos.length)) {
    const p = leaf.pos[s]!;
    if (p < 0) continue;
    const from = startOf(ends, p), to = ends[p]!;
    const hash = hashBytes(bytes, from, to);
    let size = sizes.get(hash);
    if (size === undefined) {
      size = to - from + 4;
      sizes.set(hash, size);
      distinct += size;
    }
    total += size;
  }
  return total === 0 || distinct / total > SAMPLE_REJECTION;
}

interface Built extends LeafDictionary {
  /** Bytes of every value (without length prefixes). */
  total: number;
  /** Bytes of the distinct values. */
  distinct: number;
}

function buildNumbers(
  key: (p: number) => number | bigint,
  dense: Int32Array,
): Built {
  const at = new Map<number | bigint, number>();
  const entries: number[] = [];
  const indexes = new Int32Array(dense.length);
  for (let k = 0; k < dense.length; k++) {
    const p = dense[k]!;
    const v = key(p);
    let index = at.get(v);
    if (index === undefined) {
      index = entries.length;
      entries.push(p);
      at.set(v, index);
    }
    indexes[k] = index;
  }
  return {
    entries,
    indexes,
    total: 8 * dense.length,
    distinct: 8 * entries.length,
  };
}

function buildBytes(
  bytes: Uint8Array,
  ends: Uint32Array,
  dense: Int32Array,
): Built {
  const buckets = new Map<number, number[]>();
  const entries: number[] = [];
  const indexes = new Int32Array(dense.length);
  let total = 0, distinct = 0;
  let before = -1; // The previous value's position: runs skip the hash.
  for (let k = 0; k < dense.length; k++) {
    const p = dense[k]!;
    const from = startOf(ends, p), to = ends[p]!;
    total += to - from;
    if (
      before >= 0 &&
      sameBytes(bytes, startOf(ends, before), ends[before]!, from, to)
    ) {
      indexes[k] = indexes[k - 1]!;
      continue;
    }
    before = p;
    const hash = hashBytes(bytes, from, to);
    const bucket = buckets.get(hash);
    let index = -1;
    for (const j of bucket ?? []) {
      const q = entries[j]!;
      if (sameBytes(bytes, startOf(ends, q), ends[q]!, from, to)) {
        index = j;
        break;
      }
    }
    if (index < 0) {
      index = entries.length;
      entries.push(p);
      distinct += to - from;
      if (bucket) bucket.push(index);
      else buckets.set(hash, [index]);
    }
    indexes[k] = index;
  }
  return { entries, indexes, total, distinct };
}

/**
 * The dictionary when it and its bit-packed indexes at most halve the
 * plain bytes (`prefix` bytes of length per text value in either).
 */
function keep(
  built: Built,
  values: number,
  prefix: number,
): LeafDictionary | undefined {
  const { entries, indexes } = built;
  const bitWidth = Math.ceil(Math.log2(entries.length));
  const indexBytes = Math.ceil(values * bitWidth / 8);
  const plain = built.total + values * prefix;
  const dictionary = built.distinct + entries.length * prefix;
  if (2 * (dictionary + indexBytes) > plain) return undefined;
  return { entries, indexes };
}
