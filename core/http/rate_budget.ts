/**
 * A request budget per host, shared by every worker of a run: it reads what
 * the source says about its rate limit (`Retry-After`, the IETF `RateLimit`
 * headers, GitHub's `X-RateLimit-*`) and spreads the remaining requests over
 * the time left in the window, instead of running into 429s.
 *
 * @module
 */

import { sleep as realSleep } from "../async/backoff.ts";
import {
  parseRateLimitHeaders,
  type RateReading,
} from "./parse_rate_limit_headers.ts";
import { parseRetryAfterHeaders } from "./parse_retry_after_headers.ts";
import { type Deferred, deferred, untilSettled } from "./_deferred.ts";
import {
  mustPace,
  newQuota,
  openWindow,
  type Quota,
  updateQuota,
} from "./_quota.ts";

import type {
  RateBudgetOptions,
  RateBudgetStats,
} from "./rate_budget_options.ts";

export {
  parseRateLimitHeaders,
  type RateReading,
} from "./parse_rate_limit_headers.ts";
export type {
  RateBudgetOptions,
  RateBudgetStats,
} from "./rate_budget_options.ts";

// How far behind its pace a budget may catch up after timers fired late.
const CATCH_UP_MS = 50;
// A wait in whole seconds (the shortest `Retry-After` in seconds asks for)
// is a rate window every worker runs into: the host pauses. A shorter one,
// in the milliseconds only `retry-after-ms` or `x-ms-retry-after-ms` ask
// for, is a source shedding load request by request: pausing every worker
// for it would leave the source's free slots idle each time, so only the
// request that got it waits (and the limiter lowers the concurrency).
const MIN_PAUSE_MS = 1_000;

/**
 * The request budget of one host, shared by every worker of a run.
 *
 * Every request calls `take()` before it goes out and `observe()` with the
 * answer (or `abandon()` when none came). `take()` waits while the host is
 * paused by a `Retry-After` of a second or more (a 429 pauses every worker,
 * not only the one that got it; a shorter wait, such as `retry-after-ms: 20`
 * from a source that sheds load, delays only the request that got it), while a declared limit's pace requires, and while an announced
 * quota's remaining requests, spread evenly over the time left in its window,
 * say the next slot is not due. Requests granted but not answered yet count
 * against the remaining budget, so concurrent workers do not spend the same
 * request twice. The first request to a host goes alone, so the budget knows
 * the quota before a burst; so does the first one after a window ended, to
 * learn the next window. A window ends at the earliest of its reset header
 * and, when its length is announced (`w=`) or inferred from the request that
 * opened it, that length after its first answer: reset headers in whole
 * seconds are up to a second late. Grants are first come, first served.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateBudget } from "./rate_budget.ts";
 * let clock = 1_700_000_000_000;
 * const budget = new RateBudget({
 *   pacing: "even",
 *   now: () => clock,
 *   sleep: (ms) => {
 *     clock += ms;
 *     return Promise.resolve();
 *   },
 * });
 * await budget.take();
 * // 11 left (1 kept in reserve) for 10 s: one request every 10 s / 11.
 * budget.observe(200, new Headers({ "x-ratelimit-remaining": "11", "x-ratelimit-reset": "1700000010" }));
 * const t0 = clock;
 * await budget.take();
 * await budget.take();
 * assert(Math.abs(clock - t0 - 2 * 10_000 / 11) < 1, `${clock - t0}`);
 * budget.abandon();
 * budget.abandon();
 * ```
 */
export class RateBudget {
  /** Counters; see {@linkcode RateBudgetStats}. */
  readonly stats: RateBudgetStats = {
    granted: 0,
    waited: 0,
    waitedMs: 0,
    pauses: 0,
  };

  #now: () => number;
  #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #reserve: number;
  #maxPauseMs: number;
  #minPauseMs: number;
  #burst: number;
  #asNeeded: boolean;
  #reserveShare: number;
  #declaredMs: number | undefined;
  #declaredNext = -Infinity;
  #pausedUntil = -Infinity;
  #pauseFrom = -Infinity;
  // The paced slot of the last grant, and of the one being decided. Pacing
  // counts from slots, not from grant times, so timers that fire late are
  // caught up (within CATCH_UP_MS) instead of slowing the pace.
  #slot = -Infinity;
  #nextSlot = -Infinity;
  #inFlight = 0;
  #known = false;
  #firstOut = false;
  #quotas = new Map<string, Quota>();
  #tail: Promise<void> = Promise.resolve();
  #changed: Deferred = deferred();

