/**
 * A request budget per host, shared by every worker of a run: it reads what
 * the source says about its rate limit (`Retry-After`, the IETF `RateLimit`
 * headers, GitHub's `X-RateLimit-*`) and spreads the remaining requests over
 * the time left in the window, instead of running into 429s.
 *
 * @module
 */

import { parseRetryAfter, sleep as realSleep } from "../async/backoff.ts";
import type { RateLimit } from "../connector/types.ts";

/**
 * One quota as a response announced it.
 *
 * @example
 * ```ts
 * import type { RateReading } from "./rate_budget.ts";
 * const reading: RateReading = { key: "x-ratelimit", limit: 5000, remaining: 4999, resetAt: 1_700_000_000_000 };
 * ```
 */
export interface RateReading {
  /**
   * Which quota: `"x-ratelimit"` (or `"x-ratelimit:<resource>"` when GitHub
   * names one), `"ratelimit"` (the draft's `RateLimit-Limit/-Remaining/-Reset`
   * or its `limit=, remaining=, reset=` dictionary) or `"ietf:<policy>"`.
   */
  key: string;
  /** Requests per window, when announced. */
  limit?: number;
  /** Requests left in the current window. */
  remaining: number;
  /** When the window renews at the latest, in epoch ms of the `now` given to the parser. */
  resetAt: number;
  /** The window's length in ms, when announced (a policy's `w`). */
  windowMs?: number;
}

interface SfMember {
  value: string;
  params: Map<string, string>;
}

// Splits at `sep` outside double quotes: enough of RFC 8941 for these headers.
function splitOutside(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

function unquote(text: string): string {
  const t = text.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"')
    ? t.slice(1, -1)
    : t;
}

function parseMembers(text: string): SfMember[] {
  return splitOutside(text, ",").map((member) => {
    const [head = "", ...rest] = splitOutside(member, ";");
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf("=");
      if (eq > 0) {
        params.set(
          p.slice(0, eq).trim().toLowerCase(),
          unquote(p.slice(eq + 1)),
        );
      }
    }
    return { value: head.trim(), params };
  }).filter((m) => m.value !== "");
}

