/**
 * `Deadline`: the abort signal of one attempt, fired by its timeout or by
 * the caller's signal.
 *
 * @module
 */

import { AttemptTimeout } from "./_failure.ts";

/**
 * One controller per attempt, aborted by our timeout or by the caller's
 * signal: cheaper than `AbortSignal.any`, which every request would pay.
 */
export class Deadline {
  /** Aborted when the attempt times out or the caller aborts. */
  readonly signal: AbortSignal;
  #timedOut = false;
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #caller: AbortSignal | undefined;
  readonly #onAbort: () => void;

  /** Start the clock of an attempt of at most `timeoutMs`. */
  constructor(caller: AbortSignal | undefined, timeoutMs: number) {
    const attempt = new AbortController();
    this.signal = attempt.signal;
    this.#caller = caller;
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      attempt.abort(new AttemptTimeout(timeoutMs));
    }, timeoutMs);
    this.#onAbort = () => attempt.abort(caller?.reason);
    caller?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Whether the timeout fired. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Stop the clock and stop listening to the caller. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener("abort", this.#onAbort);
  }
}
