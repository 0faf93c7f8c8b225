/**
 * The page objects the page loop makes, as class instances.
 *
 * They are classes and not object literals because of V8. V8 keeps
 * allocation-site feedback for object literals. If most of one literal's
 * objects outlive a young-generation GC, V8 allocates that literal's objects
 * in the old generation from then on. A stall is enough for that: pages
 * waiting while the encoder worker starts, say. A dead old object still
 * holds what it points at until the next full GC. So every later page's
 * parsed JSON was promoted too.
 *
 * In about half of the bench's 1,000,000-record pulls, 95 % of all parsed
 * JSON was promoted this way, and the pull's thread spent 2.3× as long in
 * GC. Objects made by `new` carry no such feedback.
 *
 * @module
 */

import type { PageRequest, PageResponse, Row } from "../connector/types.ts";
import type { Page, PagePosition } from "./page.ts";

/**
 * A fetched page, as the paginator sees it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FetchedPage } from "./_fetched_page.ts";
 * const p = new FetchedPage({ index: 0, params: {} }, "http://x/", 200, new Headers(), {}, [{ id: 1 }]);
 * assert.deepEqual({ ...p }.records, [{ id: 1 }]);
 * ```
 */
export class FetchedPage implements PageResponse {
  request: PageRequest;
  url: string;
  status: number;
  headers: Headers;
  body: unknown;
  records: Row[];

  /** The fields of {@linkcode PageResponse}, in its order. */
  constructor(
    request: PageRequest,
    url: string,
    status: number,
    headers: Headers,
    body: unknown,
    records: Row[],
  ) {
    this.request = request;
    this.url = url;
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.records = records;
  }
}

/**
 * A page as the page loop yields it: `page` with the records it lands and
 * its position.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FetchedPage, LandingPage } from "./_fetched_page.ts";
 * const fetched = new FetchedPage({ index: 3, params: {} }, "http://x/", 200, new Headers(), {}, [{ id: 1 }, { id: 2 }]);
 * const p = new LandingPage(fetched, [{ id: 2 }], { page: 3 });
 * assert.deepEqual([p.url, p.records, p.position], ["http://x/", [{ id: 2 }], { page: 3 }]);
 * ```
 */
export class LandingPage extends FetchedPage implements Page {
  position: PagePosition;

  /** `page` with `records` in place of its own, at `position`. */
  constructor(page: PageResponse, records: Row[], position: PagePosition) {
    super(
      page.request,
      page.url,
      page.status,
      page.headers,
      page.body,
      records,
    );
    this.position = position;
  }
}
