/**
 * The paging contract: page requests and responses, what comes after a page,
 * and the {@linkcode Paginator} that decides it.
 *
 * A paginator is pure: it turns the last response into the next request(s)
 * and never does I/O. The engine drives it, which is what lets the engine
 * fetch addressable pages concurrently while cursor chains stay sequential.
 *
 * @module
 */

import type { Row } from "./row.ts";

/**
 * One request the engine should make for a stream.
 *
 * @example
 * ```ts
 * import type { PageRequest } from "./paginator.ts";
 * const req: PageRequest = { index: 0, params: { offset: "0", limit: "50" } };
 * ```
 */
export interface PageRequest {
  /** 0-based position of this page in its chain (or fan-out), used in messages and checkpoints. */
  index: number;
  /**
   * An absolute URL handed to us by the source (a next URL, a `Link` header).
   * When set, `path` and `params` are ignored: the source owns the URL.
   */
  url?: string;
  /** Path relative to the connector's base URL; defaults to the stream's `path`. */
  path?: string;
  /** Query parameters, merged over the stream's own `params`. */
  params?: Record<string, string>;
  /**
   * Values set at dot paths into the stream's JSON `body`
   * (`{ "variables.after": "Y3Vy" }`), over what the stream declares: a
   * paginator's cursor or page size for a POST stream (GraphQL, search APIs).
   * Only a stream whose `method` is `"POST"` sends a body.
   */
  bodyParams?: Record<string, string | number>;
  /** True when the response carries paging metadata only (e.g. Hacker News' max id), no records. */
  seed?: boolean;
}

/**
 * What the engine hands back to a paginator after a request succeeded.
 *
 * @example
 * ```ts
 * import type { PageResponse } from "./paginator.ts";
 * const res: PageResponse = {
 *   request: { index: 0 },
 *   url: "http://127.0.0.1:8000/items",
 *   status: 200,
 *   headers: new Headers(),
 *   body: { items: [{ id: 1 }] },
 *   records: [{ id: 1 }],
 * };
 * ```
 */
export interface PageResponse {
  /** The request this answers. */
  request: PageRequest;
  /** The final URL that was fetched (query string included). */
  url: string;
  /** HTTP status (always 2xx here: errors never reach a paginator). */
  status: number;
  /**
   * Response headers: the `Link` header paginator reads these, and so does a
   * total read from a header (`X-Total-Count`, `Content-Range`).
   */
  headers: Headers;
  /** The parsed JSON body. */
  body: unknown;
  /** The records found at the stream's `recordsPath`; empty for seed requests. */
  records: Row[];
}

/**
 * What comes after a page, as decided by a paginator.
 *
 * - `done`: nothing more.
 * - `next`: one follow-up request; the chain is sequential (cursor, next URL, Link).
 * - `fanout`: every remaining request is known now (a total was reported, or an
 *   id range); the engine fetches them concurrently. With `isLast`, a page
 *   for which it is true ends the plan early (the total said more than the
 *   source holds; the run reports a warning).
 * - `window`: requests are addressable but their count is unknown; the engine
 *   fetches a bounded window ahead, in order, and stops at the first page for
 *   which `isLast` is true.
 *
 * @example
 * ```ts
 * import type { Next } from "./paginator.ts";
 * const next: Next = { type: "next", request: { index: 1, params: { cursor: "abc" } } };
 * ```
 */
export type Next =
  | { type: "done" }
  | { type: "next"; request: PageRequest }
  | {
    type: "fanout";
    requests: Iterable<PageRequest>;
    isLast?(page: PageResponse): boolean;
  }
  | {
    type: "window";
    requests: Iterable<PageRequest>;
    isLast(page: PageResponse): boolean;
  };

/**
 * What a paginator may know about the run when it plans requests.
 *
 * @example
 * ```ts
 * import type { PaginateContext } from "./paginator.ts";
 * const ctx: PaginateContext = { limit: 100 };
 * ```
 */
export interface PaginateContext {
  /** The run's record limit for this stream (`--limit`), if any. */
  limit?: number;
  /**
   * A lower bound to resume from (an incremental bookmark), when the
   * paginator itself owns the range (as the id range paginator does).
   */
  start?: number;
}

/**
 * A pure object that turns the last response into the next request(s).
 * It never does I/O; the engine drives it.
 *
 * @example
 * ```ts
 * import type { Paginator } from "./paginator.ts";
 * const single: Paginator = {
 *   type: "single",
 *   first: () => ({ index: 0 }),
 *   next: () => ({ type: "done" }),
 * };
 * ```
 */
export interface Paginator {
  /** A short name used in messages, e.g. `"offset"`. */
  readonly type: string;
  /** The first request of the stream (or of a partition). */
  first(ctx: PaginateContext): PageRequest;
  /**
   * The follow-up after `page`. Called for the first page, for every page of a
   * `next` chain, and never for pages of a `fanout` or `window` (those plans
   * are complete).
   */
  next(page: PageResponse, ctx: PaginateContext): Next;
}
