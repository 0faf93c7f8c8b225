/**
 * The cursor paginator: {@linkcode cursorPaginator}.
 *
 * @module
 */

import { getPath } from "../connector/json_path.ts";
import { at, DONE, withParams } from "./_paginator_helpers.ts";
import {
  checkKeys,
  ctxLimit,
  enumOption,
  intOption,
  pathOption,
  required,
  show,
  stringOption,
} from "./_paginator_options.ts";
import { PaginationError } from "../connector/errors.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  PaginateContext,
  Paginator,
} from "../connector/types.ts";

/** Options of {@linkcode cursorPaginator}. */
export interface CursorPaginatorOptions {
  /**
   * Query parameter the cursor is sent in (`"cursor"`, `"starting_after"`);
   * with `cursorIn: "body"`, the dot path in the JSON body
   * (`"variables.after"`).
   */
  cursorParam: string;
  /**
   * Where the cursor (and `limitParam`) is sent: the query string, or the
   * JSON body of a POST stream (a GraphQL connection's `variables.after`).
   * @default {"query"}
   */
  cursorIn?: "query" | "body";
  /**
   * Dot path to the next cursor in the body (`"next_cursor"`, `"meta.next"`);
   * required when `cursorFrom` is `"body"`. `null`, `""` or missing ends the
   * stream.
   */
  cursorPath?: string;
  /**
   * Dot path to a boolean saying whether more pages follow (`"has_more"`).
   * Given, `false` ends the stream and `true` requires a non-empty page and
   * a cursor.
   */
  hasMorePath?: string;
  /**
   * Where the next cursor comes from: the body (at `cursorPath`) or the last
   * record's `recordField` (Stripe's `starting_after`). @default {"body"}
   */
  cursorFrom?: "body" | "lastRecord";
  /** The record field (a dot path) holding the cursor when `cursorFrom` is `"lastRecord"`. @default {"id"} */
  recordField?: string;
  /** Query parameter (or body dot path) carrying the page size; requires `limit`. */
  limitParam?: string;
  /**
   * Records per page, sent as `limitParam`. With `cursorFrom: "lastRecord"`
   * and no `hasMorePath`, a page shorter than this ends the stream.
   */
  limit?: number;
}

/** {@linkcode CursorPaginatorOptions}, checked, with their defaults. */
interface CursorConfig {
  cursorParam: string;
  inBody: boolean;
  cursorPath: string | undefined;
  hasMorePath: string | undefined;
  cursorFrom: "body" | "lastRecord";
  recordField: string;
  limit: number | undefined;
  limitParams: Record<string, string>;
  limitBody: Record<string, number> | undefined;
  /** Where the cursor is read, for messages. */
  source: string;
}

/** The options checked once, when the stream is defined, so a mistake fails before any request. */
function cursorConfig(
  fn: string,
  options: CursorPaginatorOptions,
): CursorConfig {
  const o = checkKeys(fn, options, [
    "cursorParam",
    "cursorIn",
    "cursorPath",
    "hasMorePath",
    "cursorFrom",
    "recordField",
    "limitParam",
    "limit",
  ]);
  const cursorParam = required(
    fn,
    "cursorParam",
    stringOption(fn, "cursorParam", o.cursorParam),
  );
  const inBody =
    enumOption(fn, "cursorIn", o.cursorIn, ["query", "body"]) === "body";
  if (inBody) pathOption(fn, "cursorParam", cursorParam);
  const cursorPath = pathOption(fn, "cursorPath", o.cursorPath);
  const hasMorePath = pathOption(fn, "hasMorePath", o.hasMorePath);
  const cursorFrom =
    enumOption(fn, "cursorFrom", o.cursorFrom, ["body", "lastRecord"]) ??
      "body";
  const recordField = pathOption(fn, "recordField", o.recordField) ?? "id";
  const limitParam = stringOption(fn, "limitParam", o.limitParam);
  const limit = intOption(fn, "limit", o.limit, 1);
  if (cursorFrom === "body" && cursorPath === undefined) {
    throw new TypeError(
      `${fn}: option "cursorPath" is required when cursorFrom is "body"`,
    );
  }
  if (cursorFrom === "lastRecord" && cursorPath !== undefined) {
    throw new TypeError(
      `${fn}: option "cursorPath" is not read when cursorFrom is "lastRecord" (the cursor is the last record's "${recordField}")`,
    );
  }
  if ((limitParam === undefined) !== (limit === undefined)) {
    throw new TypeError(`${fn}: options "limitParam" and "limit" go together`);
  }
  if (limitParam === cursorParam) {
    throw new RangeError(
      `${fn}: options "limitParam" and "cursorParam" must differ`,
    );
  }
  if (inBody && limitParam !== undefined) {
    pathOption(fn, "limitParam", limitParam);
  }
  const sized = limitParam !== undefined && limit !== undefined;
  const limitParams: Record<string, string> = sized && !inBody
    ? { [limitParam]: String(limit) }
    : {};
  const limitBody = sized && inBody ? { [limitParam]: limit } : undefined;
  const source = cursorFrom === "body"
    ? `"${cursorPath}"`
    : `the last record's "${recordField}"`;
  return {
    cursorParam,
    inBody,
    limitBody,
    cursorPath,
    hasMorePath,
    cursorFrom,
    recordField,
    limit,
    limitParams,
    source,
  };
}

/**
 * Whether `hasMorePath` says more pages follow; an empty page that says so
 * would loop.
 */
