/**
 * `FaultShare`: whether a source's 5xx answers (asking for no wait) are
 * overload or its own random faults, judged by their share of enough
 * answers.
 *
 * @module
 */

/**
 * The 5xx answers asking for no wait among the answers since the last
 * judgement. Over a window as short as a round trip (8 answers at a small
 * limit), a source failing 10 % of requests at random shows over a quarter
 * often: judged over at least `minAnswers`, such a share is overload, not
 * chance (at 10 % random faults, 17 of 64 comes once in about 7,000).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaultShare } from "./_fault_share.ts";
 * const faults = new FaultShare(0.25, 64);
 * // 3 faults in 8 answers: too few answers to say.
 * for (let i = 0; i < 8; i++) assert(!faults.answer(i < 3));
 * // Half of the next 56 fail: 31 of 64, overload.
 * const verdicts = Array.from({ length: 56 }, (_, i) => faults.answer(i % 2 === 0));
 * assert.deepEqual(verdicts.indexOf(true), 55);
 * ```
 */
export class FaultShare {
  readonly #share: number;
  readonly #minAnswers: number;
  #answers = 0;
  #faults = 0;

  /** Faults over `share` of `minAnswers` or more answers are overload. */
  constructor(share: number, minAnswers: number) {
    this.#share = share;
    this.#minAnswers = minAnswers;
  }

  /**
   * Count an answer (`fault`: a 5xx asking for no wait); true when enough
   * answers were counted and over `share` of them were faults. The count
   * starts again after each judgement.
   */
  answer(fault: boolean): boolean {
    this.#answers++;
    if (fault) this.#faults++;
    if (this.#answers < this.#minAnswers) return false;
    const overload = this.#faults > this.#answers * this.#share;
    this.reset();
    return overload;
  }

  /** Start counting again (the limit moved: earlier answers were at another level). */
  reset(): void {
    this.#answers = 0;
    this.#faults = 0;
  }
}
