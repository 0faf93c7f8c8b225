/**
 * A fixed-window request budget for the test API, and the headers that
 * announce it (GitHub's `X-RateLimit-*` or the IETF draft's `RateLimit`).
 *
 * @module
 */

/** How the budget is announced. */
export type RateHeaderStyle = "x-ratelimit" | "ietf" | "none";

/** The outcome of one request against the budget. */
export interface RateDecision {
  /** False when the window's budget is spent: answer 429. */
  ok: boolean;
  /** Whole seconds until the window renews (at least 1). */
  resetSeconds: number;
  /** Headers to send with the answer. */
  headers: Record<string, string>;
}

/**
 * `requests` per `perSeconds`, in windows that start at the first request
 * after the previous window ended. Refused requests do not spend budget.
 */
export class RateWindow {
  #requests: number;
  #windowMs: number;
  #style: RateHeaderStyle;
  #now: () => number;
  #start = -Infinity;
  #used = 0;

  constructor(
    limit: { requests: number; perSeconds: number; headers?: RateHeaderStyle },
    now: () => number,
  ) {
    this.#requests = limit.requests;
    this.#windowMs = limit.perSeconds * 1000;
    this.#style = limit.headers ?? "x-ratelimit";
    this.#now = now;
  }

  /** Spend one request if the budget allows. */
  take(): RateDecision {
    const now = this.#now();
    if (now >= this.#start + this.#windowMs) {
      this.#start = now;
      this.#used = 0;
    }
    const ok = this.#used < this.#requests;
    if (ok) this.#used++;
    const endMs = this.#start + this.#windowMs;
    const resetSeconds = Math.max(1, Math.ceil((endMs - now) / 1000));
    return { ok, resetSeconds, headers: this.#headers(endMs, resetSeconds) };
  }

  #headers(endMs: number, resetSeconds: number): Record<string, string> {
    const remaining = this.#requests - this.#used;
    switch (this.#style) {
      case "x-ratelimit":
        return {
          "x-ratelimit-limit": String(this.#requests),
          "x-ratelimit-remaining": String(remaining),
          "x-ratelimit-used": String(this.#used),
          // Epoch seconds, rounded up so a client waiting until then is safe.
          "x-ratelimit-reset": String(Math.ceil(endMs / 1000)),
        };
      case "ietf":
        return {
          "ratelimit-policy": `"default";q=${this.#requests};w=${
            this.#windowMs / 1000
          }`,
          "ratelimit": `"default";r=${remaining};t=${resetSeconds}`,
        };
      case "none":
        return {};
    }
  }
}
