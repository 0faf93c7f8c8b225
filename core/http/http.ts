/**
 * The HTTP layer: JSON over Deno's `fetch`, with a timeout per attempt,
 * retries (exponential backoff with full jitter, the wait the source asks
 * for honoured to the millisecond), a retry budget that scales with the run,
 * a concurrency limiter and a rate budget per host, typed errors and secrets
 * kept out of every message.
 *
 * @module
 */

import { sleep as realSleep } from "../async/backoff.ts";
import {
  type ErrorContext,
  HttpError,
  NetworkError,
} from "../connector/errors.ts";
import type { HttpEvent, HttpOptions } from "./http_options.ts";
import type { HttpRequest, HttpResponse } from "./http_request.ts";
import type { Limiter, Permit } from "./limiter.ts";
import type { RequestAuth } from "./request_auth.ts";
import type { RateBudget } from "./rate_budget.ts";
import { RetryBudget } from "./retry_budget.ts";
import { type AnswerContext, judgeAnswer, parseBody } from "./_answer.ts";
import { type Deadline, DeadlineWheel } from "./_deadline_wheel.ts";
import {
  describe,
  ERROR_BODY_BYTES,
  type Failure,
  isPermissionError,
  readBounded,
} from "./_failure.ts";
import { type RetryRules, RetryTally } from "./_retry_tally.ts";
import { liveRedactor } from "./_redact.ts";
import { requestHeaders, withAuth } from "./_request_headers.ts";
import { Settlement } from "./_settlement.ts";
import { preciseNow } from "./_precise_now.ts";
import { JsonAnswer } from "./_json_answer.ts";

export type { HttpEvent, HttpOptions } from "./http_options.ts";
export type { HttpRequest, HttpResponse } from "./http_request.ts";
export { newRequestStats, type RequestStats } from "./request_stats.ts";
export { RetryBudget, type RetryBudgetOptions } from "./retry_budget.ts";

type Attempted = JsonAnswer | { failure: Failure };

