/**
 * The HTTP layer: JSON over Deno's `fetch`, with a timeout per attempt,
 * retries (exponential backoff with full jitter, `Retry-After` honoured), a
 * retry budget, a concurrency limiter and a rate budget per host, typed
 * errors and secrets kept out of every message.
 *
 * @module
 */

import {
  backoffDelay,
  type BackoffOptions,
  parseRetryAfter,
  sleep as realSleep,
} from "../async/backoff.ts";
import {
  type ErrorContext,
  HttpError,
  NetworkError,
  PaginationError,
} from "../connector/errors.ts";
import type { DropCost } from "./adaptive_limiter.ts";
import type { Limiter, Permit, PermitOutcome } from "./limiter.ts";
import { parseRateLimitHeaders, type RateBudget } from "./rate_budget.ts";
import { redactError, redactor } from "./_redact.ts";
import { InvalidUtf8Error, parseJsonBody } from "./_json_body.ts";

/**
 * Counters a caller owns and the client increments as requests go, so a
 * progress line can read them live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRequestStats, type RequestStats } from "./http.ts";
 * const stats: RequestStats = newRequestStats();
 * assert(stats.requests === 0 && stats.inFlight === 0);
 * ```
 */
export interface RequestStats {
  /** Attempts sent (a retried request counts once per attempt). */
  requests: number;
  /** Retries scheduled. */
  retries: number;
  /** Response body bytes received. */
  bytes: number;
  /** Attempts waiting for an answer right now (what the limiter caps). */
  inFlight: number;
  /** Most attempts waiting for an answer at once so far. */
  maxInFlight: number;
  /** Answers that said slow down: 429, and 403 with an exhausted rate limit (GitHub). */
  throttled: number;
  /** Requests that failed for good (the error surfaced); aborts are not errors. */
  errors: number;
}

/**
 * Fresh zeroed {@linkcode RequestStats}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRequestStats } from "./http.ts";
 * assert(newRequestStats().retries === 0);
 * ```
 */
export function newRequestStats(): RequestStats {
  return {
    requests: 0,
    retries: 0,
    bytes: 0,
    inFlight: 0,
    maxInFlight: 0,
    throttled: 0,
    errors: 0,
  };
}

/**
 * One JSON request.
 *
 * @example
 * ```ts
 * import { type HttpRequest, newRequestStats } from "./http.ts";
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
 * import type { HttpResponse } from "./http.ts";
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

/**
 * What the client reports as it goes. URLs have secrets redacted; times are
 * in ms. `throttle` comes with every answer that said slow down (429, a 503
 * with `Retry-After`, a 403 with an exhausted rate limit); `untilMs` is when
 * the source said to come back (epoch ms, by the client's `now`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { HttpEvent } from "./http.ts";
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
 * import type { HttpOptions } from "./http.ts";
 * const options: HttpOptions = { timeoutMs: 10_000, maxAttempts: 4, backoff: { baseMs: 100 } };
 * ```
 */
export interface HttpOptions {
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Timeout of one attempt (answer and body), in ms. @default 30_000 */
  timeoutMs?: number;
  /** Attempts per request, the first included. @default 6 */
  maxAttempts?: number;
  /** Retries allowed over the client's life; once spent, errors surface at once. @default 1000 */
  retryBudget?: number;
  /** Backoff bounds; see {@linkcode BackoffOptions}. @default {{ baseMs: 250, maxMs: 30_000 }} */
  backoff?: BackoffOptions;
  /** Cap on a `Retry-After` wait, in ms. @default 120_000 */
  maxRetryAfterMs?: number;
  /** The limiter of a host (`host:port`), asked once per host. @default no limit */
  limiter?: (host: string) => Limiter;
  /** The rate budget of a host (`host:port`), asked once per host. @default none */
  rateBudget?: (host: string) => RateBudget;
  /** Headers sent with every request (auth may go here). @default {{ accept: "application/json" }} */
  headers?: HeadersInit;
  /** Values replaced by `***` in every URL, message and error the client produces. @default [] */
  secrets?: readonly string[];
  /** Called on retries and throttles; must not throw. */
  onEvent?: (event: HttpEvent) => void;
  /** Waits between attempts; rejects with `signal.reason` on abort. @default a timer */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock, epoch ms (latency, HTTP dates). @default Date.now */
  now?: () => number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

const EXCERPT_CHARS = 200;
const ERROR_BODY_BYTES = 64 * 1024;

class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** A failed attempt that may be retried. */
interface Failure {
  status?: number;
  excerpt?: string;
  reason?: string;
  timeout?: boolean;
  cause?: unknown;
  retryAfterMs?: number;
  /** A 2xx JSON answer whose body did not parse (cut short): retried, then this error. */
  notJson?: (note: string) => PaginationError;
}

function excerptOf(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes.subarray(0, EXCERPT_CHARS * 4))
    .replace(/\s+/g, " ").trim();
  return text.length > EXCERPT_CHARS
    ? `${text.slice(0, EXCERPT_CHARS)}...`
    : text;
}

