/**
 * `RetryBudget`: retries as a share of recent requests, so a run of any
 * length may retry what fails now and then, while a source that fails most
 * requests is not hammered with retries.
 *
 * @module
 */

/**
 * Options of {@linkcode RetryBudget}.
 *
 * @example
 * ```ts
 * import type { RetryBudgetOptions } from "./retry_budget.ts";
 * const options: RetryBudgetOptions = { ratio: 0.1, minPerSecond: 5 };
 * ```
 */
export interface RetryBudgetOptions {
  /** Retries allowed per request of the window. @default 0.2 */
  ratio?: number;
  /**
   * Retries allowed per second of the window whatever the requests, so a
   * run that has sent few requests yet may still retry. @default 10
   */
  minPerSecond?: number;
  /** The sliding window, in ms. @default 10_000 */
  windowMs?: number;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
}

// The window slides by a tenth of its length: old buckets drop whole.
const BUCKETS = 10;

/**
 * Retries allowed over a sliding window: at most `ratio` of the requests
 * made in the last `windowMs`, plus `minPerSecond` for each second of the
 * window, in the manner of Finagle's `RetryBudget` and gRPC's retry
 * throttling. Every request calls {@linkcode RetryBudget.deposit} once
 * (its first attempt); every retry must {@linkcode RetryBudget.withdraw}
 * first, and fails at once when the budget says no. A long run never
 * spends it for good: what was spent a window ago is back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RetryBudget } from "./retry_budget.ts";
 * let clock = 0;
 * const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 0, now: () => clock });
 * for (let i = 0; i < 10; i++) budget.deposit();
 * assert(budget.withdraw() && budget.withdraw());
 * assert(!budget.withdraw(), "2 retries for 10 requests is 20 %");
 * clock += 10_000;
 * for (let i = 0; i < 5; i++) budget.deposit();
 * assert(budget.withdraw(), "the window slid: old retries no longer count");
 * ```
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #floor: number;
  readonly #bucketMs: number;
  readonly #now: () => number;
  readonly #requests = new Array<number>(BUCKETS).fill(0);
  readonly #retries = new Array<number>(BUCKETS).fill(0);
  /** The bucket number (time ÷ bucket length) last written. */
  #at: number | undefined;

  /** Build a budget; see {@linkcode RetryBudgetOptions}. */
  constructor(options: RetryBudgetOptions = {}) {
    const ratio = options.ratio ?? 0.2;
    const minPerSecond = options.minPerSecond ?? 10;
    const windowMs = options.windowMs ?? 10_000;
    if (!(ratio >= 0) || !(minPerSecond >= 0) || !(windowMs > 0)) {
      throw new RangeError(
        `Cannot create retry budget: ratio and minPerSecond must be >= 0 and windowMs > 0, got ${ratio}, ${minPerSecond} and ${windowMs}`,
      );
    }
    this.#ratio = ratio;
    this.#floor = minPerSecond * windowMs / 1000;
    this.#bucketMs = windowMs / BUCKETS;
    this.#now = options.now ?? Date.now;
  }

  /** Requests counted in the window. */
  get requests(): number {
    this.#slide();
    return sum(this.#requests);
  }

  /** Retries counted in the window. */
  get retries(): number {
    this.#slide();
    return sum(this.#retries);
  }

  /** Retries the budget allows now. */
  get available(): number {
    this.#slide();
    const allowed = this.#ratio * sum(this.#requests) + this.#floor;
    return Math.max(0, Math.floor(allowed - sum(this.#retries) + 1e-9));
  }

  /** A request was made (count it once, not once per attempt). */
  deposit(): void {
    this.#requests[this.#slide()]!++;
  }

  /** Count a retry and return true if the budget allows one; else false. */
  withdraw(): boolean {
    if (this.available < 1) return false;
    this.#retries[this.#slide()]!++;
    return true;
  }

  /** What the budget allows, for an error message. */
  describe(): string {
    const share = Math.round(this.#ratio * 100);
    const seconds = this.#bucketMs * BUCKETS / 1000;
    return `${this.retries} retries for ${this.requests} requests in the last ${seconds} s (at most ${share} % of requests + ${this.#floor})`;
  }

  // Zero the buckets that left the window; the index of the current one.
  #slide(): number {
    const at = Math.floor(this.#now() / this.#bucketMs);
    const last = this.#at ?? at;
    // A clock that stepped back keeps writing into the newest bucket.
    const gone = Math.min(BUCKETS, at - last);
    for (let i = 1; i <= gone; i++) {
      const b = mod(last + i, BUCKETS);
      this.#requests[b] = 0;
      this.#retries[b] = 0;
    }
    this.#at = Math.max(last, at);
    return mod(this.#at, BUCKETS);
  }
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}