/**
 * A JSON client for one run: every stream shares it, and with it the retry
 * budget, the per-host limiters and rate budgets.
 *
 * Each attempt waits for the host's rate budget, then for a limiter permit,
 * then fetches with a timeout and reads the whole body; the permit goes
 * back as soon as the status line arrives (while fewer bodies than the
 * host's limit are still being read that way). Network errors, timeouts,
 * 408 and 5xx are retried with full-jitter backoff (a 5xx while other
 * requests succeed: within twice its latency), at most `maxAttempts` per
 * request and within the run-wide {@linkcode RetryBudget} (a share of
 * recent requests); a retry waits for its permit ahead of first attempts. A throttle (429, a rate-limited 403, a 503 asking for a
 * wait) is retried after the wait the source asks for (`retry-after-ms`,
 * `x-ms-retry-after-ms`, `Retry-After`, a spent quota's reset) without
 * spending either, for as long as some request of the client succeeds;
 * once none has for `stallTimeoutMs`, it fails with a
 * {@linkcode StalledError}. Other statuses fail at once with an
 * {@linkcode HttpError}. A 2xx body is parsed losslessly
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
  #rules: RetryRules;
  /** When a request last succeeded, epoch ms. */
  #progressAt = -Infinity;
  #maxRetryAfterMs: number;
  #limiterOf: ((host: string) => Limiter) | undefined;
  #budgetOf: ((host: string) => RateBudget) | undefined;
  #limiters = new Map<string, Limiter>();
  /** Per host: answers whose permit went back while their body is still read. */
  #reading = new Map<string, number>();
  #budgets = new Map<string, RateBudget>();
  #headers: Headers;
  #deadlines: DeadlineWheel;
  #redact: (text: string) => string;
  #auth: RequestAuth | undefined;
  #onEvent: ((event: HttpEvent) => void) | undefined;
  #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #now: () => number;

  /** Build a client; see {@linkcode HttpOptions}. */
  constructor(options: HttpOptions = {}) {
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    const maxAttempts = options.maxAttempts ?? 6;
    const stallTimeoutMs = options.stallTimeoutMs ?? 300_000;
    if (!(this.#timeoutMs > 0)) {
      throw new RangeError(
        `Cannot create HTTP client: timeoutMs must be > 0, got ${this.#timeoutMs}`,
      );
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(
        `Cannot create HTTP client: maxAttempts must be an integer >= 1, got ${maxAttempts}`,
      );
    }
    if (!(stallTimeoutMs > 0)) {
      throw new RangeError(
        `Cannot create HTTP client: stallTimeoutMs must be > 0, got ${stallTimeoutMs}`,
      );
    }
    this.#deadlines = new DeadlineWheel(this.#timeoutMs);
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
    this.#limiterOf = options.limiter;
    this.#budgetOf = options.rateBudget;
    this.#headers = new Headers({ accept: "application/json" });
    for (const [k, v] of new Headers(options.headers)) this.#headers.set(k, v);
    this.#auth = options.auth;
    this.#redact = liveRedactor(options.secrets ?? [], options.auth);
    this.#onEvent = options.onEvent;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? preciseNow;
    this.#rules = {
      maxAttempts,
      stallTimeoutMs,
      retryBudget: new RetryBudget({ now: this.#now, ...options.retryBudget }),
      now: this.#now,
      progressAt: () => this.#progressAt,
      redact: this.#redact,
      backoff: options.backoff ?? {},
      random: options.random ?? Math.random,
    };
  }

  /** Retries of failed requests the retry budget allows now (throttles aside). */
  get retriesLeft(): number {
    return this.#rules.retryBudget.available;
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
    const headers = requestHeaders(this.#headers, req);
    const at: AnswerContext = {
      safeUrl,
      host,
      where,
      redact: this.#redact,
      now: () => this.#now(),
      maxRetryAfterMs: this.#maxRetryAfterMs,
      onEvent: (event) => this.#onEvent?.(event),
    };

    const tally = new RetryTally(this.#rules, safeUrl, where);
    let renewed = false;
    for (let attempt = 1;; attempt++) {
      const sent = await this.#auth?.headers(signal);
      const sending = withAuth(headers, sent);
      let result: Attempted;
      try {
        result = await this.#attempt(url, sending, req, at, attempt > 1);
      } catch (err) {
        // A refused credential is renewed and tried once more: a token
        // revoked or expired early; a second 401 means it is really wrong.
        if (!sent || renewed || !(err instanceof HttpError)) throw err;
        if (err.status !== 401) throw err;
        renewed = true;
        await this.#auth!.renew(sent, signal);
        continue;
      }
      if (!("failure" in result)) {
        this.#progressAt = this.#now();
        result.attempts = attempt;
        return result;
      }
      const failure = result.failure;
      tally.check(failure);
      const delayMs = tally.delay(failure, attempt);
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

  async #attempt(
    url: string,
    headers: Headers,
    req: HttpRequest,
    at: AnswerContext,
    retry: boolean,
  ): Promise<Attempted> {
    const { signal, stats } = req;
    const budget = perHost(this.#budgets, this.#budgetOf, at.host);
    const limiter = perHost(this.#limiters, this.#limiterOf, at.host);
    await budget?.take(signal);
    let permit: Permit | undefined;
    try {
      permit = await limiter?.acquire(signal, retry ? { retry } : undefined);
    } catch (err) {
      budget?.abandon();
      throw err;
    }
    const deadline = this.#deadlines.start(signal);
    const settlement = new Settlement({
      permit,
      budget,
      stats,
      now: () => this.#now(),
      maxRetryAfterMs: this.#maxRetryAfterMs,
    });
    let response: Response | undefined;
    let early = false;
    try {
      try {
        response = await this.#fetch(url, {
          headers,
          signal: deadline.signal,
          ...(req.method === "POST"
            ? { method: "POST", body: req.body ?? "{}" }
            : {}),
        });
      } catch (err) {
        if (isPermissionError(err)) {
          // The sandbox refused the host: retrying cannot help, and Deno's own
          // words ("Requires net access to ...") say exactly what is missing.
          settlement.settle("ignore", undefined);
          throw new NetworkError(
            at.safeUrl,
            `not allowed: ${
              (err as Error).message
            } (a connector may reach only the hosts it declares)`,
            at.where,
            { cause: err },
          );
        }
        return this.#wireFailure(err, signal, deadline, settlement, undefined);
      }
      early = this.#mayReleaseEarly(at.host, limiter);
      if (early) settlement.settle("answered", response);
      return await this.#read(response, url, req, deadline, settlement, at);
    } finally {
      deadline.dispose();
      // Whatever ended the attempt (a thrown error included) settles it.
      settlement.settle("ignore", response);
      if (early) {
        this.#reading.set(at.host, (this.#reading.get(at.host) ?? 1) - 1);
      }
    }
  }

  // A JSON page arrives right behind its status line: the source is done,
  // so its slot frees now, not after the body is read and parsed here, and
  // the next request goes out before this body's bytes are touched. A body
  // still coming (a large page, a slow stream) still keeps the source busy,
  // so at most as many bodies as the limit are read on a freed permit:
  // beyond that, the permit waits for the body.
  #mayReleaseEarly(host: string, limiter: Limiter | undefined): boolean {
    const limit = limiter?.limit;
    const reading = this.#reading.get(host) ?? 0;
    if (limit === undefined || reading >= limit) return false;
    this.#reading.set(host, reading + 1);
    return true;
  }

  // Reads the body of an answer and judges it.
  async #read(
    response: Response,
    url: string,
    req: HttpRequest,
    deadline: Deadline,
    settlement: Settlement,
    at: AnswerContext,
  ): Promise<Attempted> {
    const { signal, stats } = req;
    const status = response.status;
    const ok = status >= 200 && status < 300;
    let bytes: Uint8Array;
    try {
      bytes = ok
        ? new Uint8Array(await response.arrayBuffer())
        : await readBounded(response, ERROR_BODY_BYTES);
    } catch (err) {
      if (ok || signal?.aborted) {
        return this.#wireFailure(err, signal, deadline, settlement, response);
      }
      // The status is what matters for an error answer: keep it.
      bytes = new Uint8Array();
    }
    settlement.settle("answered", response);
    if (stats) stats.bytes += bytes.length;
    if (!ok) {
      return {
        failure: judgeAnswer(response, bytes, stats, at, settlement.sentAt),
      };
    }
    const allowInvalidUtf8 = req.allowInvalidUtf8 ?? false;
    const body = parseBody(response, bytes, allowInvalidUtf8, at);
    if ("failure" in body) return body;
    const { headers } = response, n = bytes.length;
    return new JsonAnswer(response.url || url, status, headers, body.value, n);
  }

  // A failure on the wire: the caller's abort wins, then our timeout.
  #wireFailure(
    err: unknown,
    signal: AbortSignal | undefined,
    deadline: Deadline,
    settlement: Settlement,
    response: Response | undefined,
  ): { failure: Failure } {
    if (signal?.aborted) {
      settlement.settle("ignore", response);
      throw signal.reason;
    }
    if (deadline.timedOut) {
      settlement.settle("timeout", response);
      return {
        failure: {
          reason: `timed out after ${this.#timeoutMs} ms`,
          timeout: true,
          cause: err,
        },
      };
    }
    settlement.settle("ignore", response);
    return { failure: { reason: describe(err), cause: err } };
  }
}

// The one `T` of a host, made on its first request.
function perHost<T>(
  made: Map<string, T>,
  make: ((host: string) => T) | undefined,
  host: string,
): T | undefined {
  if (!make) return undefined;
  let t = made.get(host);
  if (t === undefined) made.set(host, t = make(host));
  return t;
}
