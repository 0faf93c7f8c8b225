/**
 * `parseRetryAfterHeaders`: how long an answer asks the client to wait,
 * read from the most precise header it sends.
 *
 * @module
 */

import { parseRetryAfter } from "../async/backoff.ts";

/**
 * Millisecond forms, most specific first: several large APIs send
 * `Retry-After: 1` (whole seconds, the least the standard header can say)
 * next to the wait they really mean in ms.
 */
const MS_HEADERS = ["retry-after-ms", "x-ms-retry-after-ms"] as const;

/**
 * The wait an answer asks for, in ms from `now`: `retry-after-ms`, then
 * `x-ms-retry-after-ms` (milliseconds, decimals allowed), then `Retry-After`
 * (delta-seconds or an HTTP date, see {@linkcode parseRetryAfter}).
 * A header that cannot be read is skipped for the next one; `undefined`
 * when none says. (An exhausted `RateLimit` quota's reset is read by
 * {@linkcode parseRateLimitHeaders}.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRetryAfterHeaders } from "./parse_retry_after_headers.ts";
 * const headers = new Headers({ "retry-after": "1", "retry-after-ms": "20" });
 * assert(parseRetryAfterHeaders(headers, 0) === 20);
 * assert(parseRetryAfterHeaders(new Headers({ "x-ms-retry-after-ms": "12.5" }), 0) === 12.5);
 * assert(parseRetryAfterHeaders(new Headers({ "retry-after": "2" }), 0) === 2000);
 * assert(parseRetryAfterHeaders(new Headers({ "retry-after-ms": "soon", "retry-after": "3" }), 0) === 3000);
 * assert(parseRetryAfterHeaders(new Headers(), 0) === undefined);
 * ```
 */
export function parseRetryAfterHeaders(
  headers: Headers,
  now: number = Date.now(),
): number | undefined {
  for (const name of MS_HEADERS) {
    const text = headers.get(name)?.trim();
    if (text && /^\d+(\.\d+)?$/.test(text)) return Number(text);
  }
  return parseRetryAfter(headers.get("retry-after"), now);
}
