/**
 * `AdaptiveLimiter`: finds how many requests a source serves at once, and
 * follows it when it changes (`--concurrency auto`).
 *
 * The two kinds of overload call for opposite biases. A source that queues
 * past its capacity only gets slower: a limit above capacity costs latency,
 * one below it costs throughput, so the limiter errs upward and tolerates
 * latency up to one and a half times its floor. A source that sheds load
 * (429/503) punishes every excess request, so after a drop the limiter holds
 * just below the level where the drop happened and probes above it rarely,
 * more rarely after each failed probe, and more rarely still when a drop
 * asks for a wait (`Retry-After`) that every failed probe would cost again.
 *
 * Every decision is taken when a permit is released, from the latencies and
 * drops the HTTP layer reports, with time read from the injected `now`: no
 * timers, so a fake clock makes every decision reproducible.
 *
 * @module
 */

import { type Grant, Semaphore } from "./_semaphore.ts";
import type { Limiter, Permit, PermitOutcome } from "./limiter.ts";

/**
 * Options of {@linkcode AdaptiveLimiter}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AdaptiveLimiterOptions } from "./adaptive_limiter.ts";
 * const options: AdaptiveLimiterOptions = { initial: 8, max: 64 };
 * assert(options.max === 64);
 * ```
 */
export interface AdaptiveLimiterOptions {
  /**
   * The limit to start from; clamped into `[min, max]`.
   * @default {8}
   */
  initial?: number;
  /**
   * The limit never goes below this; an integer >= 1.
   * @default {1}
   */
  min?: number;
  /**
   * The limit never goes above this (`--max-concurrency`); an integer >= `min`.
   * @default {256}
   */
  max?: number;
  /**
   * The clock, in milliseconds; only differences matter.
   * @default {() => performance.now()}
   */
  now?: () => number;
}

/**
 * One change of the limit, for the progress line, the run summary and the bench.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LimitChange } from "./adaptive_limiter.ts";
 * const change: LimitChange = { atMs: 1250, limit: 34 };
 * assert(change.limit === 34);
 * ```
 */
export interface LimitChange {
  /** Milliseconds since the limiter was created. */
  atMs: number;
  /** The limit from then on. */
  limit: number;
}

/**
 * What the HTTP layer may add to a dropped request's outcome: the wait the
 * source asked for (`Retry-After`). A drop that asks for a wait makes
 * every failed probe cost that much, so the limiter probes more rarely.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaptiveLimiter, type DropCost } from "./adaptive_limiter.ts";
 * import type { PermitOutcome } from "./limiter.ts";
 * const limiter = new AdaptiveLimiter({ initial: 4 });
 * const permit = await limiter.acquire();
 * const outcome: PermitOutcome & DropCost = { latencyMs: 1, dropped: true, retryAfterMs: 1000 };
 * permit.release(outcome);
 * assert(limiter.limit < 4);
 * ```
 */
export interface DropCost {
  /** The wait the source asked for before a retry, in ms. */
  retryAfterMs?: number;
}

/**
 * Queueing latency accepted over the baseline before the limit comes down:
 * enough queue at the source to cover the client's own pauses, no more.
 */
const TOLERANCE = 1.5;
/** Slow start stops once latency is this far over the baseline. */
const SLOW_START_TOLERANCE = 1.5;
/** Multiplicative decrease on a drop (429/503/timeout). */
const DROP_FACTOR = 0.9;
/** Bounds of the latency gradient's decrease factor. */
const MIN_GRADIENT = 0.5;
const MAX_GRADIENT = 0.9;
/** Fewest samples a window's median is taken over (small limits span several round trips). */
const MIN_WINDOW = 8;
/** Windows to wait before the first probe above the level of the last drop. */
const PROBE_WAIT_MIN = 4;
/** The longest wait between probes, reached after repeated failed probes... */
const PROBE_WAIT_MAX = 64;
/** ...in windows of at least this many requests, so small limits probe rarely too. */
const PROBE_WAIT_MAX_REQUESTS = 1024;
/** Latency kept (at least) after the limit fell to `STALE_LIMIT` of its level: the baseline is stale. */
const STALE_LATENCY = 0.9;
const STALE_LIMIT = 0.8;
/** Share of the gap a lower window median moves the baseline down by. */
const BASELINE_STEP = 0.25;
/** Re-measure the baseline at least this often... */
const BASELINE_INTERVAL_MS = 15_000;
/** ...and no more often than this many baselines, so slow sources lose little. */
const BASELINE_INTERVAL_BASELINES = 300;
/** A re-measure stops going lower once halving the load keeps this much of the latency. */
const MEASURE_SAME = 0.75;
/** Samples a re-measure takes per level: the level, within these bounds. */
const MEASURE_SAMPLES_MIN = 4;
const MEASURE_SAMPLES = 32;
/**
 * Share of the time that waits asked for by failed probes (`Retry-After`
 * on a 429) may take: a drop that asks for 1 s allows a probe every 50 s.
 */
