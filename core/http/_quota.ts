/**
 * `Quota`: one announced rate-limit quota as a budget tracks it, and how an
 * answer moves its window.
 *
 * @module
 */

import type { RateReading } from "./parse_rate_limit_headers.ts";

/** What a budget knows of one announced quota and its current window. */
export interface Quota {
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

// With no announced window length, an answer with a past reset is paced as
// if the window renewed within this long.
const FALLBACK_WINDOW_MS = 1000;

/** A quota first seen at `t`, its window not opened yet. */
export function newQuota(t: number): Quota {
  return {
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
}

/**
 * Learn from the answer `r` about a known quota `q`: received at `t`, to a
 * request sent at `sent`, with `inFlight` requests granted and not answered.
 */
export function updateQuota(
  q: Quota,
  r: RateReading,
  t: number,
  sent: number,
  inFlight: number,
): void {
  if (r.windowMs !== undefined) q.windowMs = r.windowMs;
  // Within a window the remaining count only falls; a higher one from a
  // request sent after the lowest was seen means the window renewed.
  if (r.remaining > q.minRemaining && (sent >= q.minAt || sent >= q.end)) {
    openWindow(q, r, t, sent, inFlight);
    return;
  }
  // Sent before this window was seen: it may count against the one before.
  // Skipping it is safe: our own requests are counted as they are granted.
  if (sent < q.openedAt) return;
  q.probeOut = false;
  q.est = Math.min(q.est, r.remaining - inFlight);
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
    endFromHeader(q, r, t);
  } else if (r.resetAt < q.end) {
    endFromHeader(q, r, t);
  }
  q.target = Math.min(q.target, q.end);
}

function endFromHeader(q: Quota, r: RateReading, t: number): void {
  q.end = r.resetAt > t ? r.resetAt : t + (q.windowMs ?? FALLBACK_WINDOW_MS);
  q.endInferred = false;
}

/**
 * Start a window of `q` from the answer `r`, received at `t` to a request
 * sent at `sent`, with `inFlight` requests granted and not answered.
 */
export function openWindow(
  q: Quota,
  r: RateReading,
  t: number,
  sent: number,
  inFlight: number,
): void {
  if (r.windowMs !== undefined) q.windowMs = r.windowMs;
  q.est = r.remaining - inFlight;
  q.openEst = q.est;
  q.minRemaining = r.remaining;
  q.minAt = t;
  q.openedAt = t;
  q.probeOut = false;
  endFromHeader(q, r, t);
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

/**
 * Whether a pull spending `q` must be paced at `t` (see the `"as-needed"`
 * pacing of `RateBudgetOptions`), keeping `reserve` requests in reserve.
 */
export function mustPace(q: Quota, t: number, reserve: number): boolean {
  const spent = Math.max(0, q.openEst - q.est);
  const elapsed = t - q.openedAt;
  const byRate = elapsed > 0 ? spent / elapsed * (q.end - t) : Infinity;
  // With the pull's need unknown, it is taken to be what it spent so far
  // in this window, at most what its pace so far spends by the reset.
  return q.est - reserve < Math.min(spent, byRate);
}
