/**
 * `Baseline`: an adaptive limiter's estimate of the source's latency
 * without a queue, and when to re-measure it.
 *
 * @module
 */
import { QUEUE_FLOOR_MS, SLOW_START_TOLERANCE } from "./_limiter_tuning.ts";

/** Share of the gap a lower window median moves the baseline down by. */
const BASELINE_STEP = 0.25;
/** Re-measure the baseline at least this often... */
const BASELINE_INTERVAL_MS = 15_000;
/** ...and no more often than this many baselines, so slow sources lose little. */
const BASELINE_INTERVAL_BASELINES = 300;

/** The unloaded median latency, as far as the limiter knows. */
export class Baseline {
  /** Median latency without queueing; `Infinity` until a window ended. */
  value = Infinity;
  /** Whether the baseline was ever re-measured (the first one may include a queue). */
  checked = false;
  #at: number;

  /** No baseline yet, its clock started at `now`. */
  constructor(now: number) {
    this.#at = now;
  }

  /**
   * The latency accepted before `tolerance` (x the baseline) says the
   * source queues: at least the baseline + `QUEUE_FLOOR_MS`.
   */
  accepted(tolerance: number): number {
    return Math.max(this.value * tolerance, this.value + QUEUE_FLOOR_MS);
  }

  /** Follow a window's median `latency` down. */
  follow(latency: number): void {
    // Queueing only ever adds latency: a lower median means a faster source.
    // Moving only part of the way keeps one lucky window from setting a
    // baseline that every later window exceeds.
    if (this.value === Infinity) this.value = latency;
    else if (latency < this.value) {
      this.value += BASELINE_STEP * (latency - this.value);
    }
  }

  /** Whether the baseline is old enough at `now` to be re-measured. */
  due(now: number): boolean {
    const interval = Math.max(
      BASELINE_INTERVAL_MS,
      BASELINE_INTERVAL_BASELINES * this.value,
    );
    return now - this.#at >= interval;
  }

  /**
   * A re-measure ended at `now`, with the `baseline` it measured, if any:
   * whether slow start should run again. It should if the source got
   * slower (how far the limit may go is unknown again), or if the first
   * check lowered the baseline: the first one was inflated (by the
   * client's own start-up, say), so slow start took a queue that was not
   * there for one and stopped short.
   */
  measured(now: number, baseline: number | undefined): boolean {
    const before = this.value;
    const first = !this.checked;
    this.#at = now;
    this.checked = true;
    if (baseline === undefined) return false;
    this.value = baseline;
    return baseline > before * SLOW_START_TOLERANCE ||
      (first && baseline < before);
  }
}
