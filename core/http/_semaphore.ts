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

/**
 * At most `limit` permits held; acquirers wait in arrival order. The limit
 * may change at any time (the adaptive limiter moves it); a lower limit
 * takes effect as permits come back, never by revoking one.
 */
export class Semaphore {
  #limit: number;
  #inFlight = 0;
  #queue: Waiter[] = [];
  #head = 0;
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

  acquire(signal?: AbortSignal): Promise<Permit> {
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
      this.#queue.push(waiter);
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
    while (this.#inFlight < this.#limit && this.#head < this.#queue.length) {
      const waiter = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Waiter;
      if (waiter.done) continue;
      waiter.done = true;
      this.#queued--;
      if (waiter.signal && waiter.onAbort) {
        waiter.signal.removeEventListener("abort", waiter.onAbort);
      }
      waiter.resolve(this.#grant());
    }
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
