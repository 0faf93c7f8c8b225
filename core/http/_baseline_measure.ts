/**
 * `BaselineMeasure`: one re-measure of an adaptive limiter's baseline, the
 * latency of the source without a queue.
 *
 * @module
 */

import { median } from "./_median.ts";

/** A re-measure stops going lower once halving the load keeps this much of the latency. */
const MEASURE_SAME = 0.75;
/** Samples a re-measure takes per level: the level, within these bounds. */
const MEASURE_SAMPLES_MIN = 4;
const MEASURE_SAMPLES = 32;

/**
 * A re-measure under way: the limit is held at a level, halved while that
 * still cuts the median latency of the requests made there by a quarter, so
 * the source's queue drains and its service time shows.
 */
export class BaselineMeasure {
  /** The limit to restore once measured. */
  readonly saved: number;
  #level: number;
  #fromSeq = 0;
  #samples: number[] = [];
  #previous: { latency: number; samples: number[] } | undefined;

  /** A re-measure of a limiter whose limit is `saved`. */
  constructor(saved: number) {
    this.saved = saved;
    this.#level = saved;
  }

  /** Hold `level`, counting only permits granted from `seq` on. */
  holdAt(level: number, seq: number): void {
    this.#level = level;
    this.#fromSeq = seq;
    this.#samples = [];
  }

  /**
   * Learn the latency of a permit granted as `seq`: the next level to hold,
   * or the baseline measured, or `undefined` while more samples are needed.
   */
  sample(
    latency: number,
    seq: number,
    min: number,
  ): { level: number } | { baseline: number } | undefined {
    // Requests granted before the last step down met the old queue.
    if (seq < this.#fromSeq) return undefined;
    this.#samples.push(latency);
    const need = Math.max(
      MEASURE_SAMPLES_MIN,
      Math.min(MEASURE_SAMPLES, this.#level),
    );
    if (this.#samples.length < need) return undefined;
    const latencyHere = median(this.#samples);
    const previous = this.#previous;
    if (previous && latencyHere > previous.latency * MEASURE_SAME) {
      // Halving the load no longer halves latency: both levels are below
      // the source's capacity and show its service time.
      return { baseline: median([...previous.samples, ...this.#samples]) };
    }
    if (this.#level > min) {
      // The first level, or one that still queued: go lower until latency
      // stops falling (a baseline measured in a queue would let the limit
      // drift upward with every re-measure).
      this.#previous = { latency: latencyHere, samples: this.#samples };
      return { level: Math.floor(this.#level / 2) };
    }
    return { baseline: latencyHere };
  }
}
