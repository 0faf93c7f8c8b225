/**
 * `DeadlineWheel`: the timeouts of every attempt of a client, kept by one
 * ticker instead of a timer each.
 *
 * @module
 */

import { AttemptTimeout } from "./_failure.ts";

/** Starts and stops the wheel's one periodic tick; injected by tests. */
export interface Ticker {
  /** Call `tick` every `everyMs` until stopped; returns a handle for `stop`. */
  start(everyMs: number, tick: () => void): unknown;
  /** Stop the ticks started under `handle`. */
  stop(handle: unknown): void;
}

const REAL_TICKER: Ticker = {
  start: (everyMs, tick) => setInterval(tick, everyMs),
  stop: (handle) => clearInterval(handle as number),
};

/** The longest tick: a timeout fires at most this late. */
const MAX_TICK_MS = 1_000;
/** The fewest ticks per timeout: a timeout fires at most 1/10 late. */
const MIN_TICKS = 10;

/**
 * One attempt's abort signal, aborted by the wheel once the attempt is past
 * its deadline, or when the caller's signal aborts.
 */
export class Deadline {
  /** Aborted when the attempt times out or the caller aborts. */
  readonly signal: AbortSignal;
  /** The tick at which the attempt is past its deadline. */
  readonly dueTick: number;
  #timedOut = false;
  readonly #controller: AbortController;
  readonly #caller: AbortSignal | undefined;
  readonly #wheel: DeadlineWheel;

  /** Use {@linkcode DeadlineWheel.start}. */
  constructor(
    wheel: DeadlineWheel,
    caller: AbortSignal | undefined,
    due: number,
  ) {
    this.#controller = new AbortController();
    this.signal = this.#controller.signal;
    this.#wheel = wheel;
    this.#caller = caller;
    this.dueTick = due;
    if (caller?.aborted) this.#controller.abort(caller.reason);
    // The deadline itself is the listener: no closure per attempt.
    else caller?.addEventListener("abort", this, { once: true });
  }

  /** Whether the timeout fired. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** The caller aborted: the attempt aborts with its reason. */
  handleEvent(): void {
    this.#controller.abort(this.#caller?.reason);
  }

  /** Called by the wheel once the deadline passed. */
  expire(timeoutMs: number): void {
    if (this.signal.aborted) return;
    this.#timedOut = true;
    this.#controller.abort(new AttemptTimeout(timeoutMs));
  }

  /** The attempt ended: leave the wheel and stop listening to the caller. */
  dispose(): void {
    this.#caller?.removeEventListener("abort", this);
    this.#wheel.leave(this);
  }
}

/**
 * The timeouts of one client's attempts. A timer per attempt (set and
 * cleared thousands of times a second) cost more CPU than the rest of the
 * attempt's bookkeeping; here one ticker runs while any attempt is out,
 * every `timeoutMs / 10` (at most every second), and each tick aborts the
 * attempts whose deadline passed. Deadlines count ticks, not a clock, so an
 * attempt is never aborted before `timeoutMs` and at most one tick after.
 * Every attempt has the same timeout, so deadlines come in the order the
 * attempts started, and a tick looks only at the oldest ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DeadlineWheel, type Ticker } from "./_deadline_wheel.ts";
 * let tick = () => {};
 * const ticker: Ticker = { start: (_ms, t) => (tick = t), stop: () => {} };
 * const wheel = new DeadlineWheel(100, ticker);
 * assert.equal(wheel.tickMs, 10);
 * const d = wheel.start(undefined);
 * for (let i = 0; i < 10; i++) tick();
 * assert(!d.signal.aborted, "ten ticks may have taken a little under 100 ms");
 * tick();
 * assert(d.timedOut && d.signal.aborted);
 * d.dispose();
 * ```
 */
export class DeadlineWheel {
  /** Milliseconds between ticks. */
  readonly tickMs: number;
  readonly #timeoutMs: number;
  readonly #ticks: number;
  readonly #ticker: Ticker;
  /** Attempts out, oldest first (a Set keeps insertion order). */
  readonly #out = new Set<Deadline>();
  #tick = 0;
  #handle: unknown;
  #running = false;

  /** A wheel for attempts of `timeoutMs` each. */
  constructor(timeoutMs: number, ticker: Ticker = REAL_TICKER) {
    this.#timeoutMs = timeoutMs;
    this.#ticks = Math.max(MIN_TICKS, Math.ceil(timeoutMs / MAX_TICK_MS));
    this.tickMs = timeoutMs / this.#ticks;
    this.#ticker = ticker;
  }

  /** Attempts out now. */
  get size(): number {
    return this.#out.size;
  }

  /** Start the clock of one attempt, aborted too when `caller` aborts. */
  start(caller: AbortSignal | undefined): Deadline {
    // The next tick may come at once: one more makes the wait a full timeout.
    const deadline = new Deadline(this, caller, this.#tick + this.#ticks + 1);
    this.#out.add(deadline);
    // An endless timeout never fires: no ticker for it.
    if (!this.#running && Number.isFinite(this.#timeoutMs)) {
      this.#running = true;
      this.#handle = this.#ticker.start(this.tickMs, () => this.#advance());
    }
    return deadline;
  }

  /** `deadline`'s attempt ended; the last one out stops the ticker. */
  leave(deadline: Deadline): void {
    if (!this.#out.delete(deadline) || this.#out.size > 0) return;
    if (!this.#running) return;
    // Nothing is out: no timer may keep the process (or a test) alive.
    this.#running = false;
    this.#ticker.stop(this.#handle);
  }

  #advance(): void {
    const now = ++this.#tick;
    for (const d of this.#out) {
      if (d.dueTick > now) break;
      // Still out until its attempt disposes of it; expire once.
      if (!d.timedOut) d.expire(this.#timeoutMs);
    }
  }
}
