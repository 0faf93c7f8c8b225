/**
 * JSON text that keeps every digit of a `bigint` (an integer beyond 2^53,
 * as the HTTP layer hands it over) instead of throwing, as `JSON.stringify`
 * does, or rounding it through a number; and its inverse, which reads such
 * an integer back as a `bigint`.
 *
 * @module
 */

// In the runtime (V8's JSON.parse source text access), not yet in the lib types.
const { rawJSON } = JSON as unknown as { rawJSON(text: string): unknown };

const exact = (_key: string, v: unknown): unknown =>
  typeof v === "bigint" ? rawJSON(v.toString()) : v;

/**
 * `JSON.stringify(value, null, indent)`, bigints written as their exact
 * digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exactJson } from "./exact_json.ts";
 * assert.equal(exactJson({ id: 9007199254740993n, n: 1 }), '{"id":9007199254740993,"n":1}');
 * ```
 */
export function exactJson(value: unknown, indent?: number): string {
  try {
    // Plain JSON, what records nearly always are, takes the fast path.
    return JSON.stringify(value, null, indent);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(value, exact, indent);
  }
}

const INTEGER = /^-?\d+$/;

/**
 * `JSON.parse(text)`, an integer a number cannot hold exactly read as a
 * `bigint` (what {@linkcode exactJson} wrote for one); safe integers stay
 * numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exactParse } from "./exact_json.ts";
 * assert.deepEqual(exactParse('{"id":9007199254740993,"n":1}'), { id: 9007199254740993n, n: 1 });
 * ```
 */
export function exactParse(text: string): unknown {
  return JSON.parse(
    text,
    (_key, v: unknown, context?: { source?: string }) =>
      typeof v === "number" && !Number.isSafeInteger(v) &&
        context?.source !== undefined && INTEGER.test(context.source)
        ? BigInt(context.source)
        : v,
  );
}
