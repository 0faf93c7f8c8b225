/**
 * `HttpOptions`: how an HTTP client retries, waits, limits and reports
 * (`HttpEvent`).
 *
 * @module
 */

import type { BackoffOptions } from "../async/backoff.ts";
// deno-lint-ignore no-unused-vars
import type { StalledError } from "../connector/errors.ts";
import type { Limiter } from "./limiter.ts";
import type { RequestAuth } from "./request_auth.ts";
import type { RateBudget } from "./rate_budget.ts";
import type { RetryBudgetOptions } from "./retry_budget.ts";

/**
 * What the client reports as it goes. URLs have secrets redacted; times are
 * in ms. `throttle` comes with every answer that said slow down (429, a 503
 * with `Retry-After`, a 403 with an exhausted rate limit); `untilMs` is when
 * the source said to come back (epoch ms, by the client's `now`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { HttpEvent } from "./http_options.ts";
 * function log(e: HttpEvent): string {
 *   return e.type === "retry"
 *     ? `retry ${e.attempt} of ${e.url} in ${Math.round(e.delayMs)} ms`
 *     : `host ${e.host} throttled until ${new Date(e.untilMs).toISOString()}`;
 * }
 * assert(log({ type: "retry", url: "u", attempt: 1, status: 503, delayMs: 10 }) === "retry 1 of u in 10 ms");
 * ```
 */
export type HttpEvent =
  | {
    type: "retry";
    /** The URL, secrets redacted. */
    url: string;
    /** The attempt that failed, from 1. */
    attempt: number;
    /** Its status, when the source answered. */
    status?: number;
    /** What went wrong on the wire, when it did not. */
    error?: string;
    /** Wait before the next attempt. */
    delayMs: number;
  }
  | {
    type: "throttle";
    /** `host:port`. */
    host: string;
    /** The URL, secrets redacted. */
    url: string;
    /** 429, 503 or 403. */
    status: number;
    /** When the source said to come back, epoch ms. */
    untilMs: number;
  };

/**
 * Options of {@linkcode HttpClient}.
 *
 * @example
 * ```ts
 * import type { HttpOptions } from "./http_options.ts";
 * const options: HttpOptions = { timeoutMs: 10_000, maxAttempts: 4, backoff: { baseMs: 100 } };
 * ```
 */
export interface HttpOptions {
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Timeout of one attempt (answer and body), in ms. @default 30_000 */
  timeoutMs?: number;
  /**
   * Attempts per request that failed without the source asking for a wait
   * (5xx, 408, network errors, timeouts, JSON cut short), the first included.
   * A throttled attempt (429, a rate-limited 403, a 503 with a wait) does
   * not count: see `stallTimeoutMs`. @default 6
   */
  maxAttempts?: number;
  /**
   * The run-wide cap on retries of failed requests: a share of the requests
   * of a sliding window plus a floor per second (see
   * {@linkcode RetryBudgetOptions}); once spent, such failures surface at
   * once until the window moves on. Throttled retries do not spend it.
   * @default {{ ratio: 0.2, minPerSecond: 10, windowMs: 10_000 }}
   */
  retryBudget?: RetryBudgetOptions;
  /**
   * How long the source may keep throttling while no request of the client
   * succeeds, in ms (counted from the last success, or from the throttled
   * request's first throttle if later); then the throttled request fails
   * with a {@linkcode StalledError}. While any request succeeds, a throttled one
   * waits what the source asks, as often as it asks. @default 300_000 (5 min)
   */
  stallTimeoutMs?: number;
  /** Backoff bounds; see {@linkcode BackoffOptions}. @default {{ baseMs: 250, maxMs: 30_000 }} */
  backoff?: BackoffOptions;
  /** Cap on a wait the source asks for (`retry-after-ms`, `Retry-After`), in ms. @default 120_000 */
  maxRetryAfterMs?: number;
  /** The limiter of a host (`host:port`), asked once per host. @default no limit */
  limiter?: (host: string) => Limiter;
  /** The rate budget of a host (`host:port`), asked once per host. @default none */
  rateBudget?: (host: string) => RateBudget;
  /** Headers sent with every request (auth may go here). @default {{ accept: "application/json" }} */
  headers?: HeadersInit;
  /** Values replaced by `***` in every URL, message and error the client produces. @default [] */
  secrets?: readonly string[];
  /** A credential that changes during the run (OAuth2), renewed once on a 401; its secrets are masked too. */
  auth?: RequestAuth;
  /** Called on retries and throttles; must not throw. */
  onEvent?: (event: HttpEvent) => void;
  /** Waits between attempts; rejects with `signal.reason` on abort. @default a timer */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Clock, epoch ms (latency, HTTP dates).
   * @default {performance.timeOrigin + performance.now()}
   */
  now?: () => number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}
