/**
 * The paginators: pure, frozen objects that turn the last response into the
 * next request(s). None keeps state between calls (one paginator object is
 * shared by every run and partition of a stream), so loop guards compare with
 * the request that produced the page (`page.request`).
 *
 * Every request carries `index` (its 0-based position in the chain) and
 * string `params`. Follow-up requests keep the page request's `path` and
 * `params`, changing only the paging parameters, so whatever the engine put
 * into a first request (a partition filter) stays on the whole chain.
 *
 * @module
 */

import { getPath } from "./_json_path.ts";
import { findLink } from "./_link_header.ts";
import {
  checkKeys,
  ctxLimit,
  ctxStart,
  enumOption,
  intOption,
  lazy,
  pathOption,
  show,
  stringOption,
} from "./_paginator_options.ts";
import { PaginationError } from "./errors.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  PaginateContext,
  Paginator,
} from "./types.ts";

export { findLink, type LinkValue, parseLinkHeader } from "./_link_header.ts";

const DONE: Next = Object.freeze({ type: "done" });

const SINGLE: Paginator = Object.freeze({
  type: "single",
  first: (): PageRequest => ({ index: 0 }),
  next: (): Next => DONE,
});

function at(page: PageResponse): { url: string; page: number } {
  return { url: page.url, page: page.request.index };
}

// The position a page was asked for, read back from its own request so a
// paginator needs no memory of what it planned.
function intParam(page: PageResponse, name: string, fallback: number): number {
  const raw = page.request.params?.[name];
  if (raw === undefined || !/^-?\d+$/.test(raw)) return fallback;
  return Number(raw);
}

