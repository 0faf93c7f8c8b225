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

export { findLink, type LinkValue, parseLinkHeader } from "./_link_header.ts";
export {
  offsetPaginator,
  type OffsetPaginatorOptions,
} from "./_offset_paginator.ts";
export {
  pageNumberPaginator,
  type PageNumberPaginatorOptions,
} from "./_page_number_paginator.ts";
export {
  cursorPaginator,
  type CursorPaginatorOptions,
} from "./_cursor_paginator.ts";
export {
  nextUrlPaginator,
  type NextUrlPaginatorOptions,
} from "./_next_url_paginator.ts";
export {
  linkHeaderPaginator,
  type LinkHeaderPaginatorOptions,
} from "./_link_header_paginator.ts";
export {
  keysetPaginator,
  type KeysetPaginatorOptions,
} from "./_keyset_paginator.ts";
export {
  idRangePaginator,
  type IdRangePaginatorOptions,
} from "./_id_range_paginator.ts";
export { singlePaginator } from "./_single_paginator.ts";
