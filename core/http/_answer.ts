/**
 * What an answer means for the HTTP client: a 2xx body's value, or a failure
 * to retry, or an error to throw at once.
 *
 * @module
 */

import {
  type ErrorContext,
  HttpError,
  PaginationError,
} from "../connector/errors.ts";
import type { HttpEvent } from "./http_options.ts";
import { parseRateLimitHeaders } from "./parse_rate_limit_headers.ts";
import { parseRetryAfterHeaders } from "./parse_retry_after_headers.ts";
import type { RequestStats } from "./request_stats.ts";
import { excerptOf, type Failure } from "./_failure.ts";
import { InvalidUtf8Error, parseJsonBody } from "./_json_body.ts";
import { redactError } from "./_redact.ts";

/** Where an answer came from, and what the client judges it with. */
export interface AnswerContext {
  /** The URL, secrets redacted. */
  safeUrl: string;
  /** `host:port`. */
  host: string;
  where: ErrorContext;
  redact: (text: string) => string;
  now: () => number;
  maxRetryAfterMs: number;
  onEvent: ((event: HttpEvent) => void) | undefined;
}

/**
 * A 2xx body: its value, a retryable failure (JSON cut short), or a
 * PaginationError thrown at once (not UTF-8, or not JSON by its own type).
 */
export function parseBody(
  response: Response,
  bytes: Uint8Array,
  allowInvalidUtf8: boolean,
  at: AnswerContext,
): { value: unknown } | { failure: Failure } {
  try {
    return { value: parseJsonBody(bytes, { allowInvalidUtf8 }) };
  } catch (err) {
    const type = response.headers.get("content-type");
    const shown = at.redact(excerptOf(bytes)) || "empty body";
    const ctx = { ...at.where, url: at.safeUrl };
    const cause = redactError(err, at.redact);
    if (err instanceof InvalidUtf8Error) {
      throw new PaginationError(
        `${err.message}; the stream may set allowInvalidUtf8 to read such bytes as U+FFFD: ${shown}`,
        ctx,
        { cause },
      );
    }
    const fail = (note?: string) =>
      new PaginationError(
        `response is not JSON (content-type ${type ?? "none"}${
          note ? `, ${note}` : ""
        }): ${shown}`,
        ctx,
        { cause },
      );
    if (type !== null && !/json/i.test(type)) throw fail();
    return {
      failure: {
        status: response.status,
        reason: "body is not JSON (cut short?)",
        notJson: fail,
      },
    };
  }
}

/**
 * A non-2xx answer to a request sent at `sentAt` (epoch ms): a retryable
 * failure, or an HttpError thrown at once.
 */
export function judgeAnswer(
  response: Response,
  bytes: Uint8Array,
  stats: RequestStats | undefined,
  at: AnswerContext,
  sentAt: number,
): Failure {
  const status = response.status;
  const excerpt = at.redact(excerptOf(bytes));
  const throttled = status === 429 ||
    (status === 403 && isRateLimited403(response.headers));
  const retryable = throttled || status === 408 ||
    (status >= 500 && status <= 599);
  if (!retryable) {
    const ctx: ErrorContext & { body?: string } = { ...at.where };
    if (excerpt) ctx.body = excerpt;
    throw new HttpError(status, at.safeUrl, ctx);
  }
  const now = at.now();
  const failure: Failure = { status, sentAt, latencyMs: now - sentAt };
  if (excerpt) failure.excerpt = excerpt;
  if (throttled && stats) stats.throttled++;
  const wait = throttled || status === 503
    ? waitAsked(response.headers, throttled, now)
    : undefined;
  if (wait !== undefined) {
    failure.retryAfterMs = Math.min(wait, at.maxRetryAfterMs);
  }
  if (throttled || wait !== undefined) {
    failure.throttled = true;
    const untilMs = now + (failure.retryAfterMs ?? 0);
    at.onEvent?.({
      type: "throttle",
      host: at.host,
      url: at.safeUrl,
      status,
      untilMs,
    });
  }
  return failure;
}

// The wait a throttling answer asks for, in ms, when it says.
function waitAsked(
  headers: Headers,
  throttled: boolean,
  now: number,
): number | undefined {
  const wait = parseRetryAfterHeaders(headers, now);
  if (wait !== undefined || !throttled) return wait;
  // No wait asked: an exhausted quota still says when it renews.
  const spent = parseRateLimitHeaders(headers, now).filter((r) =>
    r.remaining === 0
  );
  if (!spent.length) return undefined;
  return Math.max(0, Math.max(...spent.map((r) => r.resetAt)) - now);
}

function isRateLimited403(headers: Headers): boolean {
  return parseRetryAfterHeaders(headers) !== undefined ||
    headers.get("x-ratelimit-remaining")?.trim() === "0";
}
