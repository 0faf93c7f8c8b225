/**
 * The UTF-8 length of a string without encoding it: the Parquet columns
 * size their buffers with it, and a lone surrogate (which `TextEncoder`
 * would silently replace) is caught before any byte is written.
 *
 * @module
 */

/**
 * UTF-8 length of `s` as `TextEncoder` writes it, or -1 on a lone surrogate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { utf8Length } from "./_utf8_length.ts";
 * assert.equal(utf8Length("aé€😀"), 1 + 2 + 3 + 4);
 * assert.equal(utf8Length("\ud800"), -1);
 * ```
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
