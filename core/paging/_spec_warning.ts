/**
 * Pages that say a stream's spec looks wrong although every request
 * succeeded: a next-link paginator that found no link after a full first
 * page, a window of pages that ended on an empty page with no total. Each
 * is a warning of the run, or with `strict` an error.
 *
 * @module
 */

import { PaginationError } from "../connector/errors.ts";
import type { PageResponse, Paginator } from "../connector/types.ts";
import type { StreamSource } from "./stream_source.ts";

/** Query parameters that declare a page size, by the names APIs use. */
const PAGE_SIZE_PARAMS = [
  "limit",
  "_limit",
  "per_page",
  "perpage",
  "page_size",
  "pagesize",
  "size",
  "page[size]",
  "count",
  "max",
  "maxresults",
  "max_results",
  "top",
  "$top",
  "first",
  "rows",
  "pagelen",
];

/** Page sizes APIs default to: a first page of one of these is likely cut. */
const COMMON_PAGE_SIZES = new Set([
  20,
  25,
  30,
  50,
  100,
  200,
  250,
  500,
  1000,
  2000,
  2500,
  5000,
  10000,
]);

const warned = new WeakMap<object, Set<string>>();

/**
 * Report what `page` shows about the spec: a warning of the stream
 * (once per kind), or with `source.strict` a {@linkcode PaginationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { specWarning } from "./_spec_warning.ts";
 * import { newStreamStats } from "./stream_source.ts";
 * const stats = newStreamStats();
 * const page = { request: { index: 0 }, url: "http://127.0.0.1/x", status: 200, headers: new Headers(), body: [], records: [] };
 * specWarning({ id: "c/s", stats }, page, "looks wrong");
 * assert.deepEqual(stats.warnings, ['"c/s": page 1 looks wrong (http://127.0.0.1/x)']);
 * assert.throws(() => specWarning({ id: "c/s", stats, strict: true }, page, "looks wrong"), /Cannot read page 1 of "c\/s": looks wrong \(--strict\)/);
 * ```
 */
export function specWarning(
  source: Pick<StreamSource, "id" | "stats" | "strict">,
  page: PageResponse,
  reason: string,
  kind = reason,
): void {
  const n = page.request.index;
  if (source.strict) {
    throw new PaginationError(`${reason} (--strict)`, {
      stream: source.id,
      page: n,
      url: page.url,
    });
  }
  // A dependent stream has a chain per parent record: one warning says it.
  let kinds = warned.get(source.stats);
  if (!kinds) warned.set(source.stats, kinds = new Set());
  if (kinds.has(kind)) return;
  kinds.add(kind);
  (source.stats.warnings ??= []).push(
    `"${source.id}": page ${n + 1} ${reason} (${page.url})`,
  );
}

/**
 * A `next_url` or `link_header` paginator ended the stream on its first
 * page although that page was full (as large as a declared page size, or
 * without one, a common API page size): the source likely pages by other
 * means, and only its first page landed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkNextLink } from "./_spec_warning.ts";
 * import { newStreamStats } from "./stream_source.ts";
 * import { nextUrlPaginator } from "./paginators.ts";
 * const stats = newStreamStats();
 * const records = Array.from({ length: 1000 }, (_, id) => ({ id }));
 * const page = { request: { index: 0 }, url: "http://127.0.0.1/x", status: 200, headers: new Headers(), body: {}, records };
 * checkNextLink({ id: "c/s", stats }, nextUrlPaginator(), page);
 * assert.match(stats.warnings![0]!, /found no next link after it, though it held 1000 records/);
 * ```
 */
export function checkNextLink(
  source: Pick<StreamSource, "id" | "stats" | "strict">,
  paginator: Paginator,
  page: PageResponse,
): void {
  if (paginator.type !== "next_url" && paginator.type !== "link_header") {
    return;
  }
  if (page.request.index !== 0 || page.request.seed) return;
  const got = page.records.length;
  const declared = declaredPageSize(page.url);
  const full = declared !== undefined
    ? got >= declared.size
    : COMMON_PAGE_SIZES.has(got);
  if (!full) return;
  specWarning(
    source,
    page,
    `is the only one: the ${paginator.type} paginator found no next link after it, though it held ${got} records, ${
      declared
        ? `as many as ${declared.name}=${declared.size} asks`
        : "a full page"
    }; the source likely pages by other means (offset, page number, cursor) and the records after it were not fetched. If the stream really ends there, declare its page size in params (e.g. limit, per_page) larger than ${got}`,
    "no next link",
  );
}

/**
 * A window of pages, planned with no total, ended on an empty page: the
 * data may end there, or the source stopped serving pages early (a depth
 * cap) and records past it were never seen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkWindowEnd } from "./_spec_warning.ts";
 * import { newStreamStats } from "./stream_source.ts";
 * const stats = newStreamStats();
 * const page = { request: { index: 7 }, url: "http://127.0.0.1/x?offset=700", status: 200, headers: new Headers(), body: [], records: [] };
 * checkWindowEnd({ id: "c/s", stats }, { type: "offset" }, page);
 * assert.match(stats.warnings![0]!, /^"c\/s": page 8 was empty/);
 * ```
 */
export function checkWindowEnd(
  source: Pick<StreamSource, "id" | "stats" | "strict">,
  paginator: Pick<Paginator, "type">,
  page: PageResponse,
): void {
  if (page.records.length > 0) return;
  specWarning(
    source,
    page,
    `was empty, which ended the ${paginator.type} paginator's pages with no total to confirm the end: if the source stops serving pages before its data ends, records past it were not fetched; declare a total (totalPath) to know`,
    "empty window end",
  );
}

function declaredPageSize(
  url: string,
): { name: string; size: number } | undefined {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return undefined;
  }
  for (const [name, value] of params) {
    if (!PAGE_SIZE_PARAMS.includes(name.toLowerCase())) continue;
    const size = Number(value);
    if (Number.isSafeInteger(size) && size > 0) return { name, size };
  }
  return undefined;
}
