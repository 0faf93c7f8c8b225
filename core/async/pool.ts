/**
 * `pooledMap`: run an async function over a (possibly infinite) source with
 * bounded concurrency and backpressure, in order or as results complete.
 *
 * @module
 */

import { PooledMap } from "./_pooled_map.ts";

/**
 * Options of {@linkcode pooledMap}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PooledMapOptions } from "./pool.ts";
 * const options: PooledMapOptions = { concurrency: 8, ordered: false, maxBuffered: 16 };
 * assert(options.concurrency === 8);
 * ```
 */
export interface PooledMapOptions {
  /**
   * Calls of `fn` in flight at most: an integer >= 1, or a function read
   * whenever a call could start (a width that follows a limiter's limit;
   * its value is rounded down, and at least 1).
   */
  concurrency: number | (() => number);
  /**
   * Yield results in source order (`true`) or as they complete (`false`).
   * @default {true}
   */
  ordered?: boolean;
  /** Aborting it stops the pool: the consumer's next pull rejects with its reason. */
  signal?: AbortSignal;
  /**
   * Finished results the consumer has not taken at which the pool stops
   * starting work until the consumer pulls; an integer >= 1. Started but
   * untaken items never exceed `concurrency + maxBuffered`.
   *
   * In ordered mode, while the next result to yield is still running,
   * results finished behind it may take up to 4 × `maxBuffered`: they wait
   * for it, not for the consumer. A page retried after a 5xx takes two or
   * three latencies, and with room for only `maxBuffered` results the pool
   * would stop starting work until it landed (a source with 10 % random
   * 503s was then served at 0.70 of its clean rate, not 0.96).
   * @default {concurrency} (read as it changes, when a function)
   */
  maxBuffered?: number;
}

/**
 * Map `fn` over `source` with at most `options.concurrency` calls in flight,
 * yielding the results in source order (default) or in completion order.
 *
 * - Backpressure: once `maxBuffered` finished results wait for the consumer
 *   (in ordered mode, results waiting behind a slower earlier item count),
 *   no new call starts until the consumer pulls. The source is pulled
 *   lazily, one item per started call, so it may be infinite.
 * - Errors: the first error of `fn` or of the source rejects the consumer's
 *   pull. In unordered mode it does so at once; in ordered mode the results
 *   before the failing item are yielded first (so what the consumer saw is a
 *   gapless prefix) and the items after it are aborted. Either way no new
 *   call starts once an error happened, the `signal` given to every call
 *   still running is aborted, and the pull rejects only after those calls
 *   settled: nothing keeps running unobserved, and no rejection escapes.
 * - Stopping early (`break`, `return()`) aborts the calls in flight and
 *   resolves once they settled; the source's own `return()` is called.
 * - `options.signal` aborting rejects the pull with its reason, the same way.
 *
 * `fn` must honour its `signal` for errors and aborts to surface promptly.
 *
 * @param source Items to map; any (async) iterable, pulled lazily.
 * @param fn Called once per item with a signal aborted when its result is no longer wanted.
 * @param options Concurrency, order, cancellation and buffering.
 * @returns An async iterator of the results; iterate it once.
 * @throws {RangeError} If `concurrency` or `maxBuffered` is not an integer >= 1.
 * @throws {TypeError} If `fn` is not a function or `source` is not iterable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pooledMap } from "./pool.ts";
 * const delay = (ms: number, signal: AbortSignal) =>
 *   new Promise<void>((resolve, reject) => {
 *     const timer = setTimeout(resolve, ms);
 *     signal.addEventListener("abort", () => {
 *       clearTimeout(timer);
 *       reject(signal.reason);
 *     }, { once: true });
 *   });
 *
 * const squares: number[] = [];
 * for await (
 *   const n of pooledMap([3, 1, 2], async (n, signal) => {
 *     await delay(n, signal);
 *     return n * n;
 *   }, { concurrency: 2 })
 * ) squares.push(n);
 * assert(squares.join() === "9,1,4"); // source order
 * ```
 */
export function pooledMap<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  options: PooledMapOptions,
): AsyncIterableIterator<R> {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot run pooledMap: fn must be a function, got ${typeof fn}`,
    );
  }
  if (
    source === null || source === undefined ||
    (typeof (source as Partial<Iterable<T>>)[Symbol.iterator] !== "function" &&
      typeof (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] !==
        "function")
  ) {
    throw new TypeError(
      "Cannot run pooledMap: source must be an iterable or an async iterable",
    );
  }
  const concurrency = options?.concurrency;
  const width = typeof concurrency === "function"
    ? () => Math.max(1, Math.floor(concurrency()) || 1)
    : checkedCount("concurrency", concurrency);
  const maxBuffered = options.maxBuffered === undefined
    ? width
    : checkedCount("maxBuffered", options.maxBuffered);
  return new PooledMap(source, fn, {
    concurrency: width,
    maxBuffered,
    ordered: options.ordered ?? true,
    signal: options.signal,
  });
}

function checkedCount(name: string, n: unknown): () => number {
  if (!Number.isInteger(n) || (n as number) < 1) {
    throw new RangeError(
      `Cannot run pooledMap: ${name} must be an integer >= 1, got ${n}`,
    );
  }
  return () => n as number;
}
