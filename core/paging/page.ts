/**
 * A page as the page loop yields it ({@linkcode Page}) and where its
 * sequence stands ({@linkcode PagePosition}).
 *
 * @module
 */

import type { PageRequest, PageResponse } from "../connector/types.ts";

/**
 * Where a page sequence stands: the last durable page, and for sequential
 * chains the request that comes next. Stored in checkpoints.
 *
 * @example
 * ```ts
 * import type { PagePosition } from "./page.ts";
 * const p: PagePosition = { page: 4, next: { index: 5, params: { cursor: "abc" } } };
 * ```
 */
export interface PagePosition {
  /** Index of the last page whose records are durable (-1: none). */
  page: number;
  /** The next request of a sequential chain; absent for fan-out plans. */
  next?: PageRequest;
  /** The seed page's body (e.g. the max id), so the plan is the same on resume. */
  anchor?: unknown;
  /** Every page is durable: nothing more to fetch. */
  done?: boolean;
}

/**
 * A page as the page loop yields it: the response plus where the sequence
 * stands once this page is durable. Its `records` are the stream's
 * transformed, key-checked records, trimmed to the limit (the paginator saw
 * them as the source sent them).
 *
 * @example
 * ```ts
 * import type { Page } from "./page.ts";
 * const checkpoint = (p: Page) => p.position.page;
 * ```
 */
export interface Page extends PageResponse {
  /** The position to store once this page's records are durable. */
  position: PagePosition;
}
