/**
 * Timers that learn how late they fire and start that much earlier, so the
 * test API's service times average what was asked for. Deno's timers fire
 * about 1-2 ms late; at 20 ms that alone would cap any client at ~93 % of the
 * source's physical limit (capacity ÷ latency), below what the bench demands.
 *
 * @module
 */

// How much of each observed error feeds back, and the most we ever start
// early: enough for timer slack, too little to hide a saturated event loop.
const GAIN = 0.05;
const MAX_BIAS_MS = 3;

/** `setTimeout` corrected by a running estimate of its own lateness. */
export class CalibratedTimer {
  #bias = 0;

  /** Call `fn` about `ms` from now (on average, not at least). */
  set(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const start = performance.now();
    const delay = Math.max(0, ms - Math.min(this.#bias, ms / 2));
    return setTimeout(() => {
      const late = performance.now() - start - ms;
      this.#bias = Math.min(MAX_BIAS_MS, Math.max(0, this.#bias + late * GAIN));
      fn();
    }, delay);
  }
}
