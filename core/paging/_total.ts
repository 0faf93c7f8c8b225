/**
 * Where a source reports its total record count: in the body
 * (`totalPath`) or in a response header (`totalHeader`), either a bare count
 * (json-server's `X-Total-Count: 3573`) or a `Content-Range` whose part
 * after the slash is the total (PostgREST's `0-24/3573`).
 *
 * @module
 */

import { at, readCount } from "./_paginator_helpers.ts";
import { show, stringOption } from "./_paginator_options.ts";
import { PaginationError } from "../connector/errors.ts";
import type { PageResponse } from "../connector/types.ts";

/** Where the total is read: one of a body path or a header, or neither. */
export interface TotalSource {
  totalPath?: string | undefined;
  totalHeader?: string | undefined;
}

/**
 * Checks `totalHeader` (a header name) and that at most one total source is
 * given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { totalHeaderOption } from "./_total.ts";
 * assert.equal(totalHeaderOption("f", "X-Total-Count", undefined), "X-Total-Count");
 * assert.throws(() => totalHeaderOption("f", "X-Total", "total"), /not both/);
 * assert.throws(() => totalHeaderOption("f", "X Total", undefined), /header name/);
 * ```
 */
export function totalHeaderOption(
  fn: string,
  value: unknown,
  totalPath: string | undefined,
): string | undefined {
  const name = stringOption(fn, "totalHeader", value);
  if (name === undefined) return undefined;
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new RangeError(
      `${fn}: option "totalHeader" must be a header name like "X-Total-Count", got ${
        show(name)
      }`,
    );
  }
  if (totalPath !== undefined) {
    throw new TypeError(
      `${fn}: give option "totalPath" or "totalHeader", not both`,
    );
  }
  return name;
}

/**
 * The total in a header value: a bare count, or the total of a
 * `Content-Range` (`0-24/3573`, `items 0-24/3573`); `undefined`
 * when the value is neither, or the range says its total is unknown (`/*`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTotalHeader } from "./_total.ts";
 * assert.equal(parseTotalHeader("3573"), 3573);
 * assert.equal(parseTotalHeader("0-24/3573"), 3573);
 * assert.equal(parseTotalHeader("items 0-24/3573"), 3573);
 * assert.equal(parseTotalHeader("*\/0"), 0);
 * assert.equal(parseTotalHeader("0-24/*"), undefined);
 * assert.equal(parseTotalHeader("many"), undefined);
 * ```
 */
export function parseTotalHeader(value: string): number | undefined {
  const v = value.trim();
  const m = /^(?:(\d+)|(?:[A-Za-z]+ )?(?:\d+-\d+|\*)\/(\d+))$/.exec(v);
  const digits = m?.[1] ?? m?.[2];
  if (digits === undefined) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The total of `page` from its body or its header; `undefined` when the
 * paginator reads no total. A total that is missing or unreadable is a
 * {@linkcode PaginationError} naming where it was looked for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTotal } from "./_total.ts";
 * const page = {
 *   request: { index: 0 },
 *   url: "http://127.0.0.1/items",
 *   status: 200,
 *   headers: new Headers({ "content-range": "0-49/120" }),
 *   body: [],
 *   records: [],
 * };
 * assert.equal(readTotal(page, { totalHeader: "Content-Range" }), 120);
 * assert.equal(readTotal(page, {}), undefined);
 * assert.throws(() => readTotal(page, { totalHeader: "X-Total-Count" }), /X-Total-Count/);
 * ```
 */
export function readTotal(
  page: PageResponse,
  source: TotalSource,
): number | undefined {
  if (source.totalPath !== undefined) {
    return readCount(page, source.totalPath, "total");
  }
  const name = source.totalHeader;
  if (name === undefined) return undefined;
  const raw = page.headers.get(name);
  const total = raw === null ? undefined : parseTotalHeader(raw);
  if (total === undefined) {
    const unknown = raw !== null && /\/\*\s*$/.test(raw);
    throw new PaginationError(
      `total header "${name}" is ${
        raw === null ? "missing" : `not a count (found ${show(raw)})`
      }${
        unknown
          ? ": the source did not count (PostgREST counts with the request header Prefer: count=exact)"
          : ""
      }`,
      at(page),
    );
  }
  return total;
}

/** How a total source is named in messages: `"count"` or `header X-Total-Count`. */
export function totalName(source: TotalSource): string {
  return source.totalPath !== undefined
    ? `"${source.totalPath}"`
    : `header ${source.totalHeader}`;
}
