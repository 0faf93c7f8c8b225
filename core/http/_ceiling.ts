/**
 * `Ceiling`: the in-flight level where an adaptive limiter's source last
 * dropped requests, and when to probe above it.
 *
 * @module
 */

/** Windows to wait before the first probe above the level of the last drop. */
const PROBE_WAIT_MIN = 4;
/** The longest wait between probes, reached after repeated failed probes... */
const PROBE_WAIT_MAX = 64;
/** ...in windows of at least this many requests, so small limits probe rarely too. */
const PROBE_WAIT_MAX_REQUESTS = 1024;
/**
 * Share of the time that waits asked for by failed probes (`Retry-After`
 * on a 429) may take: a drop that asks for 1 s allows a probe every 50 s.
 */
const PROBE_COST_SHARE = 0.02;
/**
 * The longest a drop's asked-for wait holds probes off: a source that asks
 * for a long wait once must not keep the limit low for the rest of a run.
 */
const PROBE_HOLD_MAX_MS = 5_000;
/**
 * A limit that fell below this share of the highest level served without a
 * drop was driven down by a storm, not by capacity: the storm's drops came at
 * every level, so their levels say nothing of what the source takes.
 */
const STORM_DEPTH = 0.25;

/**
 * The level of the last drop, held until a probe above it may go: probes
 * wait longer after each failed one, come sooner and in bigger steps after
 * one that held, and rarer still when drops ask for a wait.
 */
export class Ceiling {
  /** In-flight level known to overload the source (last drop), minus one. */
  level = Infinity;
  /** Windows to spend at the ceiling before probing above it. */
  #probeWait = PROBE_WAIT_MIN;
  #windowsAtCeiling = 0;
  /** No probe above the ceiling before this time (drops that ask for a wait). */
  #probeNotBefore = -Infinity;
  /** How far a probe goes above the ceiling; doubles while probes hold. */
  #probeStep = 1;
  /** The most requests in flight in a window without a drop, since a recovery failed. */
  #good = 0;
  #recovering = false;
  /** Whether drops, not latency, made the last cut. */
  #cutByDrops = false;
  readonly #now: () => number;

  /** A ceiling not known yet, on the limiter's clock. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** A drop asked for a wait of `retryAfterMs` before a retry. */
  askedWait(retryAfterMs: number | undefined): void {
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      // Every failed probe will cost this wait again: probe so rarely
      // that such waits take a small share of the time.
      const hold = Math.min(PROBE_HOLD_MAX_MS, retryAfterMs / PROBE_COST_SHARE);
      this.#probeNotBefore = Math.max(this.#probeNotBefore, this.#now() + hold);
    }
  }

  /**
   * A drop at in-flight `level` (minus one) with the limit at `limit`: the
   * new ceiling. Returns whether it was a probe above the ceiling failing.
   */
  dropAt(level: number, limit: number): boolean {
    // A probe above the last drop level that failed only confirms that
    // level: go back to it, and wait longer before the next probe. Any
    // other drop means the source takes less than we thought.
    const failedProbe = limit > this.level && level >= this.level;
    if (failedProbe) {
      const longest = Math.max(
        PROBE_WAIT_MAX,
        Math.ceil(PROBE_WAIT_MAX_REQUESTS / Math.max(1, this.level)),
      );
      this.#probeWait = Math.min(longest, this.#probeWait * 2);
    }
    this.#cutByDrops = true;
    if (this.#recovering) {
      // The level before the storm is gone: the source takes less now.
      this.#recovering = false;
      this.#good = level;
    }
    this.level = level;
    this.#probeStep = 1;
    this.#windowsAtCeiling = 0;
    return failedProbe;
  }

  /** A whole window at `limit` went without a drop. */
  held(limit: number): void {
    if (limit > this.level) {
      // A whole window above the last drop level without a drop: the
      // source takes more now, so probe again soon and in bigger steps.
      this.level = Math.floor(limit);
      this.#probeWait = PROBE_WAIT_MIN;
      this.#probeStep = Math.min(
        this.#probeStep * 2,
        Math.max(1, Math.floor(limit / 4)),
      );
    }
  }

  /** Climbing back to the level served before a storm; a drop on the way ends it. */
  get recovering(): boolean {
    return this.#recovering;
  }

  /** Latency, not drops, cut the limit: a queue, which no storm explains. */
  latencyCut(): void {
    this.#cutByDrops = false;
  }

  /** A window without a drop served up to `inFlight` requests at once. */
  served(inFlight: number): void {
    if (inFlight > this.#good) this.#good = inFlight;
    if (this.#recovering && inFlight >= this.#good) this.#recovering = false;
  }

  /**
   * Whether a limit of `limit`, after a window without a drop, is so far
   * below the level served before that a storm put it there. If so, the
   * ceiling goes back to that level for the limiter to climb to at once.
   */
  recover(limit: number): boolean {
    if (this.#recovering || !this.#cutByDrops) return false;
    if (!(limit < this.#good * STORM_DEPTH)) return false;
    this.#recovering = true;
    this.level = Math.max(this.level, this.#good);
    this.#probeNotBefore = -Infinity;
    this.#probeWait = PROBE_WAIT_MIN;
    return true;
  }

  /**
   * The limit one window after `limit` (a window that used it), and whether
   * it probes above the ceiling; `undefined` to stay.
   */
  stepUp(limit: number): { limit: number; probe: boolean } | undefined {
    if (limit + 1 <= this.level) return { limit: limit + 1, probe: false };
    if (limit < this.level) return { limit: this.level, probe: false };
    if (
      ++this.#windowsAtCeiling >= this.#probeWait &&
      this.#now() >= this.#probeNotBefore
    ) {
      this.#windowsAtCeiling = 0;
      return { limit: limit + this.#probeStep, probe: true };
    }
    return undefined;
  }
}
