/**
 * Where each primary key's newest row is: the index a merge needs to turn
 * "these keys arrived again" into position deletes of the older rows.
 *
 * @module
 */
import type { PositionDelete } from "./position_deletes.ts";

/**
 * Keys (as strings: the caller encodes composite and bigint keys) to the
 * data file and position of their live row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyIndex } from "./key_index.ts";
 * const index = new KeyIndex();
 * assert.deepEqual(index.add("data/a.parquet", ["1", "2"]), []);
 * assert.deepEqual(index.add("data/b.parquet", ["2", "3", "3"]), [
 *   { path: "data/a.parquet", pos: 1 },
 *   { path: "data/b.parquet", pos: 1 },
 * ]);
 * assert.equal(index.size, 3);
 * ```
 */
export class KeyIndex {
  readonly #rows = new Map<string, { path: string; pos: number }>();

  /** Live keys. */
  get size(): number {
    return this.#rows.size;
  }

  /**
   * Record that the data file `path` holds `keys`, row by row; the rows
   * these replace (older rows of the same keys, in earlier files or earlier
   * in this one) as the position deletes to commit with it.
   */
  add(path: string, keys: readonly string[]): PositionDelete[] {
    const deletes: PositionDelete[] = [];
    for (let pos = 0; pos < keys.length; pos++) {
      const key = keys[pos]!;
      const old = this.#rows.get(key);
      if (old !== undefined) deletes.push(old);
      this.#rows.set(key, { path, pos });
    }
    return deletes;
  }

  /** A copy that changes apart from this one (for a commit that may lose its race). */
  clone(): KeyIndex {
    const copy = new KeyIndex();
    for (const [key, row] of this.#rows) copy.#rows.set(key, row);
    return copy;
  }

  /** Forget every key (after an overwrite). */
  clear(): void {
    this.#rows.clear();
  }
}
