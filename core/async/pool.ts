/**
 * `pooledMap`: run an async function over a (possibly infinite) source with
 * bounded concurrency and backpressure, in order or as results complete.
 *
 * @module
 */

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
  /** Calls of `fn` in flight at most; an integer >= 1. */
  concurrency: number;
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
   * @default {concurrency}
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
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `Cannot run pooledMap: concurrency must be an integer >= 1, got ${concurrency}`,
    );
  }
  const maxBuffered = options.maxBuffered ?? concurrency;
  if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
    throw new RangeError(
      `Cannot run pooledMap: maxBuffered must be an integer >= 1, got ${maxBuffered}`,
    );
  }
  return new PooledMap(source, fn, {
    concurrency,
    maxBuffered,
    ordered: options.ordered ?? true,
    signal: options.signal,
  });
}

interface SourceIterator<T> {
  /** A result now (sync source) or later (async source). */
  next(): IteratorResult<T> | Promise<IteratorResult<T>>;
  return?(): unknown;
}

interface Entry<R> {
  index: number;
  state: "pending" | "ok" | "err";
  value: R | undefined;
  error: unknown;
}

interface Waiter<R> {
  resolve(result: IteratorResult<R>): void;
  reject(reason: unknown): void;
}

const DONE: IteratorResult<never> = { done: true, value: undefined };

class PooledMap<T, R> implements AsyncIterableIterator<R> {
  readonly #source: Iterable<T> | AsyncIterable<T>;
  readonly #fn: (item: T, signal: AbortSignal) => Promise<R>;
  readonly #concurrency: number;
  readonly #maxBuffered: number;
  readonly #ordered: boolean;
  readonly #signal: AbortSignal | undefined;

  #iterator: SourceIterator<T> | undefined;
  #sync = false;
  /** The source may still yield: it must be `return()`ed when we stop early. */
  #sourceOpen = false;
  /** No more pulls: the source ended, failed or was closed. */
  #sourceDone = false;
  #pulling = false;
  /** Pulled while the pool was full; started first once there is room. */
  #held: { item: T } | undefined;
  /** Source closes still running: part of what must settle before we report. */
  #closing = 0;

