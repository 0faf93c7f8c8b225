/**
 * The HTTP client a run shares between its streams: one concurrency limiter
 * and one rate budget per host, the connector's headers and credential.
 *
 * @module
 */

import { AdaptiveLimiter } from "../http/adaptive_limiter.ts";
import { checkedBounds } from "../http/adaptive_limiter_options.ts";
import type { Connector } from "../connector/connector.ts";
import { HttpClient } from "../http/http.ts";
import type { Limiter } from "../http/limiter.ts";
import { RateBudget } from "../http/rate_budget.ts";
import type { RequestAuth } from "../http/request_auth.ts";
import type { PullOptions } from "./pull_options.ts";
import type { RunEvent } from "./run_event.ts";

/**
 * The run's concurrency per host and its ceiling, checked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concurrencyOf } from "./_run_http.ts";
 *
 * assert.deepEqual(concurrencyOf({}), { concurrency: "auto", maxConcurrency: 256 });
 * assert.throws(() => concurrencyOf({ concurrency: 0 }), RangeError);
 * ```
 */
export function concurrencyOf(options: PullOptions): {
  concurrency: number | "auto";
  maxConcurrency: number;
} {
  const concurrency = options.concurrency ?? "auto";
  const maxConcurrency = options.maxConcurrency ?? 256;
  if (
    concurrency !== "auto" &&
    !(Number.isInteger(concurrency) && concurrency >= 1)
  ) {
    throw new RangeError(
      `concurrency must be a whole number >= 1 or "auto", got ${concurrency}`,
    );
  }
  if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
    throw new RangeError(
      `maxConcurrency must be a whole number >= 1, got ${maxConcurrency}`,
    );
  }
  return { concurrency, maxConcurrency };
}

/**
 * The width of a run's page pools, read as it changes: twice the highest
 * concurrency limit in force (over the run's hosts; the initial limit before
 * the first request), plus a few, and never wider than the pools were when
 * their width was fixed (`maxConcurrency` in auto mode, twice a pinned
 * concurrency). The limiter decides what flies; the pool only
 * keeps the next pages queued at it, so a freed slot is refilled at once
 * instead of after a page is parsed. A pool as wide as the ceiling (256)
 * held hundreds of pages of a source that takes 32, and their garbage.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolWidthOf } from "./_run_http.ts";
 * import { FixedLimiter, type Limiter } from "../http/limiter.ts";
 * const limiters = new Map<string, Limiter>();
 * const width = poolWidthOf(limiters, { concurrency: "auto", maxConcurrency: 256 });
 * assert.equal(width(), 24);
 * limiters.set("a:1", new FixedLimiter(32));
 * limiters.set("b:1", new FixedLimiter(4));
 * assert.equal(width(), 72);
 * limiters.set("c:1", new FixedLimiter(200));
 * assert.equal(width(), 256);
 * ```
 */
export function poolWidthOf(
  limiters: Map<string, Limiter>,
  { concurrency, maxConcurrency }: {
    concurrency: number | "auto";
    maxConcurrency: number;
  },
): () => number {
  const [initial, ceiling] = concurrency === "auto"
    ? [
      Math.min(checkedBounds({ max: maxConcurrency }).initial, maxConcurrency),
      maxConcurrency,
    ]
    : [concurrency, concurrency * 2];
  return () => {
    let limit = 0;
    for (const l of limiters.values()) limit = Math.max(limit, l.limit);
    return Math.min(2 * (limit || initial) + POOL_SLACK, ceiling);
  };
}

/** Pages queued beyond twice the limit: room for bodies still being read. */
const POOL_SLACK = 8;

/**
 * The run's HTTP client, and its limiters by host (made on a host's first
 * request).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runHttp } from "./_run_http.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 *
 * const c = defineConnector({
 *   name: "t",
 *   baseUrl: "http://127.0.0.1",
 *   streams: {
 *     items: { path: "/x", primaryKey: "id", paginator: singlePaginator() },
 *   },
 * });
 * const { limiters } = runHttp(c, {}, { concurrency: 2, maxConcurrency: 8 }, {
 *   headers: {},
 *   secrets: [],
 * }, () => {});
 * assert.equal(limiters.size, 0);
 * ```
 */
export function runHttp(
  connector: Connector,
  options: PullOptions,
  { concurrency, maxConcurrency }: {
    concurrency: number | "auto";
    maxConcurrency: number;
  },
  auth: {
    headers: Record<string, string>;
    secrets: string[];
    auth?: RequestAuth;
  },
  emit: (event: RunEvent) => void,
): { http: HttpClient; limiters: Map<string, Limiter> } {
  const limiters = new Map<string, Limiter>();
  const limiterFor = (host: string): Limiter => {
    let l = limiters.get(host);
    if (!l) {
      // A pinned concurrency is a ceiling: the source's pushback (429,
      // 503, timeouts) lowers the requests in flight below it for a while.
      l = concurrency === "auto"
        ? new AdaptiveLimiter({ max: maxConcurrency })
        : new AdaptiveLimiter({
          initial: concurrency,
          max: concurrency,
          followLatency: false,
        });
      l.onChange = (limit) => emit({ type: "limit", host, limit });
      limiters.set(host, l);
    }
    return l;
  };
  const budgets = new Map<string, RateBudget>();
  const budgetFor = (host: string): RateBudget => {
    let b = budgets.get(host);
    if (!b) {
      b = new RateBudget(
        connector.rateLimit ? { limit: connector.rateLimit } : {},
      );
      budgets.set(host, b);
    }
    return b;
  };
  const http = new HttpClient({
    limiter: limiterFor,
    rateBudget: budgetFor,
    headers: {
      accept: "application/json",
      ...connector.headers,
      ...auth.headers,
    },
    secrets: auth.secrets,
    ...(auth.auth ? { auth: auth.auth } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs !== undefined
      ? { timeoutMs: options.timeoutMs }
      : {}),
    ...(options.stallTimeoutMs !== undefined
      ? { stallTimeoutMs: options.stallTimeoutMs }
      : {}),
    onEvent: emit,
  });
  return { http, limiters };
}
