/**
 * Typed errors. Each names what a data engineer needs to find the problem:
 * the connector and stream (as `"connector/stream"`), the URL, the field.
 *
 * @module
 */

/** Where an error happened, for messages like `page 3 of "github/issues"`. */
export interface ErrorContext {
  /** `"connector/stream"`. */
  stream?: string;
  /** The URL that was fetched. */
  url?: string;
  /** 0-based page index. */
  page?: number;
}

function where(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.page !== undefined) parts.push(`page ${ctx.page + 1}`);
  if (ctx.stream !== undefined) parts.push(`"${ctx.stream}"`);
  return parts.join(" of ");
}

/**
 * The source answered with a status we do not retry (or retries ran out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpError } from "./errors.ts";
 * const err = new HttpError(502, "https://api.example.com/items?page=3", {
 *   stream: "example/items",
 *   page: 2,
 * });
 * assert(err.message === 'Cannot fetch page 3 of "example/items": status 502 at https://api.example.com/items?page=3');
 * ```
 */
export class HttpError extends Error {
  /** HTTP status code. */
  readonly status: number;
  /** The URL that failed (secrets redacted). */
  readonly url: string;
  /** `"connector/stream"`, when known. */
  readonly stream: string | undefined;
  /** A short excerpt of the response body, to show what the source said. */
  readonly body: string | undefined;

  /** Build the error; `ctx` names the stream and page. */
  constructor(
    status: number,
    url: string,
    ctx: ErrorContext & { body?: string; reason?: string } = {},
    options?: ErrorOptions,
  ) {
    const w = where(ctx);
    super(
      `Cannot fetch ${w || "request"}: ${
        ctx.reason ?? `status ${status}`
      } at ${url}${ctx.body ? ` (${ctx.body})` : ""}`,
      options,
    );
    this.name = "HttpError";
    this.status = status;
    this.url = url;
    this.stream = ctx.stream;
    this.body = ctx.body;
  }
}

/**
 * The source kept throttling (429, or asked to wait) and the whole run made
 * no progress (no request succeeded) for its stall timeout. `status` is the
 * last answer's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpError, StalledError } from "./errors.ts";
 * const err = new StalledError(429, "https://api.example.com/items?offset=50", 300_000, {
 *   stream: "example/items",
 *   page: 1,
 * });
 * assert(err instanceof HttpError && err.stalledMs === 300_000);
 * assert(err.message.startsWith('Cannot fetch page 2 of "example/items": no progress for 5m0s, the source kept answering 429'));
 * assert(err.message.endsWith(" at https://api.example.com/items?offset=50"));
 * ```
 */
export class StalledError extends HttpError {
  /** How long the run had made no progress, in ms. */
  readonly stalledMs: number;

  /** Build the error; `ctx` names the stream and page. */
  constructor(
    status: number,
    url: string,
    stalledMs: number,
    ctx: ErrorContext & { body?: string } = {},
    options?: ErrorOptions,
  ) {
    super(status, url, {
      ...ctx,
      reason: `no progress for ${
        goDuration(stalledMs)
      }, the source kept answering ${status} (no request of the run succeeded meanwhile; the stall timeout, --stall-timeout, bounds this wait)`,
    }, options);
    this.name = "StalledError";
    this.stalledMs = stalledMs;
  }
}

// `5m0s`, `1h2m3s`, `45s`, `1.5s`, `250ms`: a duration as Go prints it.
function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 10) / 100;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/**
 * The request never got an answer: connection refused or reset, or timeout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkError } from "./errors.ts";
 * const err = new NetworkError("http://127.0.0.1:1/x", "connection refused");
 * assert(err.message.includes("connection refused"));
 * ```
 */
export class NetworkError extends Error {
  /** The URL that failed (secrets redacted). */
  readonly url: string;
  /** True when the per-request timeout fired. */
  readonly timeout: boolean;

  /** Build the error; `reason` says what happened on the wire. */
  constructor(
    url: string,
    reason: string,
    ctx: ErrorContext & { timeout?: boolean } = {},
    options?: ErrorOptions,
  ) {
    const w = where(ctx);
    super(`Cannot fetch ${w || "request"}: ${reason} at ${url}`, options);
    this.name = "NetworkError";
    this.url = url;
    this.timeout = ctx.timeout ?? false;
  }
}

/**
 * A response that cannot be paged: not JSON, records missing, a cursor that
 * repeats, an empty page that claims more.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PaginationError } from "./errors.ts";
 * const err = new PaginationError('records path "items" is missing', {
 *   stream: "demo/items",
 *   url: "http://127.0.0.1:8000/items?offset=0",
 *   page: 0,
 * });
 * assert(err.message.startsWith('Cannot read page 1 of "demo/items"'));
 * ```
 */
export class PaginationError extends Error {
  /** The URL whose response was bad. */
  readonly url: string | undefined;
  /** `"connector/stream"`, when known. */
  readonly stream: string | undefined;

  /** Build the error from what went wrong and where. */
  constructor(reason: string, ctx: ErrorContext = {}, options?: ErrorOptions) {
    const w = where(ctx);
    super(
      `Cannot read ${w || "response"}: ${reason}${
        ctx.url ? ` at ${ctx.url}` : ""
      }`,
      options,
    );
    this.name = "PaginationError";
    this.url = ctx.url;
    this.stream = ctx.stream;
  }
}

/**
 * A connector, spec, flag or state file that is wrong before any request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError } from "./errors.ts";
 * const err = new ConfigError('connector "demo": stream "items": primaryKey is required');
 * assert(err.name === "ConfigError");
 * ```
 */
export class ConfigError extends Error {
  /** Build the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}

/**
 * Records whose shape cannot be written as declared (a column changed type).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SchemaError } from "./errors.ts";
 * const err = new SchemaError('"demo/items": field "score" was a number, now a string');
 * assert(err.name === "SchemaError");
 * ```
 */
export class SchemaError extends Error {
  /** Build the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SchemaError";
  }
}
