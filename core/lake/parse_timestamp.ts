/**
 * Strict ISO-8601 date-times, the strings a `TIMESTAMP` column holds.
 *
 * @module
 */

/**
 * Parse a strict ISO-8601 date-time (`2024-01-02T03:04:05Z`, optional
 * fraction up to nanoseconds, optional `Z` or `±hh:mm`; none means UTC) into
 * microseconds since the epoch, UTC. Anything else, including impossible
 * dates like February 30, gives `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTimestamp } from "./schema.ts";
 * assert(parseTimestamp("1970-01-01T00:00:01.5Z") === 1_500_000n);
 * assert(parseTimestamp("1970-01-01T01:00:00+01:00") === 0n);
 * assert(parseTimestamp("2024-02-30T00:00:00Z") === undefined);
 * assert(parseTimestamp("yesterday") === undefined);
 * ```
 */
export function parseTimestamp(text: string): bigint | undefined {
  const micros = timestampMicros(text);
  if (Number.isNaN(micros)) return undefined;
  return Number.isSafeInteger(micros)
    ? BigInt(micros)
    : BigInt(lastMs) * 1000n + BigInt(lastSubMs);
}

/**
 * {@linkcode parseTimestamp} as a number, without a `bigint` (four of
 * them a value, which the garbage collector then spends on): the
 * microseconds when exact (within 285 years of 1970), else a value that is
 * not a safe integer (parse again with `parseTimestamp`), or `NaN` for text
 * that is not a date-time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timestampMicros } from "./parse_timestamp.ts";
 * assert.equal(timestampMicros("1970-01-01T00:00:01.5Z"), 1_500_000);
 * assert(Number.isNaN(timestampMicros("2024-02-30T00:00:00Z")));
 * assert(!Number.isSafeInteger(timestampMicros("9999-12-31T23:59:59.999999Z")));
 * ```
 */
export function timestampMicros(text: string): number {
  const ms = parseMs(text);
  return Number.isNaN(ms) ? NaN : ms * 1000 + lastSubMs;
}

// The last text parsed: its whole milliseconds, and the microseconds past them.
let lastMs = 0;
let lastSubMs = 0;
// The last valid date parsed (yyyymmdd) and its days since the epoch.
let lastDate = -1;
let lastDays = 0;

/** Milliseconds since the epoch (and `lastSubMs`), or `NaN`. */
function parseMs(text: string): number {
  // Hand-parsed, not a regex and a Date: this runs for every string value
  // of every record (type inference and conversion), twice per timestamp.
  const n = text.length;
  if (n < 19 || n > 35) return NaN;
  const century = two(text, 0), yy = two(text, 2);
  const year = century * 100 + yy, month = two(text, 5);
  const day = two(text, 8), hour = two(text, 11);
  const minute = two(text, 14), second = two(text, 17);
  if (
    century < 0 || yy < 0 || month < 0 || day < 0 || hour < 0 ||
    minute < 0 || second < 0 ||
    text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== T || text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON
  ) {
    return NaN;
  }
  let i = 19;
  let micros = 0;
  if (i < n && text.charCodeAt(i) === DOT) {
    let places = 0;
    i++;
    while (i < n && places < 9) {
      const d = text.charCodeAt(i) - ZERO;
      if (d < 0 || d > 9) break;
      if (places < 6) micros = micros * 10 + d;
      places++;
      i++;
    }
    if (places === 0) return NaN;
    for (let p = places; p < 6; p++) micros *= 10;
  }
  let offsetMinutes = 0;
  if (i < n) {
    const c = text.charCodeAt(i);
    if (c === Z && i + 1 === n) {
      // UTC.
    } else if ((c === PLUS || c === MINUS) && i + 6 === n) {
      const oh = two(text, i + 1), om = two(text, i + 4);
      if (oh < 0 || om < 0 || text.charCodeAt(i + 3) !== COLON) {
        return NaN;
      }
      if (oh > 23 || om > 59) return NaN;
      offsetMinutes = (c === MINUS ? -1 : 1) * (oh * 60 + om);
    } else {
      return NaN;
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return NaN;
  // Timestamps of a page mostly share their day: check and count it once.
  const date = (year * 100 + month) * 100 + day;
  if (date !== lastDate) {
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      return NaN;
    }
    lastDate = date;
    lastDays = daysFromCivil(year, month, day);
  }
  lastMs = lastDays * 86_400_000 +
    ((hour * 60 + minute) * 60 + second) * 1000 - offsetMinutes * 60_000 +
    Math.floor(micros / 1000);
  lastSubMs = micros % 1000;
  return lastMs;
}

const ZERO = 48, DASH = 45, COLON = 58, DOT = 46, T = 84, Z = 90;
const PLUS = 43, MINUS = 45;

/** The number in the two ASCII digits at `at`, or -1 (small enough to inline). */
function two(text: string, at: number): number {
  const a = text.charCodeAt(at) - ZERO, b = text.charCodeAt(at + 1) - ZERO;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) +
    day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
