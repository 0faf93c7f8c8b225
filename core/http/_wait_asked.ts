/**
 * `waitAsked`: the wait a 429 or 503 asks for, in milliseconds, from
 * `retry-after-ms` or `x-ms-retry-after-ms` before `Retry-After`.
 *
 * @module
 */

import { parseRetryAfter } from "../async/backoff.ts";

const MS_HEADERS = ["retry-after-ms", "x-ms-retry-after-ms"];

/**
 * The wait `headers` ask for, in ms, or `undefined` when they ask for none.
 * The millisecond forms come first: a source that sends both means the
 * precise one (`Retry-After` can say no less than a second).
 */
export function waitAsked(headers: Headers, now: number): number | undefined {
  for (const name of MS_HEADERS) {
    const text = headers.get(name)?.trim();
    if (text && /^\d+(\.\d+)?$/.test(text)) return Number(text);
  }
  return parseRetryAfter(headers.get("retry-after"), now);
}
