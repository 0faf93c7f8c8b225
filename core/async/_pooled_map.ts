/**
 * The state machine of `pooledMap()`: pulling, running, buffering and
 * reporting, with every call settled before an error or the end is reported.
 *
 * @module
 */

import { Fifo } from "./_fifo.ts";
import { Entry, type SourceIterator, type Waiter } from "./_pool_entries.ts";

const DONE: IteratorResult<never> = { done: true, value: undefined };

/** Room behind a running earlier item, in multiples of `maxBuffered`. */
const ORDERED_SLACK = 4;
/**
 * The iterator behind {@linkcode pooledMap}, its arguments already checked:
 * it pulls the source, runs the calls and hands results to the consumer.
 */
export class PooledMap<T, R> implements AsyncIterableIterator<R> {
  readonly #source: Iterable<T> | AsyncIterable<T>;
  readonly #fn: (item: T, signal: AbortSignal) => Promise<R>;
  readonly #concurrency: () => number;
  readonly #maxBuffered: () => number;
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
  readonly #entries = new Fifo<Entry<R>>();
  /** Unordered mode: finished results in completion order. */
  readonly #results = new Fifo<R>();
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
      concurrency: () => number;
      maxBuffered: () => number;
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

  // Results behind a running earlier item wait for it, not the consumer:
  // one slow item (a retried page) must not stall the pool.
  #room(): boolean {
    const max = this.#maxBuffered();
    if (this.#buffered < max) return true;
    return this.#ordered && this.#entries.peek()?.state === "pending" &&
      this.#buffered < ORDERED_SLACK * max;
  }

  /** Start calls while there is room, pulling the source one item at a time. */
  #pump(): void {
    while (
      this.#started && !this.#stopped &&
      this.#active.size < this.#concurrency() && this.#room()
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
      entry = new Entry<R>(index);
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
        const head = this.#entries.peek();
        if (head?.state === "ok") {
          this.#entries.shift();
          this.#buffered--;
          const value = head.value as R;
          // The consumer owns the result alone from now on.
          head.value = undefined;
          this.#waiters.shift()!.resolve({ done: false, value });
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
        if (this.#results.size > 0) {
          const value = this.#results.shift()!;
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
    this.#entries.clear();
    this.#results.clear();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(DONE);
  }
}
