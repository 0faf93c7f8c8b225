/**
 * The FIFO semaphore under both limiters. Private: connector authors and
 * the HTTP layer see only the `Limiter` interface.
 *
 * @module
 */

import type { Permit, PermitOutcome } from "./permit.ts";

/** What the semaphore knows about a permit when it is released. */
export interface Grant {
  /** Grant order, from 0; a permit granted after a decision has a higher one. */
  readonly seq: number;
  /** Permits held right after this one was granted (itself included). */
  readonly inFlight: number;
}

interface Waiter {
  resolve(permit: Permit): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

/** A FIFO line of waiters, compacted as it drains. */
class Line {
  #queue: Waiter[] = [];
  #head = 0;

  push(waiter: Waiter): void {
    this.#queue.push(waiter);
  }

  /** Forget every waiter (all of them gave up). */
  clear(): void {
    this.#queue = [];
    this.#head = 0;
  }

  /** The next live waiter, taken out of the line. */
  shift(): Waiter | undefined {
    while (this.#head < this.#queue.length) {
      const waiter = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Waiter;
      this.#compact();
      if (!waiter.done) return waiter;
    }
    return undefined;
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      // Keep the array from growing forever under a steady queue.
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

/**
 * At most `limit` permits held; acquirers wait in arrival order, retries
 * (`acquire(signal, true)`) ahead of first attempts. The limit may change
 * at any time (the adaptive limiter moves it); a lower limit takes effect
 * as permits come back, never by revoking one.
 */
export class Semaphore {
  #limit: number;
  #inFlight = 0;
  // A retry is of an item older than every first attempt still waiting:
  // served first, it does not hold back an ordered pool behind a queue of
  // newer items (nor go starved by them).
  #retries = new Line();
  #firsts = new Line();
  #queued = 0;
  #seq = 0;
  #onRelease: (outcome: PermitOutcome, grant: Grant) => void;

  constructor(
    limit: number,
    onRelease: (outcome: PermitOutcome, grant: Grant) => void,
  ) {
    this.#limit = limit;
    this.#onRelease = onRelease;
  }

  get limit(): number {
    return this.#limit;
  }

  set limit(value: number) {
    this.#limit = value;
    this.#dispatch();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queued;
  }

  /** The `seq` the next granted permit will carry. */
  get nextSeq(): number {
    return this.#seq;
  }

  acquire(signal?: AbortSignal, retry = false): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    // Only grant directly when nobody waits, or FIFO order would break.
    if (this.#queued === 0 && this.#inFlight < this.#limit) {
      return Promise.resolve(this.#grant());
    }
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: undefined,
        done: false,
      };
      if (signal) {
        waiter.onAbort = () => {
          if (waiter.done) return;
          waiter.done = true;
          this.#queued--;
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      (retry ? this.#retries : this.#firsts).push(waiter);
      this.#queued++;
    });
  }

  #grant(): Permit {
    this.#inFlight++;
    const grant: Grant = { seq: this.#seq++, inFlight: this.#inFlight };
    let released = false;
    return {
      release: (outcome: PermitOutcome) => {
        if (released) return;
        released = true;
        this.#inFlight--;
        // The limiter decides before anyone waiting gets the slot, so a
        // lowered limit holds back the very next grant.
        this.#onRelease(outcome, grant);
        this.#dispatch();
      },
    };
  }

  #dispatch(): void {
    while (this.#inFlight < this.#limit && this.#queued > 0) {
      const waiter = this.#retries.shift() ?? this.#firsts.shift();
      if (!waiter) return;
      waiter.done = true;
      this.#queued--;
      if (waiter.signal && waiter.onAbort) {
        waiter.signal.removeEventListener("abort", waiter.onAbort);
      }
      waiter.resolve(this.#grant());
    }
    if (this.#queued === 0) {
      // Only aborted waiters are left, if any: let them go.
      this.#retries.clear();
      this.#firsts.clear();
    }
  }
}
