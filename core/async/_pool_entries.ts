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

/** An ordered pool's started item and what became of it. */
export interface Entry<R> {
  index: number;
  state: "pending" | "ok" | "err";
  value: R | undefined;
  error: unknown;
}

/** A consumer's pull, waiting for a result. */
export interface Waiter<R> {
  resolve(result: IteratorResult<R>): void;
  reject(reason: unknown): void;
}
