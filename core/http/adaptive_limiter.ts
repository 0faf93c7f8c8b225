/**
 * `AdaptiveLimiter`: finds how many requests a source serves at once, and
 * follows it when it changes (`--concurrency auto`).
 *
 * The two kinds of overload call for opposite biases. A source that queues
 * past its capacity only gets slower: a limit above capacity costs latency,
 * one below it costs throughput, so the limiter errs upward and tolerates
 * latency up to one and a half times its floor. A source that sheds load
 * (429/503) punishes every excess request, so after a drop the limiter holds
 * just below its level and probes above it rarely, more rarely after each
 * failed probe or when a drop asks for a wait every probe would cost again.
 *
 * Decisions are taken as permits are released, from the latencies and drops
 * the HTTP layer reports and time from the injected `now`: no timers, so a
 * fake clock makes every decision reproducible.
 *
 * @module
 */

import {
  type AdaptiveLimiterOptions,
  checkedBounds,
} from "./adaptive_limiter_options.ts";
import type { DropCost } from "./drop_cost.ts";
import type { LimitChange } from "./limit_change.ts";
import type { AcquireOptions, Limiter, Permit } from "./limiter.ts";
import type { PermitOutcome } from "./permit.ts";
import { Baseline } from "./_baseline.ts";
import { BaselineMeasure } from "./_baseline_measure.ts";
import { Ceiling } from "./_ceiling.ts";
import { FaultShare } from "./_fault_share.ts";
import { median } from "./_median.ts";
import { type Grant, Semaphore } from "./_semaphore.ts";
import * as T from "./_limiter_tuning.ts";
import { LimitTrace } from "./_limit_trace.ts";
import { LimiterWindow } from "./_limiter_window.ts";

export type { AdaptiveLimiterOptions } from "./adaptive_limiter_options.ts";
export type { DropCost } from "./drop_cost.ts";
export type { LimitChange } from "./limit_change.ts";

/**
 * A limiter that finds the concurrency a source sustains, in the manner of
 * TCP congestion control and Netflix's Gradient/Vegas limiters. Latency is
 * judged by the median of a window of completions (one round trip, at least
 * 8 samples) against the accepted latency: 1.5x the unloaded median, and
 * at least the median + 1 ms (the client's own work per answer varies so):
 *
 * - Slow start: +1 per completion (doubling per round trip) while the limit
 *   is in use and the answer came within the accepted latency; it ends on a
 *   drop, at the level of the last drop, or once the medians of two windows
 *   in a row exceed the accepted latency.
 * - Then, per window: a median above it in two windows in a row (one
 *   window may be the client's own pause: a GC, a long encode) multiplies
 *   the limit by `clamp(accepted / median, 0.5, 0.9)` with the lower of
 *   the two medians; otherwise +1, up to the level of the last drop, and
 *   above it only after a wait that doubles after every failed probe (4 to
 *   64 windows, and at least 1024 requests at the longest) and returns to 4
 *   windows after a probe that held, whose step then doubles (so a source
 *   that got faster is re-found in a few probes).
 *   A drop that asked for a wait (`retryAfterMs`, see {@linkcode DropCost})
 *   holds probes off for 50 times that wait (at most 5 s) too.
 * - A drop, for a request granted after the last decrease, sets the drop
 *   level to the in-flight count at which the request went out, minus one
 *   (or still in flight at its answer, if more), and the limit to
 *   `min(0.9 * limit, that level)`, at once; after a failed probe (a drop
 *   above the previous level), to that level. A drop
 *   is a 429, a timeout or an answer that asks for a wait; a 5xx that asks
 *   for none counts only when over a quarter of at least 64 answers since
 *   the last decrease are (then x0.9): a source's random faults do not
 *   pull the limit down.
 * - After a storm (drops at every level took the limit under a quarter of
 *   the most requests served at once without a drop), one window without a
 *   drop restarts slow start up to that level (a drop on the way sets it).
 * - The baseline follows window medians down (a quarter of the way per
 *   window, so one lucky window does not set it). It is re-measured every
 *   `max(15 s, 300 baselines)`, once when slow start first ends (unless it
 *   grew the limit fourfold, which a source already queueing at the initial
 *   limit would not have allowed), and when latency-driven decreases cut
 *   the limit by a fifth without cutting latency by a tenth (latency that
 *   stays high while the limit falls means the source itself got slower).
 *   Re-measuring halves the limit, and halves it again while that still
 *   cuts the median latency of the requests made at each level (as many as
 *   the level, 4 to 32) by a quarter, so the source's queue drains and its
 *   service time shows; then the limit is restored. A baseline that rose by
 *   half restarts slow start, and so does a first check that lowered it.
 * - The limit grows only while at least half of it is in use, within
 *   `[min, max]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaptiveLimiter } from "./adaptive_limiter.ts";
 * let clock = 0;
 * const limiter = new AdaptiveLimiter({ initial: 4, now: () => clock });
 * // A source that answers in 20 ms, however many requests fly: the limit grows.
 * for (let round = 0; round < 5; round++) {
 *   const permits = await Promise.all(
 *     Array.from({ length: limiter.limit }, () => limiter.acquire()),
 *   );
 *   clock += 20;
 *   for (const permit of permits) permit.release({ latencyMs: 20, dropped: false });
 * }
 * assert(limiter.limit > 4);
 * // A 429 brings it down at once.
 * const permit = await limiter.acquire();
 * const before = limiter.limit;
 * permit.release({ latencyMs: 1, dropped: true });
 * assert(limiter.limit < before);
 * assert(limiter.trace().length > 1);
 * ```
 */