// Reads at most `max` bytes, then cancels: an error page may be huge.
async function readBounded(res: Response, max: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    if (size >= max) await reader.cancel().catch(() => {});
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// Deno wraps the reason in `cause`; name what happened in a few words.
function describe(err: unknown): string {
  const text = [err, (err as { cause?: unknown })?.cause]
    .map((e) => (e instanceof Error ? e.message : String(e ?? ""))).join(" ");
  if (/connection refused/i.test(text)) return "connection refused";
  if (/reset/i.test(text)) return "connection reset";
  if (/reading a body|body from connection/i.test(text)) {
    return "connection dropped while reading the body";
  }
  if (/closed|incomplete|unexpected eof/i.test(text)) {
    return "connection closed before the answer";
  }
  if (/dns|lookup|resolve/i.test(text)) return "host name not resolved";
  if (/certificate|tls|ssl/i.test(text)) return "TLS error";
  return "network error";
}

function isRateLimited403(headers: Headers): boolean {
  return headers.has("retry-after") ||
    headers.get("x-ratelimit-remaining")?.trim() === "0";
}

/**
 * A JSON client for one run: every stream shares it, and with it the retry
 * budget, the per-host limiters and rate budgets.
 *
 * Each attempt waits for the host's rate budget, then for a limiter permit,
 * then fetches with a timeout and reads the whole body; the permit goes
 * back as soon as the status line arrives (while fewer bodies than the
 * host's limit are still being read that way). Network errors,
 * timeouts, 408, 429 and 5xx are retried with full-jitter backoff, or after
 * `Retry-After` (429, 503) when the source sends one. Other statuses fail at
 * once with an {@linkcode HttpError}. A 2xx body is parsed losslessly
 * (integers beyond ±(2^53−1) as `bigint`) and strictly: bytes that are not
 * UTF-8 fail at once with a {@linkcode PaginationError} (unless the request
 * allows them), and so does a body that is not JSON under a content type that
 * is not JSON either (a 200 HTML page is a setup problem: retrying will not
 * fix it). A JSON body that does not parse was most likely cut short on the
 * way, so it is retried like a 5xx before failing with a
 * {@linkcode PaginationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpClient, newRequestStats } from "./http.ts";
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   Response.json({ items: [1, 2, 3] }));
 * const client = new HttpClient({ timeoutMs: 5_000 });
 * const stats = newRequestStats();
 * const res = await client.getJson({ url: `http://127.0.0.1:${server.addr.port}/items`, stats });
 * assert((res.body as { items: number[] }).items.length === 3);
 * assert(stats.requests === 1 && res.attempts === 1);
 * ```
 */
export class HttpClient {
  #fetch: typeof fetch;
  #timeoutMs: number;
  #maxAttempts: number;
  #retryBudget: number;
  #retriesLeft: number;
  #backoff: BackoffOptions;
  #maxRetryAfterMs: number;
  #limiterOf: ((host: string) => Limiter) | undefined;
  #budgetOf: ((host: string) => RateBudget) | undefined;
  #limiters = new Map<string, Limiter>();
  /** Per host: answers whose permit went back while their body is still read. */
  #reading = new Map<string, number>();
  #budgets = new Map<string, RateBudget>();
  #headers: Headers;
  #redact: (text: string) => string;
  #onEvent: ((event: HttpEvent) => void) | undefined;
  #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #now: () => number;
  #random: () => number;

  /** Build a client; see {@linkcode HttpOptions}. */
  constructor(options: HttpOptions = {}) {
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxAttempts = options.maxAttempts ?? 6;
    this.#retryBudget = options.retryBudget ?? 1000;
    if (!(this.#timeoutMs > 0)) {
      throw new RangeError(
        `Cannot create HTTP client: timeoutMs must be > 0, got ${this.#timeoutMs}`,
      );
    }
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1) {
      throw new RangeError(
        `Cannot create HTTP client: maxAttempts must be an integer >= 1, got ${this.#maxAttempts}`,
      );
    }
    if (!(this.#retryBudget >= 0)) {
      throw new RangeError(
        `Cannot create HTTP client: retryBudget must be >= 0, got ${this.#retryBudget}`,
      );
    }
    this.#retriesLeft = this.#retryBudget;
    this.#backoff = options.backoff ?? {};
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
    this.#limiterOf = options.limiter;
    this.#budgetOf = options.rateBudget;
    this.#headers = new Headers({ accept: "application/json" });
    for (const [k, v] of new Headers(options.headers)) this.#headers.set(k, v);
    this.#redact = redactor(options.secrets ?? []);
    this.#onEvent = options.onEvent;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Retries this client may still make. */
  get retriesLeft(): number {
    return this.#retriesLeft;
  }

  /**
   * Fetch `req.url` and parse its JSON body, retrying what can be retried.
   * Rejects with {@linkcode HttpError}, {@linkcode NetworkError},
   * {@linkcode PaginationError}, or the signal's reason on abort.
   */
  async getJson(req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.#request(req);
    } catch (err) {
      if (!(req.signal?.aborted && err === req.signal.reason) && req.stats) {
        req.stats.errors++;
      }
      throw err;
    }
  }

  async #request(req: HttpRequest): Promise<HttpResponse> {
    const { signal, stats } = req;
    signal?.throwIfAborted();
    let parsed: URL;
    try {
      parsed = new URL(req.url);
    } catch {
      throw new TypeError(
        `Cannot fetch: invalid URL "${this.#redact(req.url)}"`,
      );
    }
    const url = parsed.href;
    const safeUrl = this.#redact(url);
    const host = parsed.host;
    const where: ErrorContext = {};
    if (req.context?.stream !== undefined) where.stream = req.context.stream;
    if (req.context?.page !== undefined) where.page = req.context.page;
    const headers = new Headers(this.#headers);
    for (const [k, v] of new Headers(req.headers)) headers.set(k, v);

    for (let attempt = 1;; attempt++) {
      const result = await this.#attempt(
        url,
        safeUrl,
        host,
        headers,
        where,
        req,
      );
      if (!("failure" in result)) return { ...result, attempts: attempt };
      const failure = result.failure;
      const spent = this.#retriesLeft <= 0;
      if (attempt >= this.#maxAttempts || spent) {
        const note = spent
          ? `retry budget of ${this.#retryBudget} spent`
          : `gave up after ${attempt} attempt${attempt === 1 ? "" : "s"}`;
        throw this.#finalError(failure, note, safeUrl, where);
      }
      this.#retriesLeft--;
      const delayMs = failure.retryAfterMs ??
        backoffDelay(attempt - 1, this.#backoff, this.#random);
      if (stats) stats.retries++;
      const event: HttpEvent = {
        type: "retry",
        url: safeUrl,
        attempt,
        delayMs,
      };
      if (failure.status !== undefined) event.status = failure.status;
      if (failure.reason !== undefined) event.error = failure.reason;
      this.#onEvent?.(event);
      await this.#sleep(delayMs, signal);
      signal?.throwIfAborted();
    }
  }

  #finalError(
    failure: Failure,
    note: string,
    safeUrl: string,
    where: ErrorContext,
  ): Error {
    if (failure.notJson) return failure.notJson(note);
    if (failure.status !== undefined) {
      const ctx: ErrorContext & { body?: string } = { ...where };
      if (failure.excerpt) ctx.body = failure.excerpt;
      const cause = failure.cause === undefined
        ? new Error(note)
        : new Error(note, { cause: redactError(failure.cause, this.#redact) });
      return new HttpError(failure.status, safeUrl, ctx, { cause });
    }
    return new NetworkError(
      safeUrl,
      `${failure.reason ?? "network error"} (${note})`,
      { ...where, timeout: failure.timeout ?? false },
      failure.cause === undefined
        ? undefined
        : { cause: redactError(failure.cause, this.#redact) },
    );
  }

  #limiter(host: string): Limiter | undefined {
    if (!this.#limiterOf) return undefined;
    let l = this.#limiters.get(host);
    if (!l) {
      l = this.#limiterOf(host);
      this.#limiters.set(host, l);
    }
    return l;
  }

  #budget(host: string): RateBudget | undefined {
    if (!this.#budgetOf) return undefined;
    let b = this.#budgets.get(host);
    if (!b) {
      b = this.#budgetOf(host);
      this.#budgets.set(host, b);
    }
    return b;
  }

  async #attempt(
    url: string,
    safeUrl: string,
    host: string,
    headers: Headers,
    where: ErrorContext,
    req: HttpRequest,
  ): Promise<Omit<HttpResponse, "attempts"> | { failure: Failure }> {
    const { signal, stats } = req;
    const budget = this.#budget(host);
    const limiter = this.#limiter(host);
    await budget?.take(signal);
    let permit: Permit | undefined;
    try {
      permit = await limiter?.acquire(signal);
    } catch (err) {
      budget?.abandon();
      throw err;
    }

    // One controller per attempt, aborted by our timeout or by the caller's
    // signal: cheaper than `AbortSignal.any`, which every request would pay.
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort(new AttemptTimeout(this.#timeoutMs));
    }, this.#timeoutMs);
    const onAbort = () => attempt.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const sig = attempt.signal;
    const sentAt = this.#now();
    if (stats) {
      stats.requests++;
      stats.inFlight++;
      if (stats.inFlight > stats.maxInFlight) {
        stats.maxInFlight = stats.inFlight;
      }
    }
    // The permit and the budget are settled exactly once, whatever happens:
    // the limiter learns from answers and timeouts, not from our own aborts
    // or broken connections; the budget counts whatever the source answered.
    let response: Response | undefined;
    let settled = false;
    let early = false;
    const settle = (outcome: "answered" | "timeout" | "ignore") => {
      if (settled) return;
      settled = true;
      if (stats) stats.inFlight--;
      if (outcome === "ignore") permit?.release("ignore");
      else {
        const status = response?.status;
        const dropped = outcome === "timeout" || status === 429 ||
          status === 503;
        const now = this.#now();
        const released: PermitOutcome & DropCost = {
          latencyMs: now - sentAt,
          dropped,
        };
        // What a drop costs tells an adaptive limiter how often to probe.
        const wait = dropped && response
          ? parseRetryAfter(response.headers.get("retry-after"), now)
          : undefined;
        if (wait !== undefined) {
          released.retryAfterMs = Math.min(wait, this.#maxRetryAfterMs);
        }
        permit?.release(released);
      }
      if (response) budget?.observe(response.status, response.headers, sentAt);
      else budget?.abandon();
    };
    // A failure on the wire: the caller's abort wins, then our timeout.
    const wireFailure = (err: unknown): { failure: Failure } => {
      if (signal?.aborted) {
        settle("ignore");
        throw signal.reason;
      }
      if (timedOut) {
        settle("timeout");
        return {
          failure: {
            reason: `timed out after ${this.#timeoutMs} ms`,
            timeout: true,
            cause: err,
          },
        };
      }
      settle("ignore");
      return { failure: { reason: describe(err), cause: err } };
    };

    try {
      try {
        response = await this.#fetch(url, { headers, signal: sig });
      } catch (err) {
        if (isPermissionError(err)) {
          // The sandbox refused the host: retrying cannot help, and Deno's own
          // words ("Requires net access to ...") say exactly what is missing.
          settle("ignore");
          throw new NetworkError(
            safeUrl,
            `not allowed: ${
              (err as Error).message
            } (a connector may reach only the hosts it declares)`,
            where,
            { cause: err },
          );
        }
        return wireFailure(err);
      }
      const status = response.status;
      const ok = status >= 200 && status < 300;
      // A JSON page arrives right behind its status line: the source is
      // done, so its slot frees now, not after the body is read and parsed
      // here, and the next request goes out before this body's bytes are
      // touched. A body still coming (a large page, a slow stream) still
      // keeps the source busy, so at most as many bodies as the limit are
      // read on a freed permit: beyond that, the permit waits for the body.
      const limit = limiter?.limit;
      const reading = this.#reading.get(host) ?? 0;
      if (limit !== undefined && reading < limit) {
        this.#reading.set(host, reading + 1);
        early = true;
        settle("answered");
      }
      let bytes: Uint8Array;
      try {
        bytes = ok
          ? new Uint8Array(await response.arrayBuffer())
          : await readBounded(response, ERROR_BODY_BYTES);
      } catch (err) {
        if (ok || signal?.aborted) return wireFailure(err);
        // The status is what matters for an error answer: keep it.
        bytes = new Uint8Array();
      }
      settle("answered");
      if (stats) stats.bytes += bytes.length;

      if (ok) {
        const body = this.#parse(response, bytes, safeUrl, where, req);
        if ("failure" in body) return body;
        return {
          url: response.url || url,
          status,
          headers: response.headers,
          body: body.value,
          bytes: bytes.length,
        };
      }
      return {
        failure: this.#judge(response, bytes, safeUrl, host, where, stats),
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      // Whatever ended the attempt (a thrown error included) settles it.
      settle("ignore");
      if (early) this.#reading.set(host, (this.#reading.get(host) ?? 1) - 1);
    }
  }

  // A 2xx body: its value, a retryable failure (JSON cut short), or a
  // PaginationError thrown at once (not UTF-8, or not JSON by its own type).
  #parse(
    response: Response,
    bytes: Uint8Array,
    safeUrl: string,
    where: ErrorContext,
    req: HttpRequest,
  ): { value: unknown } | { failure: Failure } {
    try {
      const allowInvalidUtf8 = req.allowInvalidUtf8 ?? false;
      return { value: parseJsonBody(bytes, { allowInvalidUtf8 }) };
    } catch (err) {
      const type = response.headers.get("content-type");
      const shown = this.#redact(excerptOf(bytes)) || "empty body";
      const ctx = { ...where, url: safeUrl };
      const cause = redactError(err, this.#redact);
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

  // A non-2xx answer: a retryable failure, or an HttpError thrown at once.
  #judge(
    response: Response,
    bytes: Uint8Array,
    safeUrl: string,
    host: string,
    where: ErrorContext,
    stats: RequestStats | undefined,
  ): Failure {
    const status = response.status;
    const excerpt = this.#redact(excerptOf(bytes));
    const throttled = status === 429 ||
      (status === 403 && isRateLimited403(response.headers));
    const retryable = throttled || status === 408 ||
      (status >= 500 && status <= 599);
    if (!retryable) {
      const ctx: ErrorContext & { body?: string } = { ...where };
      if (excerpt) ctx.body = excerpt;
      throw new HttpError(status, safeUrl, ctx);
    }
    const failure: Failure = { status };
    if (excerpt) failure.excerpt = excerpt;
    if (throttled && stats) stats.throttled++;
    const now = this.#now();
    let wait: number | undefined;
    if (throttled || status === 503) {
      wait = parseRetryAfter(response.headers.get("retry-after"), now);
      if (wait === undefined && throttled) {
        // No Retry-After: an exhausted quota still says when it renews.
        const spent = parseRateLimitHeaders(response.headers, now).filter((r) =>
          r.remaining === 0
        );
        if (spent.length) {
          wait = Math.max(
            0,
            Math.max(...spent.map((r) => r.resetAt)) - now,
          );
        }
      }
    }
    if (wait !== undefined) {
      failure.retryAfterMs = Math.min(wait, this.#maxRetryAfterMs);
    }
    if (throttled || wait !== undefined) {
      const untilMs = now + (failure.retryAfterMs ?? 0);
      this.#onEvent?.({
        type: "throttle",
        host,
        url: safeUrl,
        status,
        untilMs,
      });
    }
    return failure;
  }
}

function isPermissionError(err: unknown): boolean {
  const errors = Deno.errors as unknown as Record<
    string,
    (new () => Error) | undefined
  >;
  for (const name of ["NotCapable", "PermissionDenied"]) {
    const cls = errors[name];
    if (cls && err instanceof cls) return true;
  }
  return false;
}
