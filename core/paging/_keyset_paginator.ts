/**
 * The keyset paginator: {@linkcode keysetPaginator}.
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

/** Options of {@linkcode keysetPaginator}. */
export interface KeysetPaginatorOptions {
  /** Query parameter carrying the last record's key (`"startkey"`, `"after"`). */
  keyParam: string;
  /** The record field (a dot path) holding the key. @default {"id"} */
  keyField?: string;
  /**
   * How the key is written: as is (`after=doc-50`), or as JSON
   * (`startkey="doc-50"`, CouchDB's view keys). @default {"raw"}
   */
  encode?: "raw" | "json";
  /**
   * Records to skip after the key, for a source whose key bound is
   * inclusive (CouchDB's `startkey` with `skip=1`). Sent as `skipParam` on
   * every request after the first. @default {0} (not sent)
   */
  skip?: number;
  /** Query parameter carrying `skip`. @default {"skip"} */
  skipParam?: string;
  /** Records per page, sent as `limitParam`; a page longer than it fails. */
  limit: number;
  /** Query parameter carrying the page size. @default {"limit"} */
  limitParam?: string;
}

/** {@linkcode KeysetPaginatorOptions}, checked, with their defaults. */
function keysetConfig(fn: string, options: KeysetPaginatorOptions) {
  const o = checkKeys(fn, options, [
    "keyParam",
    "keyField",
    "encode",
    "skip",
    "skipParam",
    "limit",
    "limitParam",
  ]);
  const keyParam = required(
    fn,
    "keyParam",
    stringOption(fn, "keyParam", o.keyParam),
  );
  const keyField = pathOption(fn, "keyField", o.keyField) ?? "id";
  const encode = enumOption(fn, "encode", o.encode, ["raw", "json"]) ?? "raw";
  const skip = intOption(fn, "skip", o.skip, 0) ?? 0;
  const skipParam = stringOption(fn, "skipParam", o.skipParam) ?? "skip";
  const limit = required(fn, "limit", intOption(fn, "limit", o.limit, 1));
  const limitParam = stringOption(fn, "limitParam", o.limitParam) ?? "limit";
  const names = [keyParam, limitParam, ...(skip > 0 ? [skipParam] : [])];
  if (new Set(names).size !== names.length) {
    throw new RangeError(
      `${fn}: options "keyParam", "limitParam" and "skipParam" must differ`,
    );
  }
  return { keyParam, keyField, encode, skip, skipParam, limit, limitParam };
}

/** The key of `record` as it is sent. */
function encodeKey(
  page: PageResponse,
  key: unknown,
  c: ReturnType<typeof keysetConfig>,
): string {
  const ok = typeof key === "string" || typeof key === "number" ||
    typeof key === "bigint" || (c.encode === "json" && key !== undefined);
  if (!ok || key === null || key === "") {
    throw new PaginationError(
      `the last record has no "${c.keyField}" to continue from (found ${
        show(key)
      })`,
      at(page),
    );
  }
  if (c.encode === "raw" || typeof key === "bigint") return String(key);
  return JSON.stringify(key);
}

/**
 * Keyset (seek) paging: each request after the first carries the last
 * record's key (`?after=<id>`; CouchDB's
 * `_all_docs?startkey="doc-000050"&skip=1&limit=50`), so pages stay exact
 * however deep the stream goes. Always sequential (`next`); an empty page
 * ends the stream (a short one does not: a source may cap its page size
 * below `limit`, so the last page costs one more request). The source must
 * return records ordered by the key.
 *
 * A key that comes back equal to the one sent is a
 * {@linkcode PaginationError} (the next page would be this one again: a key
 * that is not unique, or an inclusive bound without `skip`), and so is a
 * page longer than `limit` (the source ignores `limitParam`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keysetPaginator } from "./paginators.ts";
 * const p = keysetPaginator({ keyParam: "startkey", encode: "json", skip: 1, limit: 2 });
 * const first = p.first({});
 * assert.deepEqual(first, { index: 0, params: { limit: "2" } });
 * const next = p.next({
 *   request: first,
 *   url: "http://127.0.0.1/db/_all_docs?limit=2",
 *   status: 200,
 *   headers: new Headers(),
 *   body: {},
 *   records: [{ id: "doc-1" }, { id: "doc-2" }],
 * }, {});
 * assert.deepEqual(next, {
 *   type: "next",
 *   request: { index: 1, params: { limit: "2", startkey: '"doc-2"', skip: "1" } },
 * });
 * ```
 */
export function keysetPaginator(options: KeysetPaginatorOptions): Paginator {
  const fn = "keysetPaginator";
  const c = keysetConfig(fn, options);
  return Object.freeze({
    type: "keyset",
    first: (ctx: PaginateContext): PageRequest => {
      ctxLimit(fn, ctx);
      return { index: 0, params: { [c.limitParam]: String(c.limit) } };
    },
    next: (page: PageResponse, ctx: PaginateContext): Next => {
      ctxLimit(fn, ctx);
      const got = page.records.length;
      if (got > c.limit) {
        throw new PaginationError(
          `page holds ${got} records, more than ${c.limitParam}=${c.limit}: the source ignores "${c.limitParam}"`,
          at(page),
        );
      }
      // Only an empty page ends: a short one may be a source that caps its
      // page size below `limit`, and ending there would drop the rest.
      if (got === 0) return DONE;
      const key = encodeKey(
        page,
        getPath(page.records[got - 1], c.keyField),
        c,
      );
      if (key === page.request.params?.[c.keyParam]) {
        throw new PaginationError(
          `key repeats: ${c.keyParam}=${key} came back as the last record's "${c.keyField}", so the next page would be this one again (keys must be unique; an inclusive bound needs "skip")`,
          at(page),
        );
      }
      const params: Record<string, string> = { [c.keyParam]: key };
      if (c.skip > 0) params[c.skipParam] = String(c.skip);
      return {
        type: "next",
        request: withParams(page, page.request.index + 1, params),
      };
    },
  });
}
