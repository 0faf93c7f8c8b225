/**
 * Steps shared by the paginator factories: reading a page's own request
 * back, and building the follow-up request.
 *
 * @module
 */

import { getPath } from "../connector/json_path.ts";
import { show } from "./_paginator_options.ts";
import { PaginationError } from "../connector/errors.ts";
import type { Next, PageRequest, PageResponse } from "../connector/types.ts";

/**
 * The end of a chain: no further request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DONE } from "./_paginator_helpers.ts";
 * assert.deepEqual(DONE, { type: "done" });
 * ```
 */
export const DONE: Next = Object.freeze({ type: "done" });

/**
 * Where a page came from, for a {@linkcode PaginationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { at } from "./_paginator_helpers.ts";
 * const page = {
 *   request: { index: 2 },
 *   url: "http://127.0.0.1/x",
 *   status: 200,
 *   headers: new Headers(),
 *   body: {},
 *   records: [],
 * };
 * assert.deepEqual(at(page), { url: "http://127.0.0.1/x", page: 2 });
 * ```
 */
export function at(page: PageResponse): { url: string; page: number } {
  return { url: page.url, page: page.request.index };
}

/**
 * The position a page was asked for, read back from its own request so a
 * paginator needs no memory of what it planned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intParam } from "./_paginator_helpers.ts";
 * const page = {
 *   request: { index: 1, params: { offset: "50" } },
 *   url: "http://127.0.0.1/x",
 *   status: 200,
 *   headers: new Headers(),
 *   body: {},
 *   records: [],
 * };
 * assert.equal(intParam(page, "offset", 0), 50);
 * assert.equal(intParam(page, "page", 1), 1);
 * ```
 */
export function intParam(
  page: PageResponse,
  name: string,
  fallback: number,
): number {
  const raw = page.request.params?.[name];
  if (raw === undefined || !/^-?\d+$/.test(raw)) return fallback;
  return Number(raw);
}

/**
 * A count the source reports (a total, a number of pages). Digit strings are
 * accepted because some APIs quote their numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCount } from "./_paginator_helpers.ts";
 * const page = {
 *   request: { index: 0 },
 *   url: "http://127.0.0.1/x",
 *   status: 200,
 *   headers: new Headers(),
 *   body: { meta: { total: "120" } },
 *   records: [],
 * };
 * assert.equal(readCount(page, "meta.total", "total"), 120);
 * assert.throws(() => readCount(page, "meta.pages", "total pages"));
 * ```
 */
export function readCount(
  page: PageResponse,
  path: string,
  what: string,
): number {
  const v = getPath(page.body, path);
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new PaginationError(
      `${what} "${path}" is missing or not a count (found ${show(v)})`,
      at(page),
    );
  }
  return n;
}

/**
 * The follow-up request: the page request's path, params and body values,
 * with `params` (and `bodyParams`) changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withParams } from "./_paginator_helpers.ts";
 * const page = {
 *   request: { index: 0, path: "/items", params: { q: "a", page: "1" } },
 *   url: "http://127.0.0.1/items",
 *   status: 200,
 *   headers: new Headers(),
 *   body: {},
 *   records: [],
 * };
 * assert.deepEqual(withParams(page, 1, { page: "2" }), {
 *   index: 1,
 *   params: { q: "a", page: "2" },
 *   path: "/items",
 * });
 * ```
 */
export function withParams(
  page: PageResponse,
  index: number,
  params: Record<string, string>,
  bodyParams?: Record<string, string | number>,
): PageRequest {
  const req: PageRequest = {
    index,
    params: { ...page.request.params, ...params },
  };
  if (page.request.path !== undefined) req.path = page.request.path;
  if (page.request.bodyParams !== undefined || bodyParams !== undefined) {
    req.bodyParams = { ...page.request.bodyParams, ...bodyParams };
  }
  return req;
}

/**
 * Shared by the next-URL and Link paginators: the source owns the URL.
 * `raw` is resolved against the page's URL; a URL that points back to the
 * page is a {@linkcode PaginationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextByUrl } from "./_paginator_helpers.ts";
 * const page = {
 *   request: { index: 0 },
 *   url: "http://127.0.0.1/items?page=1",
 *   status: 200,
 *   headers: new Headers(),
 *   body: {},
 *   records: [],
 * };
 * assert.deepEqual(nextByUrl(page, "?page=2", '"next"'), {
 *   type: "next",
 *   request: { index: 1, url: "http://127.0.0.1/items?page=2" },
 * });
 * assert.throws(() => nextByUrl(page, "?page=1", '"next"'), /repeats/);
 * ```
 */
export function nextByUrl(page: PageResponse, raw: string, from: string): Next {
  let url: string;
  try {
    url = new URL(raw, page.url).href;
  } catch (cause) {
    throw new PaginationError(
      `next URL ${show(raw)} from ${from} is not a URL`,
      at(page),
      {
        cause,
      },
    );
  }
  if (url === page.url || url === page.request.url) {
    throw new PaginationError(
      `next URL repeats: ${from} points back to ${url}`,
      at(page),
    );
  }
  return { type: "next", request: { index: page.request.index + 1, url } };
}
