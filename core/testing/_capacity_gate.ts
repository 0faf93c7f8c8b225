/**
 * A FIFO semaphore: at most `capacity` holders, the rest wait in arrival
 * order. Used by the test API to model a source that serves so many
 * requests at once.
 *
 * @module
 */

interface Waiter {
  grant(): void;
  done: boolean;
}

/** Slots for requests being served, handed out first come, first served. */
export class CapacityGate {
  #capacity: number;
  #inFlight = 0;
  #queue: Waiter[] = [];
  #head = 0;
  #waiting = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Holders right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Waiters right now. */
  get queued(): number {
    return this.#waiting;
  }

  /** Change the number of slots; waiters move up when it grows. */
  setCapacity(capacity: number): void {
    this.#capacity = capacity;
    this.#drain();
  }

  /** Take a slot if one is free and nobody waits; never blocks. */
  tryAcquire(): boolean {
    if (this.#waiting > 0 || this.#inFlight >= this.#capacity) return false;
    this.#inFlight++;
    return true;
  }

  /**
   * Wait in line for a slot. Resolves `true` once it is held, `false` if
   * `signal` aborted first (the place in line is given up).
   */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (this.tryAcquire()) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        done: false,
        grant: () => {
          signal.removeEventListener("abort", onAbort);
          resolve(true);
        },
      };
      const onAbort = () => {
        if (waiter.done) return;
        waiter.done = true;
        this.#waiting--;
        resolve(false);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
      this.#waiting++;
    });
  }

  /** Give a slot back; the longest waiter gets it. */
  release(): void {
    this.#inFlight--;
    this.#drain();
  }

  #drain(): void {
    while (this.#inFlight < this.#capacity && this.#head < this.#queue.length) {
      const waiter = this.#queue[this.#head++]!;
      if (waiter.done) continue;
      waiter.done = true;
      this.#waiting--;
      this.#inFlight++;
      waiter.grant();
    }
    // Keep the array from growing forever under a steady queue.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