function hasMore(page: PageResponse, hasMorePath: string): boolean {
  const more = getPath(page.body, hasMorePath);
  if (typeof more !== "boolean") {
    throw new PaginationError(
      `"${hasMorePath}" is missing or not a boolean (found ${show(more)})`,
      at(page),
    );
  }
  if (more && page.records.length === 0) {
    throw new PaginationError(
      `empty page with ${hasMorePath}=true`,
      at(page),
    );
  }
  return more;
}

/**
 * The next cursor of `page` as found, or `undefined` when the page ends the
 * stream.
 */
function rawCursor(page: PageResponse, c: CursorConfig): unknown {
  const got = page.records.length;
  let raw: unknown;
  if (c.cursorFrom === "body") {
    raw = getPath(page.body, c.cursorPath as string);
  } else {
    const last = page.records[got - 1];
    if (last === undefined) return undefined;
    if (c.hasMorePath === undefined && c.limit !== undefined && got < c.limit) {
      return undefined;
    }
    raw = getPath(last, c.recordField);
  }
  if (raw === undefined || raw === null || raw === "") {
    if (c.cursorFrom === "lastRecord") {
      throw new PaginationError(
        `the last record has no "${c.recordField}" to continue from (found ${
          show(raw)
        })`,
        at(page),
      );
    }
    if (c.hasMorePath !== undefined) {
      throw new PaginationError(
        `${c.hasMorePath}=true but no cursor at ${c.source} (found ${
          show(raw)
        })`,
        at(page),
      );
    }
    return undefined;
  }
  return raw;
}

/** What follows `page`: the request carrying its cursor, or the end. */
function nextCursor(page: PageResponse, c: CursorConfig): Next {
  if (c.hasMorePath !== undefined && !hasMore(page, c.hasMorePath)) {
    return DONE;
  }
  const raw = rawCursor(page, c);
  if (raw === undefined) return DONE;
  // A bigint is an integer cursor beyond 2^53, kept exact.
  if (
    typeof raw !== "string" && typeof raw !== "number" &&
    typeof raw !== "bigint"
  ) {
    throw new PaginationError(
      `cursor at ${c.source} must be a string or a number (found ${show(raw)})`,
      at(page),
    );
  }
  const cursor = String(raw);
  const sent = c.inBody
    ? page.request.bodyParams?.[c.cursorParam]
    : page.request.params?.[c.cursorParam];
  if (sent !== undefined && cursor === String(sent)) {
    // A feed answers the cursor it was sent, with nothing new, once it
    // has ended (CouchDB's `_changes`: `last_seq` unchanged, no results).
    if (page.records.length === 0) return DONE;
    throw new PaginationError(
      `cursor repeats: ${c.cursorParam}=${cursor} came back with ${page.records.length} records from the page it was sent to, so the next page would be this one again`,
      at(page),
    );
  }
  const index = page.request.index + 1;
  return {
    type: "next",
    request: c.inBody
      ? withParams(page, index, {}, { [c.cursorParam]: cursor })
      : withParams(page, index, { [c.cursorParam]: cursor }),
  };
}

/**
 * Cursor paging, always sequential (`next`). Two forms: the body holds the
 * next cursor (`cursorPath`), or, Stripe style, `hasMorePath` says whether
 * more follow and the cursor is the last record's `recordField`.
 *
 * A cursor equal to the one the page was requested with ends the stream
 * when the page is empty (a feed at its end answers the cursor it was sent:
 * CouchDB's `_changes` with `cursorPath: "last_seq"`); with records, it is
 * a loop and a {@linkcode PaginationError} (`cursor repeats: ...`), as is an
 * empty page whose `hasMorePath` is true.
 *
 * With `cursorIn: "body"`, the cursor and page size go into the JSON body
 * of a POST stream as `bodyParams` (a GraphQL connection: `cursorParam:
 * "variables.after"`, `cursorPath: "data.x.pageInfo.endCursor"`,
 * `hasMorePath: "data.x.pageInfo.hasNextPage"`). A longer cycle (A, B, A) is not caught: that would
 * need memory, and the paginator is shared.
 * `ctx.limit` is left to the engine, which counts the chain's records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cursorPaginator } from "./paginators.ts";
 * const p = cursorPaginator({
 *   cursorParam: "starting_after",
 *   cursorFrom: "lastRecord",
 *   hasMorePath: "has_more",
 *   limitParam: "limit",
 *   limit: 100,
 * });
 * const first = p.first({});
 * const next = p.next({
 *   request: first,
 *   url: "http://127.0.0.1/v1/charges?limit=100",
 *   status: 200,
 *   headers: new Headers(),
 *   body: { has_more: true },
 *   records: [{ id: "ch_1" }, { id: "ch_2" }],
 * }, {});
 * assert.deepEqual(next, {
 *   type: "next",
 *   request: { index: 1, params: { limit: "100", starting_after: "ch_2" } },
 * });
 * ```
 */
export function cursorPaginator(options: CursorPaginatorOptions): Paginator {
  const fn = "cursorPaginator";
  const c = cursorConfig(fn, options);
  return Object.freeze({
    type: "cursor",
    first: (ctx: PaginateContext): PageRequest => {
      ctxLimit(fn, ctx);
      const req: PageRequest = { index: 0, params: { ...c.limitParams } };
      // Even empty, it says this chain pages in the body (a GET cannot).
      if (c.inBody) req.bodyParams = { ...c.limitBody };
      return req;
    },
    next: (page: PageResponse, ctx: PaginateContext): Next => {
      ctxLimit(fn, ctx);
      return nextCursor(page, c);
    },
  });
}
