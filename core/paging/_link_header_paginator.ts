/**
 * The Link-header paginator: {@linkcode linkHeaderPaginator}.
 *
 * @module
 */

import { findLink } from "./_link_header.ts";
import { DONE, nextByUrl } from "./_paginator_helpers.ts";
import { checkKeys, show, stringOption } from "./_paginator_options.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  Paginator,
} from "../connector/types.ts";

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
