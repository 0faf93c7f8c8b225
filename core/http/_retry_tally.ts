/**
 * One request's count of failures, and the rule that ends it: a throttle
 * the source asked for is bounded by the run's progress, any other failure
 * by the request's attempts and the run's retry budget.
 *
 * @module
 */
import type { BackoffOptions } from "../async/backoff.ts";
import type { ErrorContext } from "../connector/errors.ts";
import type { RetryBudget } from "./retry_budget.ts";
import { type Failure, finalError, stalledError } from "./_failure.ts";
import { retryDelay } from "./_retry_delay.ts";

/** What a tally needs of its client. */
export interface RetryRules {
  maxAttempts: number;
  stallTimeoutMs: number;
  retryBudget: RetryBudget;
  now: () => number;
  /** When any request of the client last succeeded. */
  progressAt: () => number;
  redact: (text: string) => string;
  backoff: BackoffOptions;
  random: () => number;
}

/** The failures of one request so far. */
export class RetryTally {
  #rules: RetryRules;
  #safeUrl: string;
  #where: ErrorContext;
  #failed = 0;
  #throttledAt: number | undefined;

  constructor(rules: RetryRules, safeUrl: string, where: ErrorContext) {
    this.#rules = rules;
    this.#safeUrl = safeUrl;
    this.#where = where;
    rules.retryBudget.deposit();
  }

  /** Throws the request's final error when `failure` ends it. */
  check(failure: Failure): void {
    const r = this.#rules;
    if (failure.throttled) {
      // The source asked for a wait: what bounds it is the run's progress,
      // not this request's attempts. Counted from this request's first
      // throttle at the earliest, so time spent queued for the rate budget
      // is not taken for a stall.
      const now = r.now();
      this.#throttledAt ??= now;
      const stalledMs = now - Math.max(r.progressAt(), this.#throttledAt);
      if (stalledMs >= r.stallTimeoutMs) {
        throw stalledError(
          failure,
          stalledMs,
          this.#safeUrl,
          this.#where,
          r.redact,
        );
      }
    } else if (++this.#failed >= r.maxAttempts) {
      const n = this.#failed;
      const note = `gave up after ${n} attempt${n === 1 ? "" : "s"}`;
      throw finalError(failure, note, this.#safeUrl, this.#where, r.redact);
    } else if (!r.retryBudget.withdraw()) {
      const note = `retry budget spent: ${r.retryBudget.describe()}`;
      throw finalError(failure, note, this.#safeUrl, this.#where, r.redact);
    }
  }

  /** The wait before retry number `attempt` (from 1) after `failure`, ms. */
  delay(failure: Failure, attempt: number): number {
    const { backoff, random } = this.#rules;
    const progressAt = this.#rules.progressAt();
    return retryDelay(failure, attempt, { backoff, random, progressAt });
  }
}
