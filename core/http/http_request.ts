/**
 * `HttpRequest` and `HttpResponse`: what the HTTP client is asked, and what
 * it answers.
 *
 * @module
 */

import type { ErrorContext } from "../connector/errors.ts";
import type { RequestStats } from "./request_stats.ts";

/**
 * One JSON request.
 *
 * @example
 * ```ts
 * import type { HttpRequest } from "./http_request.ts";
 * import { newRequestStats } from "./request_stats.ts";
 * const req: HttpRequest = {
 *   url: "https://api.example.com/items?page=3",
 *   context: { stream: "example/items", page: 2 },
 *   stats: newRequestStats(),
 * };
 * ```
 */
export interface HttpRequest {
  /** Absolute URL, query string included. */
  url: string;
  /**
   * `"POST"` sends `body`. Retried like a GET: the caller vouches that it
   * is a read (a GraphQL query, a search). @default {"GET"}
   */
  method?: "GET" | "POST";
  /** The JSON text of a POST request's body, sent as `application/json`. @default {"{}"} */
  body?: string;
  /** Headers for this request, over the client's own. */
  headers?: HeadersInit;
  /** Abort: stops waiting at once (backoff, limiter, rate budget, fetch) with `signal.reason`. */
  signal?: AbortSignal;
  /** Stream and page, for error messages. */
  context?: ErrorContext;
  /** Counters to increment. */
  stats?: RequestStats;
  /** Decode bytes that are not UTF-8 as U+FFFD instead of failing. @default false */
  allowInvalidUtf8?: boolean;
}

/**
 * A successful (2xx) answer with its parsed JSON body.
 *
 * @example
 * ```ts
 * import type { HttpResponse } from "./http_request.ts";
 * const res: HttpResponse = {
 *   url: "https://api.example.com/items",
 *   status: 200,
 *   headers: new Headers(),
 *   body: { items: [] },
 *   bytes: 12,
 *   attempts: 1,
 * };
 * ```
 */
export interface HttpResponse {
  /** The URL finally fetched (after redirects), secrets not redacted: paginators may reuse it. */
  url: string;
  /** HTTP status, 2xx. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The parsed JSON body; integers beyond ±(2^53−1) are `bigint`, exact. */
  body: unknown;
  /** Body size in bytes. */
  bytes: number;
  /** Attempts it took (1 when no retry). */
  attempts: number;
}
