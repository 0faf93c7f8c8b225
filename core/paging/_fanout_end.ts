/**
 * The end of a fan-out planned from a total: which request was the plan's
 * last, and the warning when a short page ends it before that.
 *
 * @module
 */

import { PaginationError } from "../connector/errors.ts";
import type { PageRequest, PageResponse } from "../connector/types.ts";

/**
 * A plan that looks one request ahead, to know which one is its last.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planned } from "./_fanout_end.ts";
 * const plan = planned([{ index: 1 }, { index: 2 }]);
 * const seen = [];
 * for (const r of plan) seen.push([r.index, plan.endsAt(r.index)]);
 * assert.deepEqual(seen, [[1, false], [2, true]]);
 * ```
 */
export function planned(
  requests: Iterable<PageRequest>,
): Iterable<PageRequest> & { endsAt(index: number): boolean } {
  let last: number | undefined;
  return {
    *[Symbol.iterator]() {
      const it = requests[Symbol.iterator]();
      for (let r = it.next(); !r.done;) {
        const after = it.next();
        if (after.done) last = r.value.index;
        yield r.value;
        r = after;
      }
    },
    endsAt: (index) => index === last,
  };
}

/**
 * Record that a fan-out planned from a total ended on a short or empty page
 * before its last request: the total said more than the source holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warnEndedEarly } from "./_fanout_end.ts";
 * const stats: { warnings?: string[] } = {};
 * warnEndedEarly(stats, "demo/items", {
 *   request: { index: 1 },
 *   url: "http://127.0.0.1/items?offset=50",
 *   status: 200,
 *   headers: new Headers(),
 *   body: {},
 *   records: [],
 * });
 * assert.match(stats.warnings![0]!, /^page 2 of "demo\/items" held no record/);
 * ```
 */
export function warnEndedEarly(
  stats: { warnings?: string[] },
  stream: string,
  page: PageResponse,
): void {
  const n = page.records.length;
  (stats.warnings ??= []).push(
    `page ${page.request.index + 1} of "${stream}" held ${
      n === 0 ? "no record" : `only ${n} records`
    }, so the data ends there although the reported total said more followed: the pages planned after it were not fetched (${page.url})`,
  );
}

/**
 * The error for a short page followed by records: the source gave fewer
 * records than asked before the end (a page size capped below `limit`, rows
 * deleted mid-pull), so offsets would skip records if the run went on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortPageError } from "./_fanout_end.ts";
 * const page = (index: number, n: number) => ({
 *   request: { index },
 *   url: `http://127.0.0.1/items?offset=${index * 100}`,
 *   status: 200,
 *   headers: new Headers(),
 *   body: {},
 *   records: Array.from({ length: n }, () => ({})),
 * });
 * const err = shortPageError("demo/items", page(0, 50), page(1, 50));
 * assert.match(err.message, /page 1 of "demo\/items" held 50 records/);
 * ```
 */
export function shortPageError(
  stream: string,
  short: PageResponse,
  after: PageResponse,
): PaginationError {
  return new PaginationError(
    `page ${
      short.request.index + 1
    } of "${stream}" held ${short.records.length} records, fewer than asked, yet page ${
      after.request.index + 1
    } holds ${after.records.length}: the source caps its page size below the paginator's limit, or rows moved during the pull; records would be skipped (set limit to the source's page size)`,
    { stream, url: short.url },
  );
}

/**
 * Record that a short page was followed by records, one page after the
 * other: the source caps its page size below the paginator's, so the
 * stream is walked sequentially (whole, but slowly).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warnCappedPages } from "./_fanout_end.ts";
 * const page = (index: number, n: number) => ({
 *   request: { index },
 *   url: `http://127.0.0.1/items?offset=${index * 50}`,
 *   status: 200,
 *   headers: new Headers(),
 *   body: {},
 *   records: Array.from({ length: n }, () => ({})),
 * });
 * const stats: { warnings?: string[] } = {};
 * warnCappedPages(stats, "demo/items", page(0, 50), page(1, 50));
 * assert.match(stats.warnings![0]!, /caps its page size at 50/);
 * ```
 */
export function warnCappedPages(
  stats: { warnings?: string[] },
  stream: string,
  short: PageResponse,
  after: PageResponse,
): void {
  const n = short.records.length;
  (stats.warnings ??= []).push(
    `page ${
      short.request.index + 1
    } of "${stream}" held ${n} records, fewer than asked, yet page ${
      after.request.index + 1
    } held ${after.records.length}: the source caps its page size at ${n}, so its pages are fetched one after the other; set the paginator's limit (or size) to ${n} to fetch them concurrently (${short.url})`,
  );
}