export class AdaptiveLimiter implements Limiter {
  /** Called with the new limit whenever it changes. */
  onChange: ((limit: number) => void) | undefined = undefined;

  readonly #semaphore: Semaphore;
  readonly #min: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #createdAt: number;
  readonly #trace: LimitTrace;

  /** The limit with its fraction; the semaphore gets the integer part. */
  #limit: number;
  #slowStart = true;
  readonly #baseline: Baseline;
  #measure: BaselineMeasure | undefined;
  readonly #ceiling: Ceiling;
  /** The latency-driven decreases in a row so far: latency and limit of each. */
  #latencyDecreases: { latency: number; limit: number }[] = [];
  /** The limit at creation, and the highest since. */
  #initial: number;
  #peak: number;
  /** The last window's median, when it was over the tolerance too. */
  #highBefore: number | undefined;
  /** Samples of permits granted before this took no part in the last change. */
  #windowFromSeq = 0;
  /** Drops of permits granted before this were answered by a decrease already. */
  #decreasedAtSeq = 0;
  #window = new LimiterWindow(T.MIN_WINDOW);
  readonly #faults = new FaultShare(T.SOFT_SHARE, T.SOFT_MIN_ANSWERS);
  /** Whether latency moves the limit (`false`: only drops do). */
  readonly #followLatency: boolean;

