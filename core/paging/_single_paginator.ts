/**
 * The no-paging paginator: {@linkcode singlePaginator}.
 *
 * @module
 */

import { DONE } from "./_paginator_helpers.ts";
import type { Next, PageRequest, Paginator } from "../connector/types.ts";

const SINGLE: Paginator = Object.freeze({
  type: "single",
  first: (): PageRequest => ({ index: 0 }),
  next: (): Next => DONE,
});

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