  /** Build a budget; see {@linkcode RateBudgetOptions}. */
  constructor(options: RateBudgetOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#reserve = options.reserve ?? 1;
    this.#maxPauseMs = options.maxPauseMs ?? 120_000;
    this.#minPauseMs = options.minPauseMs ?? MIN_PAUSE_MS;
    this.#burst = options.burst ?? 0;
    this.#asNeeded = (options.pacing ?? "as-needed") === "as-needed";
    this.#reserveShare = options.reserveShare ?? 0.1;
    if (!(this.#reserveShare >= 0 && this.#reserveShare < 1)) {
      throw new RangeError(
        `Cannot create rate budget: reserveShare must be in [0, 1), got ${this.#reserveShare}`,
      );
    }
    if (!(this.#burst >= 0 && this.#burst <= 1)) {
      throw new RangeError(
        `Cannot create rate budget: burst must be in [0, 1], got ${this.#burst}`,
      );
    }
    const safety = options.safety ?? 0.95;
    if (!(safety > 0 && safety <= 1)) {
      throw new RangeError(
        `Cannot create rate budget: safety must be in (0, 1], got ${safety}`,
      );
    }
    if (!(this.#reserve >= 0)) {
      throw new RangeError(
        `Cannot create rate budget: reserve must be >= 0, got ${this.#reserve}`,
      );
    }
    const limit = options.limit;
    if (limit !== undefined) {
      if (!(limit.requests > 0) || !(limit.perSeconds > 0)) {
        throw new RangeError(
          `Cannot create rate budget: limit needs requests > 0 and perSeconds > 0, got ${limit.requests} per ${limit.perSeconds} s`,
        );
      }
      this.#declaredMs = limit.perSeconds * 1000 / (limit.requests * safety);
    }
  }

  /** When the host's pause (from a `Retry-After`) ends, epoch ms; `undefined` when not paused. */
  get pausedUntil(): number | undefined {
    return this.#pausedUntil > this.#now() ? this.#pausedUntil : undefined;
  }

  /** Requests granted and not yet observed or abandoned. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests the tightest announced quota still allows in its window; `undefined` if none is known. */
  get remaining(): number | undefined {
    let min: number | undefined;
    for (const q of this.#quotas.values()) {
      min = Math.min(min ?? Infinity, Math.max(0, q.est));
    }
    return min;
  }

  /**
   * Wait until one more request may go out, then count it as in flight.
   * Rejects with `signal.reason` if `signal` aborts first (nothing is counted).
   */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const prev = this.#tail;
    const mine = deferred();
    this.#tail = prev.then(() => mine.promise);
    try {
      await untilSettled(prev, signal);
      await this.#waitTurn(signal);
    } finally {
      mine.resolve();
    }
  }

  /**
   * Learn from an answer to a granted request: its status and headers. A 429
   * or 503 asking for a wait of `minPauseMs` or more pauses the host for
   * every worker.
   *
   * @param sentAt When the request went out (epoch ms, by `now`): it tells an
   *   answer from a window that already ended apart from the current one.
   *   @default now
   */
  observe(status: number, headers: Headers, sentAt?: number): void {
    const t = this.#now();
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#known = true;
    this.#firstOut = false;
    // Answers to requests sent before the current pause began belong to the
    // burst that caused it: they neither extend it nor start another.
    if (
      (status === 429 || status === 503) && (sentAt ?? t) >= this.#pauseFrom
    ) {
      const wait = parseRetryAfterHeaders(headers, t);
      if (wait !== undefined && wait > 0 && wait >= this.#minPauseMs) {
        const until = t + Math.min(wait, this.#maxPauseMs);
        if (until > this.#pausedUntil) {
          if (this.#pausedUntil <= t) {
            this.stats.pauses++;
            this.#pauseFrom = t;
          }
          this.#pausedUntil = until;
        }
      }
    }
    const seen = new Set<string>();
    for (const reading of parseRateLimitHeaders(headers, t)) {
      seen.add(reading.key);
      this.#update(reading, t, sentAt ?? t);
    }
    for (const [key, q] of this.#quotas) {
      // A quota the source stopped announcing must not hold anyone back.
      if (seen.has(key)) continue;
      q.probeOut = false;
      if (t >= q.end) this.#quotas.delete(key);
    }
    this.#notify();
  }

  /** A granted request got no answer (network error, timeout, abort): stop counting it. */
  abandon(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#firstOut = false;
    for (const q of this.#quotas.values()) q.probeOut = false;
    this.#notify();
  }

  #notify(): void {
    const changed = this.#changed;
    this.#changed = deferred();
    changed.resolve();
  }

  async #waitTurn(signal: AbortSignal | undefined): Promise<void> {
    const started = this.#now();
    let waited = false;
    // Each pass either grants or waits for time to pass or news to arrive.
    while (true) {
      signal?.throwIfAborted();
      const t = this.#now();
      const wait = this.#decide(t);
      if (wait <= 0) {
        this.#grant(t);
        if (waited) {
          this.stats.waited++;
          this.stats.waitedMs += t - started;
        }
        return;
      }
      waited = true;
      const changed = this.#changed.promise;
      if (wait === Infinity) await untilSettled(changed, signal);
      else await this.#sleepOrNews(wait, changed, signal);
    }
  }

  async #sleepOrNews(
    ms: number,
    changed: Promise<void>,
    signal: AbortSignal | undefined,
  ) {
    const wake = new AbortController();
    const sig = signal ? AbortSignal.any([signal, wake.signal]) : wake.signal;
    let failure: { error: unknown } | undefined;
    const sleeping = this.#sleep(ms, sig).catch((error) => {
      if (!wake.signal.aborted) failure = { error };
    });
    await Promise.race([sleeping, changed]);
    wake.abort();
    signal?.throwIfAborted();
    if (failure) throw failure.error;
  }

  // 0: grant now; Infinity: wait for news (an answer); else ms to wait.
  #decide(t: number): number {
    if (this.#pausedUntil > t) return this.#pausedUntil - t;
    if (!this.#known) return this.#firstOut ? Infinity : 0;
    let wait = this.#declaredNext - t;
    let slot = -Infinity;
    for (const q of this.#quotas.values()) {
      if (t >= q.end) {
        if (q.probeOut) return Infinity;
        continue; // this request goes out alone to learn the new window
      }
      const spare = q.est - this.#reserve;
      let due: number;
      if (spare < 1) {
        due = q.end;
      } else if (
        q.openEst - q.est < this.#burst * q.openEst ||
        (this.#asNeeded && !mustPace(q, t, this.#quotaReserve(q)))
      ) {
        due = t;
      } else {
        // `spare` slots spread evenly over what is left, the last before the end.
        const from = Math.max(this.#slot, q.openedAt);
        const to = t < q.target ? q.target : q.end;
        due = from + (to - from) / (spare + 1);
        slot = Math.max(slot, due);
      }
      wait = Math.max(wait, due - t);
    }
    this.#nextSlot = Number.isFinite(slot) ? Math.min(slot, t) : t;
    return wait;
  }

  /** Requests of `q` kept back before as-needed pacing starts. */
  #quotaReserve(q: Quota): number {
    return Math.max(this.#reserve, Math.ceil(this.#reserveShare * q.openEst));
  }

  #grant(t: number): void {
    this.#inFlight++;
    this.#slot = Math.max(this.#nextSlot, t - CATCH_UP_MS);
    this.stats.granted++;
    if (!this.#known) this.#firstOut = true;
    if (this.#declaredMs !== undefined) {
      this.#declaredNext = t + this.#declaredMs;
    }
    for (const q of this.#quotas.values()) {
      if (t >= q.end) q.probeOut = true;
      else q.est--;
    }
  }

  #update(r: RateReading, t: number, sent: number): void {
    const q = this.#quotas.get(r.key);
    if (q) {
      updateQuota(q, r, t, sent, this.#inFlight);
    } else {
      const fresh = newQuota(t);
      this.#quotas.set(r.key, fresh);
      openWindow(fresh, r, t, sent, this.#inFlight);
    }
  }
}