const PROBE_COST_SHARE = 0.02;
/** Slow start that grew the limit this many times over needs no baseline check. */
const UNCHECKED_GROWTH = 4;
/** Entries kept by `trace()`. */
const TRACE_LENGTH = 1000;

/**
 * A limiter that finds the concurrency a source sustains, in the manner of
 * TCP congestion control and Netflix's Gradient/Vegas limiters. Latency is
 * judged by the median of a window of completions (one round trip, at least
 * 8 samples) against a baseline, the unloaded median latency:
 *
 * - Slow start: +1 per completion (doubling per round trip) while the limit
 *   is in use; it ends on a drop, at the level of the last drop, or once a
 *   window's median exceeds 1.5x the baseline.
 * - Then, per window: a median above 1.5x the baseline in two windows in a
 *   row (one window may be the client's own pause: a GC, a long encode)
 *   multiplies the limit by `clamp(1.5 * baseline / median, 0.5, 0.9)`,
 *   with the lower of the two medians; otherwise +1, up to the level of
 *   the last drop, and above it only after a wait that doubles after every
 *   failed probe (4 to 64 windows, and at least 1024 requests at the
 *   longest) and returns to 4 windows after a probe that held, whose step
 *   then doubles (so a source that got faster is re-found in a few probes).
 *   A drop that asked for a wait (`retryAfterMs`, see {@linkcode DropCost})
 *   also holds probes off for 50 times that wait, so that failed probes'
 *   waits take at most 2% of the time.
 * - A drop, for a request granted after the last decrease, sets the drop
 *   level to the in-flight count at which the request went out, minus one,
 *   and the limit to `min(0.9 * limit, that level)`, at once; after a
 *   failed probe (a drop above the previous level), to that level.
 * - The baseline follows window medians down (a quarter of the way per
 *   window, so one lucky window does not set it). It is re-measured every
 *   `max(15 s, 300 baselines)`, once when slow start first ends (unless it
 *   grew the limit fourfold, which a source already queueing at the
 *   initial limit would not have allowed), and when
 *   latency-driven decreases cut the limit by a fifth without cutting
 *   latency by a tenth (latency that stays high while the limit falls means
 *   the source itself got slower). Re-measuring halves the limit, and halves
 *   it again while that still cuts the median latency of the requests made
 *   at each level (as many as the level, 4 to 32) by a quarter, so the
 *   source's queue drains and its service time shows; then the limit is
 *   restored. A baseline that rose by half restarts slow start.
 * - The limit grows only while at least half of it is in use, and stays in
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
  #trace: LimitChange[] = [];

  /** The limit with its fraction; the semaphore gets the integer part. */
  #limit: number;
  #slowStart = true;
  /** Median latency without queueing, as far as we know. */
  #baseline = Infinity;
  #baselineAt: number;
  /** Whether the baseline was ever re-measured (the first one may include a queue). */
  #baselineChecked = false;
  /** The re-measure under way: the limit to restore, the level held, what was seen. */
  #measure:
    | {
      saved: number;
      level: number;
      fromSeq: number;
      samples: number[];
      previous: { latency: number; samples: number[] } | undefined;
    }
    | undefined;
  /** In-flight level known to overload the source (last drop), minus one. */
  #ceiling = Infinity;
  /** Windows to spend at the ceiling before probing above it. */
  #probeWait = PROBE_WAIT_MIN;
  #windowsAtCeiling = 0;
  /** No probe above the ceiling before this time (drops that ask for a wait). */
  #probeNotBefore = -Infinity;
  /** How far a probe goes above the ceiling; doubles while probes hold. */
  #probeStep = 1;
  /** The latency-driven decreases in a row so far: latency and limit of each. */
  #latencyDecreases: { latency: number; limit: number }[] = [];
  /** The limit at creation, and the highest since. */
  #initial: number;
  #peak: number;
  /** The last window's median, when it was over the tolerance too. */
  #highBefore: number | undefined;
  /** Samples from permits granted before this took no part in the last change. */
  #windowFromSeq = 0;
  /** Drops of permits granted before this were answered by a decrease already. */
  #decreasedAtSeq = 0;
  #window = { latencies: [] as number[], drops: 0, used: 0, size: MIN_WINDOW };

  /** Build a limiter; see {@linkcode AdaptiveLimiterOptions} for the defaults. */
  constructor(options: AdaptiveLimiterOptions = {}) {
    const min = options.min ?? 1;
    const max = options.max ?? 256;
    if (!Number.isInteger(min) || min < 1) {
      throw new RangeError(
        `Cannot create adaptive limiter: min must be an integer >= 1, got ${min}`,
      );
    }
    if (!Number.isInteger(max) || max < min) {
      throw new RangeError(
        `Cannot create adaptive limiter: max must be an integer >= min (${min}), got ${max}`,
      );
    }
    const initial = options.initial ?? 8;
    if (!Number.isFinite(initial)) {
      throw new RangeError(
        `Cannot create adaptive limiter: initial must be a number, got ${initial}`,
      );
    }
    this.#min = min;
    this.#max = max;
    this.#now = options.now ?? (() => performance.now());
    this.#createdAt = this.#now();
    this.#baselineAt = this.#createdAt;
    this.#limit = Math.min(max, Math.max(min, Math.floor(initial)));
    this.#initial = this.#limit;
    this.#peak = this.#limit;
    this.#semaphore = new Semaphore(
      this.#limit,
      (outcome, grant) => this.#onRelease(outcome, grant),
    );
    this.#trace.push({ atMs: 0, limit: this.#limit });
    this.#resetWindow(false);
  }

  /** Wait for a permit, first come, first served. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    return this.#semaphore.acquire(signal);
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

  /**
   * The last changes of the limit (at most 1000), oldest first; the first
   * entry is the initial limit until pushed out.
   */
  trace(): LimitChange[] {
    return this.#trace.slice(-TRACE_LENGTH);
  }

  #onRelease(outcome: PermitOutcome & DropCost, grant: Grant): void {
    if (outcome === "ignore") return;
    const latency = outcome.latencyMs;
    if (!Number.isFinite(latency) || latency < 0) return;
    if (outcome.dropped) {
      this.#onDrop(grant, outcome.retryAfterMs);
      return;
    }
    if (this.#measure) {
      this.#onMeasureSample(latency, grant);
      return;
    }
    const used = this.#used(grant);
    if (
      this.#slowStart && used && this.#limit < this.#ceiling &&
      !(latency > this.#baseline * TOLERANCE)
    ) {
      this.#setLimit(Math.min(this.#limit + 1, this.#ceiling));
      if (this.#limit >= this.#ceiling || this.#limit >= this.#max) {
        this.#slowStart = false;
      }
    }
    if (grant.seq < this.#windowFromSeq) return;
    const w = this.#window;
    w.latencies.push(latency);
    if (used) w.used++;
    if (w.latencies.length >= w.size) this.#endWindow();
  }

  /** Whether the limit was in use (at least half) when this permit was granted. */
  #used(grant: Grant): boolean {
    return grant.inFlight * 2 >= this.#limit;
  }

  #endWindow(): void {
    const w = this.#window;
    this.#resetWindow(false);
    if (w.drops > 0 || w.latencies.length === 0) return;
    const latency = median(w.latencies);
    // Queueing only ever adds latency: a lower median means a faster source.
    // Moving only part of the way keeps one lucky window from setting a
    // baseline that every later window exceeds.
    if (this.#baseline === Infinity) this.#baseline = latency;
    else if (latency < this.#baseline) {
      this.#baseline += BASELINE_STEP * (latency - this.#baseline);
    }
    if (latency > this.#baseline * TOLERANCE) {
      this.#slowStart = false;
      // A queue at the source lasts; the client's own pauses (a long
      // encode, a GC) inflate one window. Only a second window in a row
      // over the tolerance is taken as the source's, at the lower median.
      const before = this.#highBefore;
      this.#highBefore = latency;
      if (before === undefined) return;
      const high = Math.min(before, latency);
      const gradient = Math.min(
        MAX_GRADIENT,
        Math.max(MIN_GRADIENT, (this.#baseline * TOLERANCE) / high),
      );
      // Latency that stays as high after the limit fell by a fifth is not
      // our queue: the source itself got slower, so the baseline is stale.
      const limit = this.#limit;
      const stale = this.#latencyDecreases.some((earlier) =>
        latency >= earlier.latency * STALE_LATENCY &&
        limit <= earlier.limit * STALE_LIMIT
      );
      this.#latencyDecreases.push({ latency, limit });
      this.#decrease(this.#limit * gradient);
      this.#maybeMeasure(stale);
      return;
    }
    this.#highBefore = undefined;
    this.#latencyDecreases = [];
    if (this.#slowStart) {
      if (
        latency > this.#baseline * SLOW_START_TOLERANCE ||
        this.#limit >= Math.min(this.#ceiling, this.#max)
      ) {
        this.#slowStart = false;
      }
    } else {
      if (this.#limit > this.#ceiling) {
        // A whole window above the last drop level without a drop: the
        // source takes more now, so probe again soon and in bigger steps.
        this.#ceiling = Math.floor(this.#limit);
        this.#probeWait = PROBE_WAIT_MIN;
        this.#probeStep = Math.min(
          this.#probeStep * 2,
          Math.max(1, Math.floor(this.#limit / 4)),
        );
      }
      if (w.used * 2 >= w.latencies.length) this.#increase();
    }
    this.#maybeMeasure(false);
  }

  #increase(): void {
    if (this.#limit + 1 <= this.#ceiling) {
      this.#setLimit(this.#limit + 1);
    } else if (this.#limit < this.#ceiling) {
      this.#setLimit(this.#ceiling);
    } else if (
      ++this.#windowsAtCeiling >= this.#probeWait &&
      this.#now() >= this.#probeNotBefore
    ) {
      this.#windowsAtCeiling = 0;
      this.#setLimit(this.#limit + this.#probeStep);
      // Judge the probe only on requests made at the new level.
      this.#resetWindow(true);
    }
  }

  #onDrop(grant: Grant, retryAfterMs: number | undefined): void {
    if (this.#measure) this.#endMeasure(undefined);
    if (grant.seq >= this.#windowFromSeq) this.#window.drops++;
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      // Every failed probe will cost this wait again: probe so rarely
      // that such waits take a small share of the time.
      this.#probeNotBefore = Math.max(
        this.#probeNotBefore,
        this.#now() + retryAfterMs / PROBE_COST_SHARE,
      );
    }
    if (grant.seq < this.#decreasedAtSeq) return;
    const level = Math.max(this.#min, grant.inFlight - 1);
    // A probe above the last drop level that failed only confirms that
    // level: go back to it, and wait longer before the next probe. Any
    // other drop means the source takes less than we thought.
    const failedProbe = this.#limit > this.#ceiling &&
      level >= this.#ceiling;
    if (failedProbe) {
      const longest = Math.max(
        PROBE_WAIT_MAX,
        Math.ceil(PROBE_WAIT_MAX_REQUESTS / Math.max(1, this.#ceiling)),
      );
      this.#probeWait = Math.min(longest, this.#probeWait * 2);
    }
    this.#ceiling = level;
    this.#probeStep = 1;
    this.#windowsAtCeiling = 0;
    this.#latencyDecreases = [];
    this.#slowStart = false;
    this.#decrease(
      failedProbe ? level : Math.min(this.#limit * DROP_FACTOR, level),
    );
  }

  #decrease(to: number): void {
    this.#highBefore = undefined;
    this.#setLimit(to);
    this.#decreasedAtSeq = this.#semaphore.nextSeq;
    this.#resetWindow(true);
  }

  #resetWindow(fresh: boolean): void {
    if (fresh) this.#windowFromSeq = this.#semaphore.nextSeq;
    // Sized when it opens: in slow start the limit grows as fast as samples come.
    const size = Math.max(MIN_WINDOW, Math.floor(this.#limit));
    this.#window = { latencies: [], drops: 0, used: 0, size };
  }

  #maybeMeasure(now: boolean): void {
    if (this.#baseline === Infinity || this.#measure) return;
    const interval = Math.max(
      BASELINE_INTERVAL_MS,
      BASELINE_INTERVAL_BASELINES * this.#baseline,
    );
    // The first baseline came from the initial limit, which may already
    // have queued at a small source: check it as soon as slow start ends.
    // Unless slow start took the limit to four times the initial one: a
    // source already queueing at the initial limit would have shown four
    // times the latency, and slow start ends at one and a half.
    if (
      !this.#baselineChecked && !this.#slowStart &&
      this.#peak >= UNCHECKED_GROWTH * this.#initial
    ) {
      this.#baselineChecked = true;
    }
    const unchecked = !this.#baselineChecked && !this.#slowStart;
    if (!now && !unchecked && this.#now() - this.#baselineAt < interval) {
      return;
    }
    this.#latencyDecreases = [];
    this.#measure = {
      saved: this.#limit,
      level: this.#limit,
      fromSeq: 0,
      samples: [],
      previous: undefined,
    };
    this.#measureAt(Math.floor(this.#limit / 2));
  }

  /** Hold the limit at `level` and collect the latencies of requests made there. */
  #measureAt(level: number): void {
    const m = this.#measure!;
    m.level = Math.max(this.#min, level);
    m.fromSeq = this.#semaphore.nextSeq;
    m.samples = [];
    this.#setLimit(m.level);
  }

  #onMeasureSample(latency: number, grant: Grant): void {
    const m = this.#measure!;
    // Requests granted before the last step down met the old queue.
    if (grant.seq < m.fromSeq) return;
    m.samples.push(latency);
    const need = Math.max(
      MEASURE_SAMPLES_MIN,
      Math.min(MEASURE_SAMPLES, m.level),
    );
    if (m.samples.length < need) return;
    const latencyHere = median(m.samples);
    const previous = m.previous;
    if (previous && latencyHere > previous.latency * MEASURE_SAME) {
      // Halving the load no longer halves latency: both levels are below
      // the source's capacity and show its service time.
      this.#endMeasure(median([...previous.samples, ...m.samples]));
    } else if (m.level > this.#min) {
      // The first level, or one that still queued: go lower until latency
      // stops falling (a baseline measured in a queue would let the limit
      // drift upward with every re-measure).
      m.previous = { latency: latencyHere, samples: m.samples };
      this.#measureAt(Math.floor(m.level / 2));
    } else {
      this.#endMeasure(latencyHere);
    }
  }

  /** Restore the limit; `baseline` is the new baseline, if one was measured. */
  #endMeasure(baseline: number | undefined): void {
    const m = this.#measure!;
    this.#measure = undefined;
    this.#baselineAt = this.#now();
    this.#baselineChecked = true;
    if (baseline !== undefined) {
      const before = this.#baseline;
      this.#baseline = baseline;
      // The source got slower: how far the limit may go is unknown again.
      if (baseline > before * SLOW_START_TOLERANCE) {
        this.#slowStart = m.saved < Math.min(this.#ceiling, this.#max);
      }
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
    this.#trace.push({ atMs: this.#now() - this.#createdAt, limit: whole });
    if (this.#trace.length > 2 * TRACE_LENGTH) {
      this.#trace = this.#trace.slice(-TRACE_LENGTH);
    }
    this.onChange?.(whole);
  }
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