// A count the source reports (a total, a number of pages). Digit strings are
// accepted because some APIs quote their numbers.
function readCount(page: PageResponse, path: string, what: string): number {
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

function withParams(
  page: PageResponse,
  index: number,
  params: Record<string, string>,
): PageRequest {
  const req: PageRequest = {
    index,
    params: { ...page.request.params, ...params },
  };
  if (page.request.path !== undefined) req.path = page.request.path;
  return req;
}

/** Options of {@linkcode offsetPaginator}. */
export interface OffsetPaginatorOptions {
  /**
   * Records per page, sent as `limitParam`. It must not exceed the most the
   * source serves per page: a source that silently serves fewer would leave
   * gaps (caught when a total is known, undetectable otherwise).
   */
  limit: number;
  /** Query parameter carrying the page size. @default {"limit"} */
  limitParam?: string;
  /** Query parameter carrying the offset. @default {"offset"} */
  offsetParam?: string;
  /**
   * Dot path to the total record count in the body (`"count"`,
   * `"meta.total"`). Given: every remaining page is planned at once and
   * fetched concurrently. Omitted: pages are fetched in a window ahead until
   * a short page.
   */
  totalPath?: string;
  /** Offset of the first record. @default {0} */
  start?: number;
}

/**
 * Offset/limit paging (`?offset=100&limit=50`).
 *
 * After the first page: with `totalPath`, a `fanout` of every remaining
 * offset below the total; without it, a lazy `window` of offsets whose end
 * is the first page shorter than `limit`. A short first page ends the stream.
 * `ctx.limit` caps the plan at `start + ctx.limit` records.
 *
 * Errors ({@linkcode PaginationError}): the total is missing or not a count;
 * a page holds more records than `limit` (the source ignores the limit
 * parameter, so offsets would overlap); or, with a total, a page holds fewer
 * than `limit` while the total says more follow (the source caps its page
 * size, so offsets would leave gaps).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { offsetPaginator } from "./paginators.ts";
 * const p = offsetPaginator({ limit: 50, totalPath: "count" });
 * const first = p.first({});
 * assert.deepEqual(first, { index: 0, params: { offset: "0", limit: "50" } });
 * const next = p.next({
 *   request: first,
 *   url: "http://127.0.0.1/items?offset=0&limit=50",
 *   status: 200,
 *   headers: new Headers(),
 *   body: { count: 120 },
 *   records: Array.from({ length: 50 }, (_, id) => ({ id })),
 * }, {});
 * assert.equal(next.type, "fanout");
 * if (next.type === "fanout") {
 *   assert.deepEqual([...next.requests].map((r) => r.params?.offset), ["50", "100"]);
 * }
 * ```
 */
export function offsetPaginator(options: OffsetPaginatorOptions): Paginator {
  const fn = "offsetPaginator";
  const o = checkKeys(fn, options, [
    "limit",
    "limitParam",
    "offsetParam",
    "totalPath",
    "start",
  ]);
  const limit = intOption(fn, "limit", o.limit, 1);
  if (limit === undefined) {
    throw new TypeError(`${fn}: option "limit" is required`);
  }
  const limitParam = stringOption(fn, "limitParam", o.limitParam) ?? "limit";
  const offsetParam = stringOption(fn, "offsetParam", o.offsetParam) ??
    "offset";
  if (limitParam === offsetParam) {
    throw new RangeError(
      `${fn}: options "limitParam" and "offsetParam" must differ`,
    );
  }
  const totalPath = pathOption(fn, "totalPath", o.totalPath);
  const start = intOption(fn, "start", o.start, 0) ?? 0;

  const request = (page: PageResponse, index: number, offset: number) =>
    withParams(page, index, {
      [offsetParam]: String(offset),
      [limitParam]: String(limit),
    });

  return Object.freeze({
    type: "offset",
    first: (ctx: PaginateContext): PageRequest => {
      ctxLimit(fn, ctx);
      return {
        index: 0,
        params: { [offsetParam]: String(start), [limitParam]: String(limit) },
      };
    },
    next: (page: PageResponse, ctx: PaginateContext): Next => {
      const wanted = ctxLimit(fn, ctx);
      const end = wanted === undefined ? Infinity : start + wanted;
      const offset = intParam(page, offsetParam, start);
      const got = page.records.length;
      if (got > limit) {
        throw new PaginationError(
          `page holds ${got} records, more than ${limitParam}=${limit}: the source ignores "${limitParam}", so offsets would overlap`,
          at(page),
        );
      }
      if (totalPath !== undefined) {
        const total = readCount(page, totalPath, "total");
        if (got < limit && offset + got < total) {
          throw new PaginationError(
            `page holds ${got} records, fewer than ${limitParam}=${limit}, but "${totalPath}" says ${total}: the source caps its page size; lower "limit" to ${got}`,
            at(page),
          );
        }
        const stop = Math.min(total, end);
        if (offset + limit >= stop) return DONE;
        return {
          type: "fanout",
          requests: lazy(function* () {
            let index = page.request.index;
            for (let o = offset + limit; o < stop; o += limit) {
              yield request(page, ++index, o);
            }
          }),
        };
      }
      if (got < limit || offset + limit >= end) return DONE;
      return {
        type: "window",
        requests: lazy(function* () {
          let index = page.request.index;
          for (let o = offset + limit; o < end; o += limit) {
            yield request(page, ++index, o);
          }
        }),
        isLast: (p) => p.records.length < limit,
      };
    },
  });
}

/** Options of {@linkcode pageNumberPaginator}. */
export interface PageNumberPaginatorOptions {
  /** Query parameter carrying the page number. @default {"page"} */
  pageParam?: string;
  /** Query parameter carrying the page size; requires `size`. */
  sizeParam?: string;
  /**
   * Records per page: sent as `sizeParam` when that is given, else the
   * source's fixed page size. Known, a short page ends the stream; unknown,
   * only an empty page does (and the first page's length stands in for it
   * when counting pages from a total or from `ctx.limit`).
   */
  size?: number;
  /** Number of the first page. @default {1} */
  start?: number;
  /** Dot path to the number of pages in the body; then pages fan out. */
  totalPagesPath?: string;
  /** Dot path to the number of records in the body; then pages fan out. */
  totalPath?: string;
}

/**
 * Page-number paging (`?page=3&per_page=100`).
 *
 * After the first page: with `totalPagesPath` or `totalPath`, a `fanout` of
 * every remaining page; otherwise a lazy `window` of pages that ends at the
 * first empty page (or short page, when `size` is known). An empty (or
 * short) first page ends the stream. `ctx.limit` caps the plan at the pages
 * needed for that many records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageNumberPaginator } from "./paginators.ts";
 * const p = pageNumberPaginator({ sizeParam: "per_page", size: 2, totalPagesPath: "pages" });
 * const first = p.first({});
 * assert.deepEqual(first, { index: 0, params: { page: "1", per_page: "2" } });
 * const next = p.next({
 *   request: first,
 *   url: "http://127.0.0.1/items?page=1&per_page=2",
 *   status: 200,
 *   headers: new Headers(),
 *   body: { pages: 3 },
 *   records: [{ id: 1 }, { id: 2 }],
 * }, {});
 * assert.equal(next.type, "fanout");
 * if (next.type === "fanout") {
 *   assert.deepEqual([...next.requests].map((r) => r.params?.page), ["2", "3"]);
 * }
 * ```
 */
export function pageNumberPaginator(
  options: PageNumberPaginatorOptions = {},
): Paginator {
  const fn = "pageNumberPaginator";
  const o = checkKeys(fn, options, [
    "pageParam",
    "sizeParam",
    "size",
    "start",
    "totalPagesPath",
    "totalPath",
  ]);
  const pageParam = stringOption(fn, "pageParam", o.pageParam) ?? "page";
  const sizeParam = stringOption(fn, "sizeParam", o.sizeParam);
  const size = intOption(fn, "size", o.size, 1);
  const start = intOption(fn, "start", o.start, 0) ?? 1;
  const totalPagesPath = pathOption(fn, "totalPagesPath", o.totalPagesPath);
  const totalPath = pathOption(fn, "totalPath", o.totalPath);
  if (sizeParam !== undefined && size === undefined) {
    throw new TypeError(
      `${fn}: option "sizeParam" needs option "size" (the value to send)`,
    );
  }
  if (sizeParam === pageParam) {
    throw new RangeError(
      `${fn}: options "pageParam" and "sizeParam" must differ`,
    );
  }
  if (totalPagesPath !== undefined && totalPath !== undefined) {
    throw new TypeError(
      `${fn}: give option "totalPagesPath" or "totalPath", not both`,
    );
  }
  const sizeParams: Record<string, string> =
    sizeParam !== undefined && size !== undefined
      ? { [sizeParam]: String(size) }
      : {};

  const request = (page: PageResponse, index: number, n: number) =>
    withParams(page, index, { [pageParam]: String(n), ...sizeParams });

  return Object.freeze({
    type: "page_number",
    first: (ctx: PaginateContext): PageRequest => {
      ctxLimit(fn, ctx);
      return {
        index: 0,
        params: { [pageParam]: String(start), ...sizeParams },
      };
    },
    next: (page: PageResponse, ctx: PaginateContext): Next => {
      const wanted = ctxLimit(fn, ctx);
      const current = intParam(page, pageParam, start);
      const got = page.records.length;
      // The first page's length under-estimates an unknown page size at worst,
      // which plans extra (empty) pages, never too few.
      const perPage = size ?? got;
      let last = wanted === undefined || perPage === 0
        ? Infinity
        : start + Math.ceil(wanted / perPage) - 1;
      if (totalPagesPath !== undefined || totalPath !== undefined) {
        let pages: number;
        if (totalPagesPath !== undefined) {
          pages = readCount(page, totalPagesPath, "total pages");
        } else {
          const path = totalPath as string;
          const total = readCount(page, path, "total");
          const before = (current - start) * perPage;
          if (size !== undefined && got < size && before + got < total) {
            throw new PaginationError(
              `page holds ${got} records, fewer than size=${size}, but "${path}" says ${total}: the source caps its page size; lower "size" to ${got}`,
              at(page),
            );
          }
          pages = perPage === 0 ? 0 : Math.ceil(total / perPage);
        }
        last = Math.min(last, start + pages - 1);
        if (got === 0 || current >= last) return DONE;
        return {
          type: "fanout",
          requests: lazy(function* () {
            let index = page.request.index;
            for (let n = current + 1; n <= last; n++) {
              yield request(page, ++index, n);
            }
          }),
        };
      }
      const isLast = (p: PageResponse) =>
        p.records.length === 0 ||
        (size !== undefined && p.records.length < size);
      if (isLast(page) || current >= last) return DONE;
      return {
        type: "window",
        requests: lazy(function* () {
          let index = page.request.index;
          for (let n = current + 1; n <= last; n++) {
            yield request(page, ++index, n);
          }
        }),
        isLast,
      };
    },
  });
}

/** Options of {@linkcode cursorPaginator}. */
export interface CursorPaginatorOptions {
  /** Query parameter the cursor is sent in (`"cursor"`, `"starting_after"`). */
  cursorParam: string;
  /**
   * Dot path to the next cursor in the body (`"next_cursor"`, `"meta.next"`);
   * required when `cursorFrom` is `"body"`. `null`, `""` or missing ends the
   * stream.
   */
  cursorPath?: string;
  /**
   * Dot path to a boolean saying whether more pages follow (`"has_more"`).
   * Given, `false` ends the stream and `true` requires a non-empty page and
   * a cursor.
   */
  hasMorePath?: string;
  /**
   * Where the next cursor comes from: the body (at `cursorPath`) or the last
   * record's `recordField` (Stripe's `starting_after`). @default {"body"}
   */
  cursorFrom?: "body" | "lastRecord";
  /** The record field (a dot path) holding the cursor when `cursorFrom` is `"lastRecord"`. @default {"id"} */
  recordField?: string;
  /** Query parameter carrying the page size; requires `limit`. */
  limitParam?: string;
  /**
   * Records per page, sent as `limitParam`. With `cursorFrom: "lastRecord"`
   * and no `hasMorePath`, a page shorter than this ends the stream.
   */
  limit?: number;
}

/**
 * Cursor paging, always sequential (`next`). Two forms: the body holds the
 * next cursor (`cursorPath`), or, Stripe style, `hasMorePath` says whether
 * more follow and the cursor is the last record's `recordField`.
 *
 * Loop guards ({@linkcode PaginationError}): a cursor equal to the one the
 * page was requested with (`cursor repeats: ...`), and an empty page whose
 * `hasMorePath` is true. A longer cycle (A, B, A) is not caught: that would
 * need memory, and the paginator is shared.
 * `ctx.limit` is left to the engine, which counts the chain's records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cursorPaginator } from "./paginators.ts";
 * const p = cursorPaginator({
 *   cursorParam: "starting_after",
 *   cursorFrom: "lastRecord",
 *   hasMorePath: "has_more",
 *   limitParam: "limit",
 *   limit: 100,
 * });
 * const first = p.first({});
 * const next = p.next({
 *   request: first,
 *   url: "http://127.0.0.1/v1/charges?limit=100",
 *   status: 200,
 *   headers: new Headers(),
 *   body: { has_more: true },
 *   records: [{ id: "ch_1" }, { id: "ch_2" }],
 * }, {});
 * assert.deepEqual(next, {
 *   type: "next",
 *   request: { index: 1, params: { limit: "100", starting_after: "ch_2" } },
 * });
 * ```
 */
export function cursorPaginator(options: CursorPaginatorOptions): Paginator {
  const fn = "cursorPaginator";
  const o = checkKeys(fn, options, [
    "cursorParam",
    "cursorPath",
    "hasMorePath",
    "cursorFrom",
    "recordField",
    "limitParam",
    "limit",
  ]);
  const cursorParam = stringOption(fn, "cursorParam", o.cursorParam);
  if (cursorParam === undefined) {
    throw new TypeError(`${fn}: option "cursorParam" is required`);
  }
  const cursorPath = pathOption(fn, "cursorPath", o.cursorPath);
  const hasMorePath = pathOption(fn, "hasMorePath", o.hasMorePath);
  const cursorFrom =
    enumOption(fn, "cursorFrom", o.cursorFrom, ["body", "lastRecord"]) ??
      "body";
  const recordField = pathOption(fn, "recordField", o.recordField) ?? "id";
  const limitParam = stringOption(fn, "limitParam", o.limitParam);
  const limit = intOption(fn, "limit", o.limit, 1);
  if (cursorFrom === "body" && cursorPath === undefined) {
    throw new TypeError(
      `${fn}: option "cursorPath" is required when cursorFrom is "body"`,
    );
  }
  if (cursorFrom === "lastRecord" && cursorPath !== undefined) {
    throw new TypeError(
      `${fn}: option "cursorPath" is not read when cursorFrom is "lastRecord" (the cursor is the last record's "${recordField}")`,
    );
  }
  if ((limitParam === undefined) !== (limit === undefined)) {
    throw new TypeError(`${fn}: options "limitParam" and "limit" go together`);
  }
  if (limitParam === cursorParam) {
    throw new RangeError(
      `${fn}: options "limitParam" and "cursorParam" must differ`,
    );
  }
  const limitParams: Record<string, string> =
    limitParam !== undefined && limit !== undefined
      ? { [limitParam]: String(limit) }
      : {};
  const source = cursorFrom === "body"
    ? `"${cursorPath}"`
    : `the last record's "${recordField}"`;

  return Object.freeze({
    type: "cursor",
    first: (ctx: PaginateContext): PageRequest => {
      ctxLimit(fn, ctx);
      return { index: 0, params: { ...limitParams } };
    },
    next: (page: PageResponse, ctx: PaginateContext): Next => {
      ctxLimit(fn, ctx);
      const got = page.records.length;
      if (hasMorePath !== undefined) {
        const more = getPath(page.body, hasMorePath);
        if (typeof more !== "boolean") {
          throw new PaginationError(
            `"${hasMorePath}" is missing or not a boolean (found ${
              show(more)
            })`,
            at(page),
          );
        }
        if (!more) return DONE;
        if (got === 0) {
          throw new PaginationError(
            `empty page with ${hasMorePath}=true`,
            at(page),
          );
        }
      }
      let raw: unknown;
      if (cursorFrom === "body") {
        raw = getPath(page.body, cursorPath as string);
      } else {
        const last = page.records[got - 1];
        if (last === undefined) return DONE;
        if (hasMorePath === undefined && limit !== undefined && got < limit) {
          return DONE;
        }
        raw = getPath(last, recordField);
      }
      if (raw === undefined || raw === null || raw === "") {
        if (cursorFrom === "lastRecord") {
          throw new PaginationError(
            `the last record has no "${recordField}" to continue from (found ${
              show(raw)
            })`,
            at(page),
          );
        }
        if (hasMorePath !== undefined) {
          throw new PaginationError(
            `${hasMorePath}=true but no cursor at ${source} (found ${
              show(raw)
            })`,
            at(page),
          );
        }
        return DONE;
      }
      if (typeof raw !== "string" && typeof raw !== "number") {
        throw new PaginationError(
          `cursor at ${source} must be a string or a number (found ${
            show(raw)
          })`,
          at(page),
        );
      }
      const cursor = String(raw);
      if (cursor === page.request.params?.[cursorParam]) {
        throw new PaginationError(
          `cursor repeats: ${cursorParam}=${cursor} came back from the page it was sent to`,
          at(page),
        );
      }
      return {
        type: "next",
        request: withParams(page, page.request.index + 1, {
          [cursorParam]: cursor,
        }),
      };
    },
  });
}

// Shared by the next-URL and Link paginators: the source owns the URL.
function nextByUrl(page: PageResponse, raw: string, from: string): Next {
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

/** Options of {@linkcode nextUrlPaginator}. */
export interface NextUrlPaginatorOptions {
  /** Dot path to the next page's URL in the body. @default {"next"} */
  path?: string;
}

/**
 * Next-URL paging: the body holds the next page's URL (absolute, or relative
 * to the page's URL); `null`, `""` or missing ends the stream. Sequential.
 * A URL pointing back to the page itself is a {@linkcode PaginationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextUrlPaginator } from "./paginators.ts";
 * const p = nextUrlPaginator({ path: "links.next" });
 * const next = p.next({
 *   request: p.first({}),
 *   url: "http://127.0.0.1/api/items",
 *   status: 200,
 *   headers: new Headers(),
 *   body: { links: { next: "/api/items?page=2" } },
 *   records: [{ id: 1 }],
 * }, {});
 * assert.deepEqual(next, {
 *   type: "next",
 *   request: { index: 1, url: "http://127.0.0.1/api/items?page=2" },
 * });
 * ```
 */
export function nextUrlPaginator(
  options: NextUrlPaginatorOptions = {},
): Paginator {
  const fn = "nextUrlPaginator";
  const o = checkKeys(fn, options, ["path"]);
  const path = pathOption(fn, "path", o.path) ?? "next";
  return Object.freeze({
    type: "next_url",
    first: (): PageRequest => ({ index: 0 }),
    next: (page: PageResponse): Next => {
      const raw = getPath(page.body, path);
      if (raw === undefined || raw === null || raw === "") return DONE;
      if (typeof raw !== "string") {
        throw new PaginationError(
          `next URL at "${path}" must be a string (found ${show(raw)})`,
          at(page),
        );
      }
      return nextByUrl(page, raw, `"${path}"`);
    },
  });
}

/** Options of {@linkcode linkHeaderPaginator}. */
export interface LinkHeaderPaginatorOptions {
  /** The link relation of the next page. @default {"next"} */
  rel?: string;
}

/**
 * `Link` header paging (RFC 8288), as GitHub does it: the next page is the
 * link whose `rel` includes `rel`, resolved against the page's URL; no such
 * link ends the stream. Sequential. A link pointing back to the page itself
 * is a {@linkcode PaginationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linkHeaderPaginator } from "./paginators.ts";
 * const p = linkHeaderPaginator();
 * const next = p.next({
 *   request: p.first({}),
 *   url: "https://api.github.com/repositories/1/issues",
 *   status: 200,
 *   headers: new Headers({
 *     link: '<https://api.github.com/repositories/1/issues?page=2>; rel="next", ' +
 *       '<https://api.github.com/repositories/1/issues?page=5>; rel="last"',
 *   }),
 *   body: [],
 *   records: [{ id: 1 }],
 * }, {});
 * assert.deepEqual(next, {
 *   type: "next",
 *   request: { index: 1, url: "https://api.github.com/repositories/1/issues?page=2" },
 * });
 * ```
 */
export function linkHeaderPaginator(
  options: LinkHeaderPaginatorOptions = {},
): Paginator {
  const fn = "linkHeaderPaginator";
  const o = checkKeys(fn, options, ["rel"]);
  const rel = stringOption(fn, "rel", o.rel) ?? "next";
  if (/[\s"]/.test(rel)) {
    throw new RangeError(
      `${fn}: option "rel" must be one relation type, got ${show(rel)}`,
    );
  }
  return Object.freeze({
    type: "link_header",
    first: (): PageRequest => ({ index: 0 }),
    next: (page: PageResponse): Next => {
      const header = page.headers.get("link");
      const target = header === null ? undefined : findLink(header, rel);
      if (target === undefined) return DONE;
      return nextByUrl(page, target, `the Link header's rel="${rel}"`);
    },
  });
}

/** Options of {@linkcode idRangePaginator}. */
export interface IdRangePaginatorOptions {
  /** Path (relative to the base URL) answering the highest id as a bare JSON number. */
  maxIdPath: string;
  /**
   * Path of one item. `{id}` in it is replaced by the id (`"/item/{id}.json"`);
   * without `{id}`, the id is sent as the query parameter `idParam`.
   */
  itemPath: string;
  /** Query parameter carrying the id when `itemPath` has no `{id}`. @default {"id"} */
  idParam?: string;
  /** How many ids to pull when the run sets no limit. @default {10000} */
  count?: number;
  /**
   * Order of a fresh run's requests: newest first (`max, max-1, ...`) or
   * the same ids oldest first. A resumed run always goes oldest first.
   * @default {"desc"}
   */
  order?: "desc" | "asc";
}

/**
 * Id-range paging, as the Hacker News API works: a seed request
 * (`{ index: 0, seed: true, path: maxIdPath }`) answers the highest id, then
 * a `fanout` of one request per id (indices `1..n`).
 *
 * A fresh run takes the newest `ctx.limit ?? count` ids (`max` down to `1`
 * at the lowest). A resumed run (`ctx.start`: the last id already pulled)
 * takes the ids after it, `start+1` up to `max`, capped by the same number
 * and OLDEST first, whatever `order` says: a capped resumed run then ends on
 * a contiguous range `start+1..k`, so the next resume from `k` leaves no gap.
 *
 * A max id that is not a non-negative integer is a {@linkcode PaginationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { idRangePaginator } from "./paginators.ts";
 * const p = idRangePaginator({ maxIdPath: "/v0/maxitem.json", itemPath: "/v0/item/{id}.json" });
 * const seed = p.first({ limit: 3 });
 * assert.deepEqual(seed, { index: 0, seed: true, path: "/v0/maxitem.json" });
 * const page = {
 *   request: seed,
 *   url: "https://hacker-news.firebaseio.com/v0/maxitem.json",
 *   status: 200,
 *   headers: new Headers(),
 *   body: 1000,
 *   records: [],
 * };
 * const next = p.next(page, { limit: 3 });
 * assert.equal(next.type, "fanout");
 * if (next.type === "fanout") {
 *   assert.deepEqual([...next.requests].map((r) => r.path), [
 *     "/v0/item/1000.json",
 *     "/v0/item/999.json",
 *     "/v0/item/998.json",
 *   ]);
 * }
 * const resumed = p.next(page, { limit: 2, start: 990 });
 * if (resumed.type === "fanout") {
 *   assert.deepEqual([...resumed.requests].map((r) => r.path), [
 *     "/v0/item/991.json",
 *     "/v0/item/992.json",
 *   ]);
 * }
 * ```
 */
export function idRangePaginator(options: IdRangePaginatorOptions): Paginator {
  const fn = "idRangePaginator";
  const o = checkKeys(fn, options, [
    "maxIdPath",
    "itemPath",
    "idParam",
    "count",
    "order",
  ]);
  const maxIdPath = stringOption(fn, "maxIdPath", o.maxIdPath);
  if (maxIdPath === undefined) {
    throw new TypeError(`${fn}: option "maxIdPath" is required`);
  }
  const itemPath = stringOption(fn, "itemPath", o.itemPath);
  if (itemPath === undefined) {
    throw new TypeError(`${fn}: option "itemPath" is required`);
  }
  const idParam = stringOption(fn, "idParam", o.idParam) ?? "id";
  const count = intOption(fn, "count", o.count, 1) ?? 10_000;
  const order = enumOption(fn, "order", o.order, ["desc", "asc"]) ?? "desc";
  const inPath = itemPath.includes("{id}");

  const item = (index: number, id: number): PageRequest =>
    inPath
      ? { index, path: itemPath.replaceAll("{id}", String(id)) }
      : { index, path: itemPath, params: { [idParam]: String(id) } };

  return Object.freeze({
    type: "id_range",
    first: (ctx: PaginateContext): PageRequest => {
      ctxLimit(fn, ctx);
      ctxStart(fn, ctx);
      return { index: 0, seed: true, path: maxIdPath };
    },
    next: (page: PageResponse, ctx: PaginateContext): Next => {
      // Item pages belong to the fan-out, which is complete once planned.
      if (page.request.seed !== true) return DONE;
      const max = page.body;
      if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 0) {
        throw new PaginationError(
          `max id from "${maxIdPath}" must be a non-negative integer (found ${
            show(max)
          })`,
          at(page),
        );
      }
      const n = ctxLimit(fn, ctx) ?? count;
      const after = ctxStart(fn, ctx);
      let lo: number, hi: number, step: 1 | -1;
      if (after !== undefined) {
        [lo, hi, step] = [after + 1, Math.min(max, after + n), 1];
      } else {
        [lo, hi, step] = [
          Math.max(1, max - n + 1),
          max,
          order === "desc" ? -1 : 1,
        ];
      }
      if (lo > hi) return DONE;
      const base = page.request.index;
      return {
        type: "fanout",
        requests: lazy(function* () {
          for (let k = 0; k <= hi - lo; k++) {
            yield item(base + 1 + k, step === 1 ? lo + k : hi - k);
          }
        }),
      };
    },
  });
}

/**
 * One request, no paging: an endpoint that answers everything at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { singlePaginator } from "./paginators.ts";
 * const p = singlePaginator();
 * assert.deepEqual(p.first({}), { index: 0 });
 * assert.deepEqual(
 *   p.next({
 *     request: { index: 0 },
 *     url: "http://127.0.0.1/all",
 *     status: 200,
 *     headers: new Headers(),
 *     body: [],
 *     records: [],
 *   }, {}),
 *   { type: "done" },
 * );
 * ```
 */
export function singlePaginator(): Paginator {
  return SINGLE;
}
