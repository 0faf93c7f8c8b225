/**
 * `Settlement`: the permit and the rate budget one attempt holds, settled
 * exactly once whatever happens to the attempt.
 *
 * @module
 */

import type { DropCost } from "./drop_cost.ts";
import { parseRetryAfterHeaders } from "./parse_retry_after_headers.ts";
import type { Permit, PermitOutcome } from "./limiter.ts";
import type { RateBudget } from "./rate_budget.ts";
import type { RequestStats } from "./request_stats.ts";

/** What one attempt holds, and what settling it needs. */
export interface SettlementOptions {
  permit: Permit | undefined;
  budget: RateBudget | undefined;
  stats: RequestStats | undefined;
  now: () => number;
  maxRetryAfterMs: number;
}

/**
 * One attempt's permit and budget, counted in flight from construction
 * (the request goes out). The limiter learns from answers and timeouts, not
 * from our own aborts or broken connections; the budget counts whatever the
 * source answered.
 */
export class Settlement {
  /** When the request went out, epoch ms. */
  readonly sentAt: number;
  readonly #o: SettlementOptions;
  #settled = false;

  /** Count the attempt as sent and in flight. */
  constructor(options: SettlementOptions) {
    this.#o = options;
    this.sentAt = options.now();
    const stats = options.stats;
    if (stats) {
      stats.requests++;
      stats.inFlight++;
      if (stats.inFlight > stats.maxInFlight) {
        stats.maxInFlight = stats.inFlight;
      }
    }
  }

  /** Settle the permit and the budget, unless already settled. */
  settle(
    outcome: "answered" | "timeout" | "ignore",
    response: Response | undefined,
  ): void {
    if (this.#settled) return;
    this.#settled = true;
    const { permit, budget, stats } = this.#o;
    if (stats) stats.inFlight--;
    if (outcome === "ignore") permit?.release("ignore");
    else permit?.release(this.#released(outcome, response));
    if (response) {
      budget?.observe(response.status, response.headers, this.sentAt);
    } else budget?.abandon();
  }

  #released(
    outcome: "answered" | "timeout",
    response: Response | undefined,
  ): PermitOutcome & DropCost {
    const status = response?.status;
    const dropped = outcome === "timeout" || status === 429 || status === 503;
    const now = this.#o.now();
    const released: PermitOutcome & DropCost = {
      latencyMs: now - this.sentAt,
      dropped,
    };
    // The status tells a 5xx of a failing source from load shedding.
    if (status !== undefined) released.status = status;
    // What a drop costs tells an adaptive limiter how often to probe.
    const wait = dropped && response
      ? parseRetryAfterHeaders(response.headers, now)
      : undefined;
    if (wait !== undefined) {
      released.retryAfterMs = Math.min(wait, this.#o.maxRetryAfterMs);
    }
    return released;
  }
}
