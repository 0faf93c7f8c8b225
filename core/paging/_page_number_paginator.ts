/**
 * The page-number paginator: {@linkcode pageNumberPaginator}.
 *
 * @module
 */

import {
  at,
  DONE,
  intParam,
  readCount,
  withParams,
} from "./_paginator_helpers.ts";
import {
  checkKeys,
  ctxLimit,
  intOption,
  lazy,
  pathOption,
  stringOption,
} from "./_paginator_options.ts";
import {
  readTotal,
  totalHeaderOption,
  totalName,
  type TotalSource,
} from "./_total.ts";
import { PaginationError } from "../connector/errors.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  PaginateContext,
  Paginator,
} from "../connector/types.ts";

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
  /**
   * Response header holding the number of records instead (`"X-Total-Count"`,
   * or a `"Content-Range"` such as `0-24/3573`); then pages fan out.
   */
  totalHeader?: string;
}

/** The options checked once, when the stream is defined, so a mistake fails before any request. */
function pageNumberConfig(fn: string, options: PageNumberPaginatorOptions) {
  const o = checkKeys(fn, options, [
    "pageParam",
    "sizeParam",
    "size",
    "start",
    "totalPagesPath",
    "totalPath",
    "totalHeader",
  ]);
  const pageParam = stringOption(fn, "pageParam", o.pageParam) ?? "page";
  const sizeParam = stringOption(fn, "sizeParam", o.sizeParam);
  const size = intOption(fn, "size", o.size, 1);
  const start = intOption(fn, "start", o.start, 0) ?? 1;
  const totalPagesPath = pathOption(fn, "totalPagesPath", o.totalPagesPath);
  const totalPath = pathOption(fn, "totalPath", o.totalPath);
  const totalHeader = totalHeaderOption(fn, o.totalHeader, totalPath);
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
  if (
    totalPagesPath !== undefined &&
    (totalPath !== undefined || totalHeader !== undefined)
  ) {
    throw new TypeError(
      `${fn}: give option "totalPagesPath" or "${
        totalPath !== undefined ? "totalPath" : "totalHeader"
      }", not both`,
    );
  }
  const sizeParams: Record<string, string> =
    sizeParam !== undefined && size !== undefined
      ? { [sizeParam]: String(size) }
      : {};
  const totals = { totalPath, totalHeader };
  const counted = totalPagesPath !== undefined || totalPath !== undefined ||
    totalHeader !== undefined;
  return {
    pageParam,
    size,
    start,
    totalPagesPath,
    totals,
    counted,
    sizeParams,
  };
}

/**
 * The number of pages a total record count makes; a short page while the
 * total says more follow means the source caps its page size.
 */
function pagesOfTotal(
  page: PageResponse,
  totals: TotalSource,
  where: {
    start: number;
    size: number | undefined;
    current: number;
    perPage: number;
  },
): number {
  const { start, size, current, perPage } = where;
  const got = page.records.length;
  const total = readTotal(page, totals) as number;
  const before = (current - start) * perPage;
  if (size !== undefined && got < size && before + got < total) {
    throw new PaginationError(
      `page holds ${got} records, fewer than size=${size}, but ${
        totalName(totals)
      } says ${total}: the source caps its page size; lower "size" to ${got}`,
      at(page),
    );
  }
  return perPage === 0 ? 0 : Math.ceil(total / perPage);
}

/**
 * Page-number paging (`?page=3&per_page=100`).
 *
 * After the first page: with `totalPagesPath`, `totalPath` or `totalHeader`, a `fanout` of
 * every remaining page, cut short by an empty page (or short page, when
 * `size` is known) with a warning, whatever the total said; otherwise a lazy `window` of pages that ends at the
 * first empty page (or short page, when `size` is known). An empty first
 * page ends the stream; without a total, a short one (with `size` known) is
 * followed by the next page number, one page after the other, until an
 * empty page, in case the source caps its page size below `size`.
 * `ctx.limit` caps the plan at the pages needed for that many records.
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
  const {
    pageParam,
    size,
    start,
    totalPagesPath,
    totals,
    counted,
    sizeParams,
  } = pageNumberConfig(fn, options);

  // Lazy: a plan cut short by an empty or short page builds no request past it.
  const following = (page: PageResponse, current: number, last: number) =>
    lazy(function* () {
      let index = page.request.index;
      for (let n = current + 1; n <= last; n++) {
        yield withParams(page, ++index, {
          [pageParam]: String(n),
          ...sizeParams,
        });
      }
    });

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
      const isLast = (p: PageResponse) =>
        p.records.length === 0 ||
        (size !== undefined && p.records.length < size);
      // The first page's length under-estimates an unknown page size at worst,
      // which plans extra (empty) pages, never too few.
      const perPage = size ?? got;
      let last = wanted === undefined || perPage === 0
        ? Infinity
        : start + Math.ceil(wanted / perPage) - 1;
      if (counted) {
        const pages = totalPagesPath !== undefined
          ? readCount(page, totalPagesPath, "total pages")
          : pagesOfTotal(page, totals, { start, size, current, perPage });
        last = Math.min(last, start + pages - 1);
        if (got === 0 || current >= last) return DONE;
        return {
          type: "fanout",
          requests: following(page, current, last),
          // Whatever the total said, nothing follows an empty or short page.
          isLast,
        };
      }
      if (got === 0) return DONE;
      // A short page is the end or a source that caps its page size below
      // `size` (its pages then hold fewer records each, numbered the same):
      // only an empty page tells them apart. The record limit is left to the
      // engine, as the source's page size is not known.
      if (size !== undefined && got < size) {
        const [request] = following(page, current, current + 1);
        return { type: "next", request: request! };
      }
      if (current >= last) return DONE;
      return {
        type: "window",
        requests: following(page, current, last),
        isLast,
      };
    },
  });
}