function num(text: string | null | undefined): number | undefined {
  if (text == null || text.trim() === "") return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

// Reset values are seconds-until-reset in the drafts and epoch seconds at
// GitHub; some APIs send epoch ms. Values below 1e9 cannot be a date after 2001.
function resetToMs(value: number, now: number): number {
  if (value >= 1e12) return value;
  if (value >= 1e9) return value * 1000;
  return now + value * 1000;
}

function withLimit(
  reading: RateReading,
  limit: number | undefined,
  windowS: number | undefined,
) {
  if (limit !== undefined) reading.limit = limit;
  if (windowS !== undefined && windowS > 0) reading.windowMs = windowS * 1000;
  return reading;
}

/**
 * Read every rate-limit quota a response announces: GitHub's
 * `X-RateLimit-Limit/-Remaining/-Reset` (reset in epoch seconds, or seconds
 * from now when below 1e9), the draft trio `RateLimit-Limit/-Remaining/-Reset`,
 * the draft dictionary `RateLimit: limit=100, remaining=50, reset=30` and the
 * structured form `RateLimit: "default";r=50;t=30` with
 * `RateLimit-Policy: "default";q=100;w=60`. A quota without a remaining count
 * or a reset time is skipped: it cannot be paced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRateLimitHeaders } from "./rate_budget.ts";
 * const now = 1_700_000_000_000;
 * const [r] = parseRateLimitHeaders(
 *   new Headers({ "ratelimit": '"default";r=50;t=30', "ratelimit-policy": '"default";q=100;w=60' }),
 *   now,
 * );
 * assert(r!.key === "ietf:default" && r!.remaining === 50 && r!.limit === 100);
 * assert(r!.resetAt === now + 30_000 && r!.windowMs === 60_000);
 * ```
 */
export function parseRateLimitHeaders(
  headers: Headers,
  now: number,
): RateReading[] {
  const out: RateReading[] = [];

  const xRemaining = num(headers.get("x-ratelimit-remaining"));
  const xReset = num(headers.get("x-ratelimit-reset"));
  if (xRemaining !== undefined && xReset !== undefined) {
    const resource = headers.get("x-ratelimit-resource")?.trim();
    out.push(withLimit(
      {
        key: resource ? `x-ratelimit:${resource}` : "x-ratelimit",
        remaining: xRemaining,
        resetAt: resetToMs(xReset, now),
      },
      num(headers.get("x-ratelimit-limit")),
      undefined,
    ));
  }

  const limitHeader = headers.get("ratelimit-limit");
  const policyHeader = headers.get("ratelimit-policy");
  const structured = headers.get("ratelimit");
  const tRemaining = num(headers.get("ratelimit-remaining"));
  const tReset = num(headers.get("ratelimit-reset"));
  if (tRemaining !== undefined && tReset !== undefined) {
    // RateLimit-Limit: 100, 100;w=60  (older drafts; the window may sit in
    // RateLimit-Limit or in a numeric RateLimit-Policy: 100;w=60).
    const members = [
      ...parseMembers(limitHeader ?? ""),
      ...parseMembers(policyHeader ?? ""),
    ];
    const w = members.map((m) => num(m.params.get("w"))).find((x) =>
      x !== undefined
    );
    out.push(withLimit(
      {
        key: "ratelimit",
        remaining: tRemaining,
        resetAt: resetToMs(tReset, now),
      },
      num(parseMembers(limitHeader ?? "")[0]?.value),
      w,
    ));
  } else if (structured !== null) {
    const members = parseMembers(structured);
    const dict = new Map<string, string>();
    for (const m of members) {
      const eq = m.value.indexOf("=");
      if (eq > 0) {
        dict.set(
          m.value.slice(0, eq).trim().toLowerCase(),
          m.value.slice(eq + 1),
        );
      }
    }
    const dRemaining = num(dict.get("remaining"));
    const dReset = num(dict.get("reset"));
    if (dRemaining !== undefined && dReset !== undefined) {
      out.push(withLimit(
        {
          key: "ratelimit",
          remaining: dRemaining,
          resetAt: resetToMs(dReset, now),
        },
        num(dict.get("limit")),
        undefined,
      ));
    } else {
      const policies = new Map<string, SfMember>();
      for (const p of parseMembers(policyHeader ?? "")) {
        policies.set(unquote(p.value), p);
      }
      for (const m of members) {
        const name = unquote(m.value);
        const r = num(m.params.get("r"));
        const t = num(m.params.get("t"));
        if (r === undefined || t === undefined) continue;
        const policy = policies.get(name);
        out.push(withLimit(
          { key: `ietf:${name}`, remaining: r, resetAt: now + t * 1000 },
          num(policy?.params.get("q")),
          num(policy?.params.get("w")),
        ));
      }
    }
  }
  return out;
}

/**
 * Options of {@linkcode RateBudget}.
 *
 * @example
 * ```ts
 * import type { RateBudgetOptions } from "./rate_budget.ts";
 * const options: RateBudgetOptions = { limit: { requests: 5000, perSeconds: 3600 } };
 * ```
 */
export interface RateBudgetOptions {
  /** A limit the connector knows in advance; paced at `safety` of it. @default none */
  limit?: RateLimit;
  /** Share of a declared `limit` actually used, leaving room for clock skew. @default 0.95 */
  safety?: number;
  /**
   * Requests of an announced quota left unspent until its window renews: the
   * margin against answers still on their way. @default 1
   */
  reserve?: number;
  /**
   * Share of a window's announced budget that may go at once, before pacing
   * starts: a long window (GitHub's 5,000 an hour) paced evenly from its
   * first request makes a short pull slow. Never more than the window allows.
   * @default 0 (pace from the first request)
   */
  burst?: number;
  /** Cap on a pause asked by `Retry-After`, in ms. @default 120_000 */
  maxPauseMs?: number;
  /**
   * A `Retry-After` shorter than this does not pause the host (the request
   * that got it still waits it out before its retry): a short wait usually
   * means a momentary overload, which a concurrency limiter handles without
   * stopping every worker. @default 0 (every `Retry-After` pauses)
   */
  minPauseMs?: number;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /**
   * Waits `ms` (rejecting with `signal.reason` on abort); must let `now` pass.
   * @default a timer
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * What a budget did so far.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateBudget, type RateBudgetStats } from "./rate_budget.ts";
 * const stats: RateBudgetStats = new RateBudget().stats;
 * assert(stats.granted === 0);
 * ```
 */
export interface RateBudgetStats {
  /** Requests let through. */
  granted: number;
  /** Of those, the ones that had to wait. */
  waited: number;
  /** Time spent waiting, summed over requests, in ms. */
  waitedMs: number;
  /** Pauses started by a `Retry-After` on a 429 or 503. */
  pauses: number;
}

interface Quota {
  /** Requests we may still send in this window: the source's count minus ours in flight. */
  est: number;
  /** `est` when the window was first seen. */
  openEst: number;
  /** Upper bound of the window's end (epoch ms). */
  end: number;
  /** True when `end` comes from an inferred window length, not from a header. */
  endInferred: boolean;
  /** Lowest remaining count seen in this window, and when it was first seen. */
  minRemaining: number;
  minAt: number;
  /** When this window was first seen: older answers may belong to the one before. */
  openedAt: number;
  /**
   * When the window may already be over (at most `end`): the pace aims to
   * spend the budget by then, so no request waits on a window that ended.
   */
  target: number;
  /** Announced window length. */
  windowMs: number | undefined;
  /** Window length guessed from a window's first answer (whole seconds). */
  inferredMs: number | undefined;
  /** Set once an inferred length proved wrong: stop guessing. */
  inferOff: boolean;
  /** A request went out after the window ended; wait for what it tells. */
  probeOut: boolean;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function untilSettled(
  promise: Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

// With no announced window length, an answer with a past reset is paced as
// if the window renewed within this long.
const FALLBACK_WINDOW_MS = 1000;
// How far behind its pace a budget may catch up after timers fired late.
const CATCH_UP_MS = 50;

/**
 * The request budget of one host, shared by every worker of a run.
 *
 * Every request calls `take()` before it goes out and `observe()` with the
 * answer (or `abandon()` when none came). `take()` waits while the host is
 * paused by a `Retry-After` (a 429 pauses every worker, not only the one that
 * got it), while a declared limit's pace requires, and while an announced
 * quota's remaining requests, spread evenly over the time left in its window,
 * say the next slot is not due. Requests granted but not answered yet count
 * against the remaining budget, so concurrent workers do not spend the same
 * request twice. The first request to a host goes alone, so the budget knows
 * the quota before a burst; so does the first one after a window ended, to
 * learn the next window. A window ends at the earliest of its reset header
 * and, when its length is announced (`w=`) or inferred from the request that
 * opened it, that length after its first answer: reset headers in whole
 * seconds are up to a second late. Grants are first come, first served.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateBudget } from "./rate_budget.ts";
 * let clock = 1_700_000_000_000;
 * const budget = new RateBudget({
 *   now: () => clock,
 *   sleep: (ms) => {
 *     clock += ms;
 *     return Promise.resolve();
 *   },
 * });
 * await budget.take();
 * // 11 left (1 kept in reserve) for 10 s: one request every 10 s / 11.
 * budget.observe(200, new Headers({ "x-ratelimit-remaining": "11", "x-ratelimit-reset": "1700000010" }));
 * const t0 = clock;
 * await budget.take();
 * await budget.take();
 * assert(Math.abs(clock - t0 - 2 * 10_000 / 11) < 1, `${clock - t0}`);
 * budget.abandon();
 * budget.abandon();
 * ```
 */
export class RateBudget {
  /** Counters; see {@linkcode RateBudgetStats}. */
  readonly stats: RateBudgetStats = {
    granted: 0,
    waited: 0,
    waitedMs: 0,
    pauses: 0,
  };

  #now: () => number;
  #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #reserve: number;
  #maxPauseMs: number;
  #minPauseMs: number;
  #burst: number;
  #declaredMs: number | undefined;
  #declaredNext = -Infinity;
  #pausedUntil = -Infinity;
  #pauseFrom = -Infinity;
  // The paced slot of the last grant, and of the one being decided. Pacing
  // counts from slots, not from grant times, so timers that fire late are
  // caught up (within CATCH_UP_MS) instead of slowing the pace.
  #slot = -Infinity;
  #nextSlot = -Infinity;
  #inFlight = 0;
  #known = false;
  #firstOut = false;
  #quotas = new Map<string, Quota>();
  #tail: Promise<void> = Promise.resolve();
  #changed: Deferred = deferred();

  /** Build a budget; see {@linkcode RateBudgetOptions}. */
  constructor(options: RateBudgetOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#reserve = options.reserve ?? 1;
    this.#maxPauseMs = options.maxPauseMs ?? 120_000;
    this.#minPauseMs = options.minPauseMs ?? 0;
    this.#burst = options.burst ?? 0;
    if (!(this.#burst >= 0 && this.#burst <= 1)) {
      throw new RangeError(
        `Cannot create rate budget: burst must be in [0, 1], got ${this.#burst}`,
      );
    }
    const safety = options.safety ?? 0.95;
    if (!(safety > 0 && safety <= 1)) {
      throw new RangeError(
        `Cannot create rate budget: safety must be in (0, 1], got ${safety}`,
      );
    }
    if (!(this.#reserve >= 0)) {
      throw new RangeError(
        `Cannot create rate budget: reserve must be >= 0, got ${this.#reserve}`,
      );
    }
    const limit = options.limit;
    if (limit !== undefined) {
      if (!(limit.requests > 0) || !(limit.perSeconds > 0)) {
        throw new RangeError(
          `Cannot create rate budget: limit needs requests > 0 and perSeconds > 0, got ${limit.requests} per ${limit.perSeconds} s`,
        );
      }
      this.#declaredMs = limit.perSeconds * 1000 / (limit.requests * safety);
    }
  }

  /** When the host's pause (from a `Retry-After`) ends, epoch ms; `undefined` when not paused. */
  get pausedUntil(): number | undefined {
    return this.#pausedUntil > this.#now() ? this.#pausedUntil : undefined;
  }

  /** Requests granted and not yet observed or abandoned. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests the tightest announced quota still allows in its window; `undefined` if none is known. */
  get remaining(): number | undefined {
    let min: number | undefined;
    for (const q of this.#quotas.values()) {
      min = Math.min(min ?? Infinity, Math.max(0, q.est));
    }
    return min;
  }

  /**
   * Wait until one more request may go out, then count it as in flight.
   * Rejects with `signal.reason` if `signal` aborts first (nothing is counted).
   */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const prev = this.#tail;
    const mine = deferred();
    this.#tail = prev.then(() => mine.promise);
    try {
      await untilSettled(prev, signal);
      await this.#waitTurn(signal);
    } finally {
      mine.resolve();
    }
  }

  /**
   * Learn from an answer to a granted request: its status and headers. A 429
   * or 503 with `Retry-After` pauses the host for every worker.
   *
   * @param sentAt When the request went out (epoch ms, by `now`): it tells an
   *   answer from a window that already ended apart from the current one.
   *   @default now
   */
  observe(status: number, headers: Headers, sentAt?: number): void {
    const t = this.#now();
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#known = true;
    this.#firstOut = false;
    // Answers to requests sent before the current pause began belong to the
    // burst that caused it: they neither extend it nor start another.
    if (
      (status === 429 || status === 503) && (sentAt ?? t) >= this.#pauseFrom
    ) {
      const wait = parseRetryAfter(headers.get("retry-after"), t);
      if (wait !== undefined && wait > 0 && wait >= this.#minPauseMs) {
        const until = t + Math.min(wait, this.#maxPauseMs);
        if (until > this.#pausedUntil) {
          if (this.#pausedUntil <= t) {
            this.stats.pauses++;
            this.#pauseFrom = t;
          }
          this.#pausedUntil = until;
        }
      }
    }
    const seen = new Set<string>();
    for (const reading of parseRateLimitHeaders(headers, t)) {
      seen.add(reading.key);
      this.#update(reading, t, sentAt ?? t);
    }
    for (const [key, q] of this.#quotas) {
      // A quota the source stopped announcing must not hold anyone back.
      if (seen.has(key)) continue;
      q.probeOut = false;
      if (t >= q.end) this.#quotas.delete(key);
    }
    this.#notify();
  }

  /** A granted request got no answer (network error, timeout, abort): stop counting it. */
  abandon(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#firstOut = false;
    for (const q of this.#quotas.values()) q.probeOut = false;
    this.#notify();
  }

  #notify(): void {
    const changed = this.#changed;
    this.#changed = deferred();
    changed.resolve();
  }

  async #waitTurn(signal: AbortSignal | undefined): Promise<void> {
    const started = this.#now();
    let waited = false;
    // Each pass either grants or waits for time to pass or news to arrive.
    while (true) {
      signal?.throwIfAborted();
      const t = this.#now();
      const wait = this.#decide(t);
      if (wait <= 0) {
        this.#grant(t);
        if (waited) {
          this.stats.waited++;
          this.stats.waitedMs += t - started;
        }
        return;
      }
      waited = true;
      const changed = this.#changed.promise;
      if (wait === Infinity) await untilSettled(changed, signal);
      else await this.#sleepOrNews(wait, changed, signal);
    }
  }

  async #sleepOrNews(
    ms: number,
    changed: Promise<void>,
    signal: AbortSignal | undefined,
  ) {
    const wake = new AbortController();
    const sig = signal ? AbortSignal.any([signal, wake.signal]) : wake.signal;
    let failure: { error: unknown } | undefined;
    const sleeping = this.#sleep(ms, sig).catch((error) => {
      if (!wake.signal.aborted) failure = { error };
    });
    await Promise.race([sleeping, changed]);
    wake.abort();
    signal?.throwIfAborted();
    if (failure) throw failure.error;
  }

  // 0: grant now; Infinity: wait for news (an answer); else ms to wait.
  #decide(t: number): number {
    if (this.#pausedUntil > t) return this.#pausedUntil - t;
    if (!this.#known) return this.#firstOut ? Infinity : 0;
    let wait = this.#declaredNext - t;
    let slot = -Infinity;
    for (const q of this.#quotas.values()) {
      if (t >= q.end) {
        if (q.probeOut) return Infinity;
        continue; // this request goes out alone to learn the new window
      }
      const spare = q.est - this.#reserve;
      let due: number;
      if (spare < 1) {
        due = q.end;
      } else if (q.openEst - q.est < this.#burst * q.openEst) {
        due = t;
      } else {
        // `spare` slots spread evenly over what is left, the last before the end.
        const from = Math.max(this.#slot, q.openedAt);
        const to = t < q.target ? q.target : q.end;
        due = from + (to - from) / (spare + 1);
        slot = Math.max(slot, due);
      }
      wait = Math.max(wait, due - t);
    }
    this.#nextSlot = Number.isFinite(slot) ? Math.min(slot, t) : t;
    return wait;
  }

  #grant(t: number): void {
    this.#inFlight++;
    this.#slot = Math.max(this.#nextSlot, t - CATCH_UP_MS);
    this.stats.granted++;
    if (!this.#known) this.#firstOut = true;
    if (this.#declaredMs !== undefined) {
      this.#declaredNext = t + this.#declaredMs;
    }
    for (const q of this.#quotas.values()) {
      if (t >= q.end) q.probeOut = true;
      else q.est--;
    }
  }

  #update(r: RateReading, t: number, sent: number): void {
    const q = this.#quotas.get(r.key);
    if (!q) {
      const fresh: Quota = {
        est: 0,
        openEst: 0,
        end: Infinity,
        endInferred: false,
        minRemaining: 0,
        minAt: t,
        openedAt: t,
        target: Infinity,
        windowMs: undefined,
        inferredMs: undefined,
        inferOff: false,
        probeOut: false,
      };
      this.#quotas.set(r.key, fresh);
      this.#openWindow(fresh, r, t, sent);
      return;
    }
    if (r.windowMs !== undefined) q.windowMs = r.windowMs;
    // Within a window the remaining count only falls; a higher one from a
    // request sent after the lowest was seen means the window renewed.
    if (r.remaining > q.minRemaining && (sent >= q.minAt || sent >= q.end)) {
      this.#openWindow(q, r, t, sent);
      return;
    }
    // Sent before this window was seen: it may count against the one before.
    // Skipping it is safe: our own requests are counted as they are granted.
    if (sent < q.openedAt) return;
    q.probeOut = false;
    q.est = Math.min(q.est, r.remaining - this.#inFlight);
    if (r.remaining < q.minRemaining) {
      q.minRemaining = r.remaining;
      q.minAt = t;
    }
    if (sent >= q.end) {
      // It left after the window was to end, yet counts in the same window:
      // the end was wrong. Trust only the header from now on.
      if (q.endInferred) {
        q.inferOff = true;
        q.inferredMs = undefined;
      }
      this.#endFromHeader(q, r, t);
    } else if (r.resetAt < q.end) {
      this.#endFromHeader(q, r, t);
    }
    q.target = Math.min(q.target, q.end);
  }

  #endFromHeader(q: Quota, r: RateReading, t: number): void {
    q.end = r.resetAt > t ? r.resetAt : t + (q.windowMs ?? FALLBACK_WINDOW_MS);
    q.endInferred = false;
  }

  #openWindow(q: Quota, r: RateReading, t: number, sent: number): void {
    if (r.windowMs !== undefined) q.windowMs = r.windowMs;
    q.est = r.remaining - this.#inFlight;
    q.openEst = q.est;
    q.minRemaining = r.remaining;
    q.minAt = t;
    q.openedAt = t;
    q.probeOut = false;
    this.#endFromHeader(q, r, t);
    // The reset header is often whole seconds rounded up, up to a second late:
    // a 1 s window would be paced at half speed. The request that opened the
    // window (remaining = limit - 1) bounds its length: the window started
    // after it was sent and ends before the announced reset.
    if (
      q.windowMs === undefined && !q.inferOff && r.limit !== undefined &&
      r.remaining === r.limit - 1
    ) {
      const guess = Math.floor((r.resetAt - sent) / 1000) * 1000;
      if (guess >= 1000) {
        q.inferredMs = Math.min(q.inferredMs ?? Infinity, guess);
      }
    }
    const length = q.windowMs ?? q.inferredMs;
    // The window started before this answer arrived, so it ends within `length`.
    if (length !== undefined && t + length < q.end) {
      q.end = t + length;
      q.endInferred = q.windowMs === undefined;
    }
    // If this request opened the window, the window started no earlier than
    // it was sent: pacing to `end` alone would leave a round trip unspent.
    q.target = q.end;
    const opener = r.limit !== undefined && r.remaining === r.limit - 1;
    if (length !== undefined && opener) {
      q.target = Math.min(q.end, sent + length);
    }
  }
}
