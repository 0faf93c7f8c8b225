/**
 * `LimiterWindow`: the completions an adaptive limiter judges together,
 * about one round trip of them.
 *
 * @module
 */

/** What the completions of one window showed. */
export class LimiterWindow {
  /** Latencies of the answers that were neither drops nor 5xx. */
  readonly latencies: number[] = [];
  /** Drops: 429s, timeouts, answers that asked for a wait. */
  drops = 0;
  /** Samples granted while at least half the limit was in use. */
  used = 0;
  /** The most requests in flight at any grant of the window. */
  peak = 0;
  /** Samples the window ends at. */
  readonly size: number;

  /** An empty window of `size` samples. */
  constructor(size: number) {
    this.size = size;
  }

  /** A sample: `latency` of a permit granted with `inFlight` held. */
  add(latency: number, used: boolean, inFlight: number): void {
    this.latencies.push(latency);
    if (used) this.used++;
    if (inFlight > this.peak) this.peak = inFlight;
  }

  /** Whether the window has all its samples. */
  get full(): boolean {
    return this.latencies.length >= this.size;
  }
}
