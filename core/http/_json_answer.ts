/**
 * A 2xx answer with its parsed body, as the client hands it over.
 *
 * @module
 */

import type { HttpResponse } from "./http_request.ts";

/**
 * {@linkcode HttpResponse} as a class, not an object literal: V8 may start
 * allocating a literal's objects in the old generation once a stall lets
 * most of them outlive a young-generation GC, and a dead old answer would
 * keep its parsed body alive until the next full GC (see
 * `core/paging/_fetched_page.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JsonAnswer } from "./_json_answer.ts";
 * const a = new JsonAnswer("http://x/", 200, new Headers(), { items: [] }, 12);
 * a.attempts = 2;
 * assert.deepEqual({ ...a }.attempts, 2);
 * ```
 */
export class JsonAnswer implements HttpResponse {
  url: string;
  status: number;
  headers: Headers;
  body: unknown;
  bytes: number;
  /** Set once the answer is final. @default {1} */
  attempts = 1;

  /** The fields of {@linkcode HttpResponse} but `attempts`. */
  constructor(
    url: string,
    status: number,
    headers: Headers,
    body: unknown,
    bytes: number,
  ) {
    this.url = url;
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.bytes = bytes;
  }
}
