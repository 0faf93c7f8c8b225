/**
 * The bookkeeping types of `PooledMap` (see `_pooled_map.ts`).
 *
 * @module
 */

/** The source's iterator, sync or async. */
export interface SourceIterator<T> {
  /** A result now (sync source) or later (async source). */
  next(): IteratorResult<T> | Promise<IteratorResult<T>>;
  return?(): unknown;
}

/**
 * An ordered pool's started item and what became of it.
 *
 * A class, not an object literal: V8 may start allocating a literal's
 * objects in the old generation once a stall lets most of them outlive a
 * young-generation GC, and a dead old entry would keep its result alive
 * until the next full GC (see `core/paging/_fetched_page.ts`).
 */
export class Entry<R> {
  state: "pending" | "ok" | "err" = "pending";
  value: R | undefined = undefined;
  error: unknown = undefined;
  readonly index: number;

  /** The entry of the `index`th item started. */
  constructor(index: number) {
    this.index = index;
  }
}

/** A consumer's pull, waiting for a result. */
export interface Waiter<R> {
  resolve(result: IteratorResult<R>): void;
  reject(reason: unknown): void;
}