  #started = false;
  /** Start no new call (an error happened, or the consumer left). */
  #stopped = false;
  #nextIndex = 0;
  readonly #active = new Map<number, AbortController>();
  /** Finished results not yet taken by the consumer. */
  #buffered = 0;
  /** Ordered mode: every started, untaken item, in source order. */
  #entries: Entry<R>[] = [];
  #entriesHead = 0;
  /** Unordered mode: finished results in completion order. */
  #results: R[] = [];
  #resultsHead = 0;
  /** Ordered mode: the source failed after the items in `#entries`. */
  #sourceError: { error: unknown } | undefined;
  /** The error to report once everything settled. */
  #terminal: { error: unknown } | undefined;
  #finished = false;
  #returning: Promise<IteratorResult<R>> | undefined;
  #waiters: Waiter<R>[] = [];
  #idle: (() => void)[] = [];
  readonly #onAbort = () => {
    this.#fail(this.#signal!.reason);
    this.#drain();
  };

  constructor(
    source: Iterable<T> | AsyncIterable<T>,
    fn: (item: T, signal: AbortSignal) => Promise<R>,
    options: {
      concurrency: number;
      maxBuffered: number;
      ordered: boolean;
      signal: AbortSignal | undefined;
    },
  ) {
    this.#source = source;
    this.#fn = fn;
    this.#concurrency = options.concurrency;
    this.#maxBuffered = options.maxBuffered;
    this.#ordered = options.ordered;
    this.#signal = options.signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<R>> {
    if (this.#finished || this.#returning) return Promise.resolve(DONE);
    if (!this.#started) this.#start();
    return new Promise<IteratorResult<R>>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#tick();
    });
  }

  return(): Promise<IteratorResult<R>> {
    this.#returning ??= this.#close();
    return this.#returning;
  }

  async #close(): Promise<IteratorResult<R>> {
    if (!this.#finished) {
      this.#stopped = true;
      this.#held = undefined;
      this.#abortActive(
        () => true,
        new DOMException("pooledMap was stopped by its consumer", "AbortError"),
      );
      this.#closeSource();
      await this.#whenIdle();
      this.#finish();
    }
    return DONE;
  }

  #start(): void {
    // Work starts on the first pull, so an iterator never iterated costs nothing.
    this.#started = true;
    const signal = this.#signal;
    if (signal?.aborted) {
      this.#fail(signal.reason);
    } else {
      signal?.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** Start calls while there is room, pulling the source one item at a time. */
  #pump(): void {
    while (
      this.#started && !this.#stopped &&
      this.#active.size < this.#concurrency &&
      this.#buffered < this.#maxBuffered
    ) {
      if (this.#held) {
        const { item } = this.#held;
        this.#held = undefined;
        this.#run(item);
        continue;
      }
      if (this.#sourceDone || this.#pulling) return;
      let result: IteratorResult<T> | Promise<IteratorResult<T>>;
      try {
        this.#iterator ??= this.#open();
        result = this.#iterator.next();
      } catch (error) {
        this.#onPullError(error);
        return;
      }
      if (this.#sync) {
        this.#onPulled(result as IteratorResult<T>);
        continue;
      }
      this.#pulling = true;
      Promise.resolve(result).then(
        (r) => {
          this.#pulling = false;
          this.#onPulled(r);
          this.#tick();
        },
        (error) => {
          this.#pulling = false;
          this.#onPullError(error);
          this.#drain();
        },
      );
      return;
    }
  }

  #open(): SourceIterator<T> {
    const source = this.#source as Partial<AsyncIterable<T> & Iterable<T>>;
    let iterator: SourceIterator<T>;
    if (typeof source[Symbol.asyncIterator] === "function") {
      iterator = source[Symbol.asyncIterator]!();
    } else {
      this.#sync = true;
      iterator = source[Symbol.iterator]!();
    }
    this.#sourceOpen = true;
    return iterator;
  }

  #onPulled(result: IteratorResult<T>): void {
    if (result.done) {
      this.#sourceDone = true;
      this.#sourceOpen = false;
      return;
    }
    // A pull that lands after we stopped is dropped: its call never starts.
    if (!this.#stopped) this.#held = { item: result.value };
  }

  #onPullError(error: unknown): void {
    this.#sourceDone = true;
    this.#sourceOpen = false;
    if (this.#stopped) return;
    if (this.#ordered) {
      // Items pulled before the failure still come first.
      this.#sourceError = { error };
      this.#stopped = true;
    } else {
      this.#fail(error);
    }
  }

  #run(item: T): void {
    const index = this.#nextIndex++;
    const controller = new AbortController();
    this.#active.set(index, controller);
    let entry: Entry<R> | undefined;
    if (this.#ordered) {
      entry = { index, state: "pending", value: undefined, error: undefined };
      this.#entries.push(entry);
    }
    let promise: Promise<R>;
    try {
      promise = Promise.resolve(this.#fn(item, controller.signal));
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => this.#settle(index, entry, true, value),
      (error) => this.#settle(index, entry, false, error),
    );
  }

  #settle(
    index: number,
    entry: Entry<R> | undefined,
    ok: boolean,
    outcome: unknown,
  ): void {
    this.#active.delete(index);
    if (this.#terminal || this.#returning || this.#finished) {
      this.#wakeIfIdle();
      this.#drain();
      return;
    }
    if (ok) {
      this.#buffered++;
      if (entry) {
        entry.state = "ok";
        entry.value = outcome as R;
      } else {
        this.#results.push(outcome as R);
      }
    } else if (entry) {
      entry.state = "err";
      entry.error = outcome;
      // Items after this one are never yielded: stop them now. Items
      // before it are still wanted, and its error waits for them.
      this.#stopped = true;
      this.#held = undefined;
      this.#abortActive((i) => i > index, outcome);
      this.#closeSource();
    } else {
      this.#fail(outcome);
    }
    this.#tick();
  }

  #tick(): void {
    this.#drain();
    // Starting work may find the (sync) source exhausted or failing, which
    // the second drain reports.
    this.#pump();
    this.#drain();
  }

  /** Hand results (or the end, or the error) to waiting consumers. */
  #drain(): void {
    while (this.#waiters.length > 0) {
      if (this.#finished) {
        for (const waiter of this.#waiters.splice(0)) waiter.resolve(DONE);
        return;
      }
      if (this.#terminal) {
        if (!this.#isIdle()) return;
        const { error } = this.#terminal;
        this.#waiters.shift()!.reject(error);
        this.#finish();
        continue;
      }
      if (this.#ordered) {
        const head = this.#entries[this.#entriesHead];
        if (head?.state === "ok") {
          this.#entries[this.#entriesHead++] = undefined as unknown as Entry<R>;
          this.#compactEntries();
          this.#buffered--;
          this.#waiters.shift()!.resolve({
            done: false,
            value: head.value as R,
          });
          continue;
        }
        if (head?.state === "err") {
          this.#fail(head.error);
          continue;
        }
        if (head) return;
        if (this.#sourceError) {
          this.#fail(this.#sourceError.error);
          continue;
        }
      } else {
        if (this.#resultsHead < this.#results.length) {
          const value = this.#results[this.#resultsHead]!;
          this.#results[this.#resultsHead++] = undefined as R;
          if (this.#resultsHead === this.#results.length) {
            this.#results = [];
            this.#resultsHead = 0;
          }
          this.#buffered--;
          this.#waiters.shift()!.resolve({ done: false, value });
          continue;
        }
        if (this.#active.size > 0) return;
      }
      if (this.#sourceDone && !this.#pulling && !this.#held) {
        this.#finish();
        continue;
      }
      return;
    }
  }

  #compactEntries(): void {
    if (this.#entriesHead === this.#entries.length) {
      this.#entries = [];
      this.#entriesHead = 0;
    } else if (
      this.#entriesHead > 1024 && this.#entriesHead * 2 > this.#entries.length
    ) {
      this.#entries = this.#entries.slice(this.#entriesHead);
      this.#entriesHead = 0;
    }
  }

  /** Record the error to report; abort everything; report once all settled. */
  #fail(error: unknown): void {
    if (this.#terminal || this.#finished || this.#returning) return;
    this.#terminal = { error };
    this.#stopped = true;
    this.#held = undefined;
    this.#abortActive(() => true, error);
    this.#closeSource();
  }

  #abortActive(which: (index: number) => boolean, reason: unknown): void {
    for (const [index, controller] of this.#active) {
      if (which(index)) controller.abort(reason);
    }
  }

  #closeSource(): void {
    if (!this.#sourceOpen) return;
    this.#sourceOpen = false;
    this.#sourceDone = true;
    const iterator = this.#iterator!;
    let closed: unknown;
    try {
      closed = iterator.return?.();
    } catch {
      // The source failing to close is not the consumer's error.
      return;
    }
    if (this.#pulling) {
      // An async generator queues return() behind the pending next(); waiting
      // for it could hang on a source that never yields again.
      Promise.resolve(closed).catch(() => {});
      return;
    }
    this.#closing++;
    Promise.resolve(closed).catch(() => {}).finally(() => {
      this.#closing--;
      this.#wakeIfIdle();
      this.#drain();
    });
  }

  #isIdle(): boolean {
    return this.#active.size === 0 && this.#closing === 0;
  }

  #whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #wakeIfIdle(): void {
    if (!this.#isIdle()) return;
    for (const wake of this.#idle.splice(0)) wake();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stopped = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#entries = [];
    this.#results = [];
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(DONE);
  }
}
