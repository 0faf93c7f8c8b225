/**
 * Option checks shared by the paginator factories. Each failure names the
 * factory and the option, so a typo in a connector fails before any request.
 *
 * @module
 */

import { closest } from "../connector/closest.ts";
import { isDotPath } from "../connector/json_path.ts";
import type { PaginateContext } from "../connector/types.ts";

/**
 * A short, bounded rendering of a value for error messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { show } from "./_paginator_options.ts";
 * assert.equal(show(undefined), "nothing");
 * assert.equal(show(NaN), "NaN");
 * assert.equal(show({ a: "x" }), '{"a":"x"}');
 * ```
 */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const s = typeof value === "number" || typeof value === "bigint"
    ? String(value)
    // Integers beyond 2^53 arrive as bigints, which JSON.stringify refuses.
    : String(
      JSON.stringify(value, (_k, v) => typeof v === "bigint" ? `${v}` : v),
    );
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

/**
 * Checks a factory's options object: a plain object whose keys are all known
 * (a misspelt `limitParam` would otherwise be silently ignored).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkKeys } from "./_paginator_options.ts";
 * assert.throws(
 *   () => checkKeys("f", { limt: 1 }, ["limit"]),
 *   /unknown option "limt" \(did you mean "limit"\?\)/,
 * );
 * ```
 */
export function checkKeys(
  fn: string,
  opts: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
    throw new TypeError(`${fn}: options must be an object, got ${show(opts)}`);
  }
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) {
      const hint = closest(key, known);
      throw new TypeError(
        `${fn}: unknown option "${key}"${
          hint ? ` (did you mean "${hint}"?)` : ""
        } (known: ${known.join(", ")})`,
      );
    }
  }
  return opts as Record<string, unknown>;
}

/**
 * An integer option `>= min`; `undefined` passes through.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intOption } from "./_paginator_options.ts";
 * assert.equal(intOption("f", "limit", 50, 1), 50);
 * assert.throws(() => intOption("f", "limit", 0, 1), RangeError);
 * assert.throws(() => intOption("f", "limit", "50", 1), TypeError);
 * ```
 */
export function intOption(
  fn: string,
  name: string,
  value: unknown,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number") {
    throw new TypeError(
      `${fn}: option "${name}" must be a number, got ${show(value)}`,
    );
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `${fn}: option "${name}" must be an integer >= ${min}, got ${
        show(value)
      }`,
    );
  }
  return value;
}

/**
 * A non-empty string option; `undefined` passes through.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stringOption } from "./_paginator_options.ts";
 * assert.equal(stringOption("f", "rel", undefined), undefined);
 * assert.throws(() => stringOption("f", "rel", ""), RangeError);
 * ```
 */
export function stringOption(
  fn: string,
  name: string,
  value: unknown,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    throw new TypeError(
      `${fn}: option "${name}" must be a string, got ${show(value)}`,
    );
  }
  if (value === "") {
    throw new RangeError(`${fn}: option "${name}" must not be empty`);
  }
  return value;
}

/**
 * A dot-path option (`"meta.next"`); `undefined` passes through.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathOption } from "./_paginator_options.ts";
 * assert.equal(pathOption("f", "totalPath", "meta.total"), "meta.total");
 * assert.throws(() => pathOption("f", "totalPath", "meta."), RangeError);
 * ```
 */
export function pathOption(
  fn: string,
  name: string,
  value: unknown,
): string | undefined {
  const s = stringOption(fn, name, value);
  if (s !== undefined && !isDotPath(s)) {
    throw new RangeError(
      `${fn}: option "${name}" must be a dot path like "meta.next", got ${
        show(s)
      }`,
    );
  }
  return s;
}

/**
 * One of a fixed set of strings; `undefined` passes through.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { enumOption } from "./_paginator_options.ts";
 * assert.equal(enumOption("f", "order", "asc", ["asc", "desc"]), "asc");
 * assert.throws(() => enumOption("f", "order", "up", ["asc", "desc"]), RangeError);
 * ```
 */
export function enumOption<T extends string>(
  fn: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw new RangeError(
      `${fn}: option "${name}" must be one of ${
        allowed.map((a) => `"${a}"`).join(", ")
      }, got ${show(value)}`,
    );
  }
  return value as T;
}

/**
 * The run's record limit, checked: the engine passes it straight from `--limit`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctxLimit } from "./_paginator_options.ts";
 * assert.equal(ctxLimit("f", { limit: 10 }), 10);
 * assert.throws(() => ctxLimit("f", { limit: -1 }), RangeError);
 * ```
 */
export function ctxLimit(fn: string, ctx: PaginateContext): number | undefined {
  return ctxInt(fn, "limit", ctx.limit);
}

/**
 * The run's resume point, checked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctxStart } from "./_paginator_options.ts";
 * assert.equal(ctxStart("f", {}), undefined);
 * assert.throws(() => ctxStart("f", { start: 0.5 }), RangeError);
 * ```
 */
export function ctxStart(fn: string, ctx: PaginateContext): number | undefined {
  return ctxInt(fn, "start", ctx.start);
}

function ctxInt(
  fn: string,
  name: string,
  value: number | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `${fn}: context "${name}" must be an integer >= 0, got ${show(value)}`,
    );
  }
  return value;
}

/**
 * An iterable that can be walked more than once and computes lazily (a bare
 * generator object would be empty the second time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lazy } from "./_paginator_options.ts";
 * const xs = lazy(function* () {
 *   yield 1;
 *   yield 2;
 * });
 * assert.deepEqual([...xs], [1, 2]);
 * assert.deepEqual([...xs], [1, 2]);
 * ```
 */
export function lazy<T>(gen: () => Generator<T>): Iterable<T> {
  return { [Symbol.iterator]: gen };
}

/**
 * A checked option that must be given: its value, or a `TypeError` naming it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { required, stringOption } from "./_paginator_options.ts";
 * const v = required("f", "cursorParam", stringOption("f", "cursorParam", "after"));
 * assert(v === "after");
 * ```
 */
export function required<T>(fn: string, name: string, value: T | undefined): T {
  if (value === undefined) {
    throw new TypeError(`${fn}: option "${name}" is required`);
  }
  return value;
}
