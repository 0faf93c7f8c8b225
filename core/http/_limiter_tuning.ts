/**
 * The constants an `AdaptiveLimiter` is tuned by, each with why it has its
 * value.
 *
 * @module
 */

/**
 * Queueing latency accepted over the baseline before the limit comes down:
 * enough queue at the source to cover the client's own pauses, no more.
 */
export const TOLERANCE = 1.5;
/**
 * Queueing latency always accepted, whatever the baseline, ms: a source
 * that answers in a fraction of a millisecond (on the same machine, say)
 * varies by that much with the client's own work per answer, and a limit
 * cut for it runs too few requests at once to keep either side busy.
 */
export const QUEUE_FLOOR_MS = 1;
/** Slow start stops once latency is this far over the baseline. */
export const SLOW_START_TOLERANCE = 1.5;
/** Multiplicative decrease on a drop (429/503/timeout). */
export const DROP_FACTOR = 0.9;
/**
 * Share of answers (of at least `SOFT_MIN_ANSWERS`) that may be 5xx asking
 * for no wait before they count as overload: a few such errors are the
 * source's own faults,
 * and retrying them costs little, while a source that fails under load
 * fails a growing share as the limit rises.
 */
export const SOFT_SHARE = 0.25;
/**
 * Fewest answers the share of 5xx asking for no wait is judged over: at a
 * small limit a window is 8 answers, and 10 % random faults show over a
 * quarter of 8 in one window of 26; over 64, once in about 7,000.
 */
export const SOFT_MIN_ANSWERS = 64;
/** Bounds of the latency gradient's decrease factor. */
export const MIN_GRADIENT = 0.5;
export const MAX_GRADIENT = 0.9;
/** Fewest samples a window's median is taken over (small limits span several round trips). */
export const MIN_WINDOW = 8;
/** Latency kept (at least) after the limit fell to `STALE_LIMIT` of its level: the baseline is stale. */
export const STALE_LATENCY = 0.9;
export const STALE_LIMIT = 0.8;
/** Slow start that grew the limit this many times over needs no baseline check. */
export const UNCHECKED_GROWTH = 4;
/** Entries kept by `trace()`. */
export const TRACE_LENGTH = 1000;
