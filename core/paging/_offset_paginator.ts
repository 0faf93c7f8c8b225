/**
 * The offset/limit paginator: {@linkcode offsetPaginator}.
 *
 * @module
 */

import { at, DONE, intParam, withParams } from "./_paginator_helpers.ts";
import {
  checkKeys,
  ctxLimit,
  intOption,
  lazy,
  pathOption,
  required,
  stringOption,
} from "./_paginator_options.ts";
import { readTotal, totalHeaderOption, totalName } from "./_total.ts";
import { PaginationError } from "../connector/errors.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  PaginateContext,
  Paginator,
} from "../connector/types.ts";

/** Options of {@linkcode offsetPaginator}. */
export interface OffsetPaginatorOptions {
  /**
   * Records per page, sent as `limitParam`. Keep it at most the most the
   * source serves per page: with a total, a source that silently serves
   * fewer fails the stream; without one, its pages are fetched one after
   * the other (whole, with a warning) instead of concurrently.
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
  /**
   * Response header holding the total instead: a bare count
   * (`"X-Total-Count"`, json-server) or a `Content-Range` whose total
   * follows the slash (`"Content-Range"`, PostgREST's `0-24/3573`). Planned
   * as with `totalPath`; give one of the two.
   */
  totalHeader?: string;
  /** Offset of the first record. @default {0} */
  start?: number;
}

/** The options checked once, when the stream is defined, so a mistake fails before any request. */
function offsetConfig(fn: string, options: OffsetPaginatorOptions) {
  const o = checkKeys(fn, options, [
    "limit",
    "limitParam",
    "offsetParam",
    "totalPath",
    "totalHeader",
    "start",
  ]);
  const limit = required(fn, "limit", intOption(fn, "limit", o.limit, 1));
  const limitParam = stringOption(fn, "limitParam", o.limitParam) ?? "limit";
  const offsetParam = stringOption(fn, "offsetParam", o.offsetParam) ??
    "offset";
  if (limitParam === offsetParam) {
    throw new RangeError(
      `${fn}: options "limitParam" and "offsetParam" must differ`,
    );
  }
  const totalPath = pathOption(fn, "totalPath", o.totalPath);
  const totalHeader = totalHeaderOption(fn, o.totalHeader, totalPath);
  const start = intOption(fn, "start", o.start, 0) ?? 0;
  return {
    limit,
    limitParam,
    offsetParam,
    totals: { totalPath, totalHeader },
    start,
  };
}

/**
 * Offset/limit paging (`?offset=100&limit=50`).
 *
 * After the first page: with a total (`totalPath` or `totalHeader`), a `fanout` of every remaining
 * offset below the total, cut short by a page shorter than `limit` (a total
 * that says more than the source holds ends there, with a warning); without
 * it, a lazy `window` of offsets whose end is the first page shorter than
 * `limit`. Without a total, a short page reached one page after the other
 * (the first) is followed by a request from the offset after its records,
 * until an empty page: a source that caps its page size below `limit` is
 * then walked whole, one page after the other, instead of ending early.
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
  const { limit, limitParam, offsetParam, totals, start } = offsetConfig(
    fn,
    options,
  );

  // Lazy: a plan cut short by a short page builds no request past it.
  const following = (page: PageResponse, offset: number, stop: number) =>
    lazy(function* () {
      let index = page.request.index;
      for (let o = offset + limit; o < stop; o += limit) {
        yield withParams(page, ++index, {
          [offsetParam]: String(o),
          [limitParam]: String(limit),
        });
      }
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
      const total = readTotal(page, totals);
      if (total !== undefined) {
        if (got < limit && offset + got < total) {
          throw new PaginationError(
            `page holds ${got} records, fewer than ${limitParam}=${limit}, but ${
              totalName(totals)
            } says ${total}: the source caps its page size; lower "limit" to ${got}`,
            at(page),
          );
        }
        const stop = Math.min(total, end);
        if (offset + limit >= stop) return DONE;
        return {
          type: "fanout",
          requests: following(page, offset, stop),
          // Whatever the total said, nothing follows a short page.
          isLast: (p) => p.records.length < limit,
        };
      }
      if (got === 0 || offset + got >= end) return DONE;
      if (got < limit) {
        // A short page is the end or a source that caps its page size below
        // `limit`; only an empty page tells them apart, so the next request
        // starts right after the records that came.
        return {
          type: "next",
          request: withParams(page, page.request.index + 1, {
            [offsetParam]: String(offset + got),
            [limitParam]: String(limit),
          }),
        };
      }
      if (offset + limit >= end) return DONE;
      return {
        type: "window",
        requests: following(page, offset, end),
        isLast: (p) => p.records.length < limit,
      };
    },
  });
}
