/**
 * The next-URL paginator: {@linkcode nextUrlPaginator}.
 *
 * @module
 */

import { getPath } from "../connector/json_path.ts";
import { at, DONE, nextByUrl } from "./_paginator_helpers.ts";
import { checkKeys, pathOption, show } from "./_paginator_options.ts";
import { PaginationError } from "../connector/errors.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  Paginator,
} from "../connector/types.ts";

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