  /** Build a limiter; see {@linkcode AdaptiveLimiterOptions} for the defaults. */
  constructor(options: AdaptiveLimiterOptions = {}) {
    const { min, max, initial } = checkedBounds(options);
    this.#min = min;
    this.#max = max;
    this.#now = options.now ?? (() => performance.now());
    this.#createdAt = this.#now();
    this.#ceiling = new Ceiling(() => this.#now());
    this.#baseline = new Baseline(this.#createdAt);
    this.#limit = Math.min(max, Math.max(min, Math.floor(initial)));
    this.#followLatency = options.followLatency ?? true;
    this.#initial = this.#limit;
    this.#peak = this.#limit;
    this.#semaphore = new Semaphore(
      this.#limit,
      (outcome, grant) => this.#onRelease(outcome, grant),
    );
    this.#trace = new LimitTrace(this.#limit);
    this.#resetWindow(false);
  }

  /** Wait for a permit, first come, first served (retries first). */
  acquire(signal?: AbortSignal, options?: AcquireOptions): Promise<Permit> {
    return this.#semaphore.acquire(signal, options?.retry);
  }

  /** Permits allowed at once right now. */
  get limit(): number {
    return this.#semaphore.limit;
  }

  /** Permits held right now. */
  get inFlight(): number {
    return this.#semaphore.inFlight;
  }

  /** Acquirers waiting right now. */
  get queued(): number {
    return this.#semaphore.queued;
  }

  /** The lowest and highest limit so far, and the limit now. */
  range(): { min: number; max: number; final: number } {
    return { ...this.#trace.range, final: this.limit };
  }

  /**
   * The last changes of the limit (at most 1000), oldest first; the first
   * entry is the initial limit until pushed out.
   */
  trace(): LimitChange[] {
    return this.#trace.entries();
  }

  #onRelease(outcome: PermitOutcome & DropCost, grant: Grant): void {
    if (outcome === "ignore") return;
    const latency = outcome.latencyMs;
    if (!Number.isFinite(latency) || latency < 0) return;
    const { status, retryAfterMs } = outcome;
    if (outcome.dropped && (!status || status === 429 || retryAfterMs)) {
      return this.#onDrop(grant, retryAfterMs);
    }
    // Not a drop: a 5xx that asked for no wait may be the source's own
    // fault; its share over enough answers tells. Its latency says nothing.
    const fault = status !== undefined && status >= 500;
    const fresh = !this.#measure && grant.seq >= this.#windowFromSeq;
    if (fresh && this.#faults.answer(fault)) {
      this.#slowStart = false;
      return this.#decrease(this.#limit * T.DROP_FACTOR);
    }
    if (fault) return;
    if (this.#measure) {
      this.#onMeasureSample(latency, grant);
      return;
    }
    const used = this.#used(grant);
    if (
      this.#slowStart && used && this.#limit < this.#ceiling.level &&
      !this.#queueing(latency)
    ) {
      this.#setLimit(Math.min(this.#limit + 1, this.#ceiling.level));
      if (this.#limit >= this.#ceiling.level || this.#limit >= this.#max) {
        this.#slowStart = false;
      }
    }
    if (grant.seq < this.#windowFromSeq) return;
    const w = this.#window;
    w.add(latency, used, grant.inFlight);
    if (w.full) this.#endWindow();
  }

  /** Latency over `tolerance` x baseline, unless pinned or climbing back after a storm. */
  #queueing(latency: number, tolerance = T.TOLERANCE): boolean {
    if (!this.#followLatency || this.#ceiling.recovering) return false;
    return latency > this.#baseline.accepted(tolerance);
  }

  /** Whether the limit was in use (at least half) when this permit was granted. */
  #used(grant: Grant): boolean {
    return grant.inFlight * 2 >= this.#limit;
  }

  #endWindow(): void {
    const w = this.#window;
    this.#resetWindow(false);
    if (w.drops > 0) return;
    if (w.latencies.length === 0) return;
    const latency = median(w.latencies);
    this.#ceiling.served(w.peak);
    if (!this.#slowStart && this.#ceiling.recover(this.#limit)) {
      // A storm is over: slow start back to where the source was.
      this.#slowStart = true;
      this.#highBefore = undefined;
      return;
    }
    this.#baseline.follow(latency);
    if (this.#queueing(latency)) {
      // A queue at the source lasts; the client's own pauses (a long
      // encode, a GC, its start-up) inflate one window. Only a second
      // window in a row over the tolerance is taken as the source's (at the
      // lower median), and ends slow start; slow answers added nothing.
      const before = this.#highBefore;
      this.#highBefore = latency;
      if (before === undefined) return;
      this.#slowStart = false;
      const high = Math.min(before, latency);
      const gradient = Math.min(
        T.MAX_GRADIENT,
        Math.max(T.MIN_GRADIENT, this.#baseline.accepted(T.TOLERANCE) / high),
      );
      // Latency that stays as high after the limit fell by a fifth is not
      // our queue: the source itself got slower, so the baseline is stale.
      const limit = this.#limit;
      const stale = this.#latencyDecreases.some((earlier) =>
        latency >= earlier.latency * T.STALE_LATENCY &&
        limit <= earlier.limit * T.STALE_LIMIT
      );
      this.#latencyDecreases.push({ latency, limit });
      this.#ceiling.latencyCut();
      this.#decrease(this.#limit * gradient);
      this.#maybeMeasure(stale);
      return;
    }
    this.#highBefore = undefined;
    this.#latencyDecreases = [];
    if (this.#slowStart) {
      if (
        this.#queueing(latency, T.SLOW_START_TOLERANCE) ||
        this.#limit >= Math.min(this.#ceiling.level, this.#max)
      ) {
        this.#slowStart = false;
      }
    } else {
      this.#ceiling.held(this.#limit);
      if (w.used * 2 >= w.latencies.length) this.#increase();
    }
    this.#maybeMeasure(false);
  }

  #increase(): void {
    const up = this.#ceiling.stepUp(this.#limit);
    if (!up) return;
    this.#setLimit(up.limit);
    // Judge the probe only on requests made at the new level.
    if (up.probe) this.#resetWindow(true);
  }

  #onDrop(grant: Grant, retryAfterMs: number | undefined): void {
    if (this.#measure) this.#endMeasure(undefined);
    if (grant.seq >= this.#windowFromSeq) this.#window.drops++;
    this.#ceiling.askedWait(retryAfterMs);
    if (grant.seq < this.#decreasedAtSeq) return;
    // A burst arrives out of order: all still in flight were there to serve.
    const inFlight = Math.max(grant.inFlight - 1, this.#semaphore.inFlight);
    const level = Math.max(this.#min, inFlight);
    const failedProbe = this.#ceiling.dropAt(level, this.#limit);
    this.#latencyDecreases = [];
    this.#slowStart = false;
    const cut = failedProbe ? this.#limit : this.#limit * T.DROP_FACTOR;
    this.#decrease(Math.min(cut, level));
  }

  #decrease(to: number): void {
    this.#highBefore = undefined;
    this.#faults.reset();
    this.#setLimit(to);
    this.#decreasedAtSeq = this.#semaphore.nextSeq;
    this.#resetWindow(true);
  }

  #resetWindow(fresh: boolean): void {
    if (fresh) this.#windowFromSeq = this.#semaphore.nextSeq;
    // Sized when it opens: in slow start the limit grows as fast as samples come.
    const size = Math.max(T.MIN_WINDOW, Math.floor(this.#limit));
    this.#window = new LimiterWindow(size);
  }

  #maybeMeasure(now: boolean): void {
    if (!this.#followLatency) return;
    if (this.#baseline.value === Infinity || this.#measure) return;
    // The first baseline came from the initial limit, which may already
    // have queued at a small source: check it as soon as slow start ends.
    // Unless slow start took the limit to four times the initial one: a
    // source already queueing at the initial limit would have shown four
    // times the latency, and slow start ends at one and a half.
    if (
      !this.#baseline.checked && !this.#slowStart &&
      this.#peak >= T.UNCHECKED_GROWTH * this.#initial
    ) {
      this.#baseline.checked = true;
    }
    const unchecked = !this.#baseline.checked && !this.#slowStart;
    if (!now && !unchecked && !this.#baseline.due(this.#now())) return;
    this.#latencyDecreases = [];
    this.#measure = new BaselineMeasure(this.#limit);
    this.#measureAt(Math.floor(this.#limit / 2));
  }

  /** Hold the limit at `level` and collect the latencies of requests made there. */
  #measureAt(level: number): void {
    const held = Math.max(this.#min, level);
    this.#measure!.holdAt(held, this.#semaphore.nextSeq);
    this.#setLimit(held);
  }

  #onMeasureSample(latency: number, grant: Grant): void {
    const next = this.#measure!.sample(latency, grant.seq, this.#min);
    if (next === undefined) return;
    if ("baseline" in next) this.#endMeasure(next.baseline);
    else this.#measureAt(next.level);
  }

  /** Restore the limit; `baseline` is the new baseline, if one was measured. */
  #endMeasure(baseline: number | undefined): void {
    const m = this.#measure!;
    this.#measure = undefined;
    if (this.#baseline.measured(this.#now(), baseline)) {
      this.#slowStart = m.saved < Math.min(this.#ceiling.level, this.#max);
    }
    this.#setLimit(m.saved);
    this.#resetWindow(true);
  }

  #setLimit(value: number): void {
    this.#limit = Math.min(this.#max, Math.max(this.#min, value));
    if (this.#limit > this.#peak) this.#peak = this.#limit;
    const whole = Math.floor(this.#limit);
    if (whole === this.#semaphore.limit) return;
    this.#semaphore.limit = whole;
    this.#trace.push(this.#now() - this.#createdAt, whole);
    this.onChange?.(whole);
  }
}
