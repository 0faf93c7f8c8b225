/**
 * Reading a response body as JSON, strictly and losslessly: bytes that are
 * not UTF-8 are an error (not U+FFFD), and integers beyond ±(2^53−1) become
 * `bigint` with their exact digits (a `number` would round them silently).
 *
 * @module
 */

/** The body's bytes are not UTF-8; `offset` is where the first bad byte is. */
export class InvalidUtf8Error extends Error {
  /** Byte offset of the first byte that is not valid UTF-8. */
  readonly offset: number;

  /** Build the error. */
  constructor(offset: number, options?: ErrorOptions) {
    super(`body is not valid UTF-8 (first bad byte at offset ${offset})`, {
      ...options,
    });
    this.name = "InvalidUtf8Error";
    this.offset = offset;
  }
}

/** Options of {@linkcode parseJsonBody}. */
export interface ParseJsonOptions {
  /** Decode bytes that are not UTF-8 as U+FFFD instead of failing. @default false */
  allowInvalidUtf8?: boolean;
}

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");
const INTEGER = /^-?\d+$/;

function exact(_key: string, value: unknown, context?: { source?: string }) {
  if (
    typeof value === "number" && !Number.isSafeInteger(value) &&
    context?.source !== undefined && INTEGER.test(context.source)
  ) {
    return BigInt(context.source);
  }
  return value;
}

/**
 * Parse JSON text, integers beyond ±(2^53−1) as `bigint` (a reviver runs on
 * every value: {@linkcode parseJsonBody} calls this only when it must).
 * Throws `SyntaxError` on text that is not JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonText } from "./_json_body.ts";
 * assert.deepEqual(parseJsonText('{"id":9007199254740993,"n":1.5}'), { id: 9007199254740993n, n: 1.5 });
 * assert.deepEqual(parseJsonText('[9007199254740991, 1e300, "12345678901234567"]'), [
 *   9007199254740991,
 *   1e300,
 *   "12345678901234567",
 * ]);
 * ```
 */
export function parseJsonText(text: string): unknown {
  // The third reviver argument (the literal's source text) is missing from
  // the lib typings Deno ships, not from its V8.
  return JSON.parse(text, exact as (k: string, v: unknown) => unknown);
}

/**
 * Decode bytes as UTF-8 (strictly unless allowed) and parse them as JSON.
 * Throws {@linkcode InvalidUtf8Error} on bytes that are not UTF-8,
 * `SyntaxError` on text that is not JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidUtf8Error, parseJsonBody } from "./_json_body.ts";
 * const bad = new Uint8Array([0x22, 0xff, 0x22]);
 * assert.throws(() => parseJsonBody(bad), InvalidUtf8Error);
 * assert.equal(parseJsonBody(bad, { allowInvalidUtf8: true }), "\ufffd");
 * // Cut inside "é": cut short (a SyntaxError, retried), not mis-encoded.
 * const cut = new TextEncoder().encode('["é"]').subarray(0, 3);
 * assert.throws(() => parseJsonBody(cut), SyntaxError);
 * ```
 */
export function parseJsonBody(
  bytes: Uint8Array,
  options: ParseJsonOptions = {},
): unknown {
  let text: string;
  if (options.allowInvalidUtf8) text = lenient.decode(bytes);
  else {
    try {
      text = strict.decode(bytes);
    } catch (cause) {
      // A body cut inside a character is cut short, not mis-encoded: a
      // SyntaxError, as JSON cut elsewhere is, so it is retried.
      if (endsInsideCharacter(bytes)) {
        throw new SyntaxError("body ends inside a UTF-8 character", { cause });
      }
      throw new InvalidUtf8Error(firstInvalidUtf8(bytes), { cause });
    }
  }
  return mayHoldBigInt(bytes) ? parseJsonText(text) : JSON.parse(text);
}

/**
 * True when the bytes hold a run of 16 digits or more, which every integer
 * beyond 2^53−1 is. Such a run covers an index ≡ 15 (mod 16), so only those
 * are probed: a few percent of `JSON.parse`'s time, where a regex scan costs
 * half as much as the parse itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayHoldBigInt } from "./_json_body.ts";
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * assert(mayHoldBigInt(bytes('{"id":9007199254740993}')));
 * assert(!mayHoldBigInt(bytes('{"id":900719925474099,"t":1700000000000}')));
 * ```
 */
export function mayHoldBigInt(b: Uint8Array): boolean {
  for (let i = 15; i < b.length; i += 16) {
    if (!isDigit(b[i]!)) continue;
    let lo = i, hi = i;
    while (lo > 0 && isDigit(b[lo - 1]!)) lo--;
    while (hi + 1 < b.length && isDigit(b[hi + 1]!)) hi++;
    if (hi - lo + 1 >= 16) return true;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

// Only on the error path: every byte is UTF-8 but for a last character cut
// short (a streaming decoder keeps such a tail for the next chunk).
function endsInsideCharacter(b: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b, { stream: true });
    return true;
  } catch {
    return false;
  }
}

// Only on the error path: where the first byte that is not UTF-8 sits.
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const [n, lo, hi] = c < 0x80
      ? [0, 0x80, 0xbf]
      : c >= 0xc2 && c <= 0xdf
      ? [1, 0x80, 0xbf]
      : c === 0xe0
      ? [2, 0xa0, 0xbf]
      : c === 0xed
      ? [2, 0x80, 0x9f]
      : c >= 0xe1 && c <= 0xef
      ? [2, 0x80, 0xbf]
      : c === 0xf0
      ? [3, 0x90, 0xbf]
      : c === 0xf4
      ? [3, 0x80, 0x8f]
      : c >= 0xf1 && c <= 0xf3
      ? [3, 0x80, 0xbf]
      : [-1, 0, 0];
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      const [l, h] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (d === undefined || d < l || d > h) return i;
    }
    i += n + 1;
  }
  return b.length;
}
