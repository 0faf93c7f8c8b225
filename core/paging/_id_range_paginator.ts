/**
 * The id-range paginator: {@linkcode idRangePaginator}.
 *
 * @module
 */

import { at, DONE } from "./_paginator_helpers.ts";
import {
  checkKeys,
  ctxLimit,
  ctxStart,
  enumOption,
  intOption,
  lazy,
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

/** Options of {@linkcode idRangePaginator}. */
export interface IdRangePaginatorOptions {
  /** Path (relative to the base URL) answering the highest id as a bare JSON number. */
  maxIdPath: string;
  /**
   * Path of one item. `{id}` in it is replaced by the id (`"/item/{id}.json"`);
   * without `{id}`, the id is sent as the query parameter `idParam`.
   */
  itemPath: string;
  /** Query parameter carrying the id when `itemPath` has no `{id}`. @default {"id"} */
  idParam?: string;
  /** How many ids to pull when the run sets no limit. @default {10000} */
  count?: number;
  /**
   * Order of a fresh run's requests: newest first (`max, max-1, ...`) or
   * the same ids oldest first. A resumed run always goes oldest first.
   * @default {"desc"}
   */
  order?: "desc" | "asc";
}

/**
 * Id-range paging, as the Hacker News API works: a seed request
 * (`{ index: 0, seed: true, path: maxIdPath }`) answers the highest id, then
 * a `fanout` of one request per id (indices `1..n`).
 *
 * A fresh run takes the newest `ctx.limit ?? count` ids (`max` down to `1`
 * at the lowest). A resumed run (`ctx.start`: the last id already pulled)
 * takes the ids after it, `start+1` up to `max`, capped by the same number
 * and OLDEST first, whatever `order` says: a capped resumed run then ends on
 * a contiguous range `start+1..k`, so the next resume from `k` leaves no gap.
 *
 * A max id that is not a non-negative integer is a {@linkcode PaginationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { idRangePaginator } from "./paginators.ts";
 * const p = idRangePaginator({ maxIdPath: "/v0/maxitem.json", itemPath: "/v0/item/{id}.json" });
 * const seed = p.first({ limit: 3 });
 * assert.deepEqual(seed, { index: 0, seed: true, path: "/v0/maxitem.json" });
 * const page = {
 *   request: seed,
 *   url: "https://hacker-news.firebaseio.com/v0/maxitem.json",
 *   status: 200,
 *   headers: new Headers(),
 *   body: 1000,
 *   records: [],
 * };
 * const next = p.next(page, { limit: 3 });
 * assert.equal(next.type, "fanout");
 * if (next.type === "fanout") {
 *   assert.deepEqual([...next.requests].map((r) => r.path), [
 *     "/v0/item/1000.json",
 *     "/v0/item/999.json",
 *     "/v0/item/998.json",
 *   ]);
 * }
 * const resumed = p.next(page, { limit: 2, start: 990 });
 * if (resumed.type === "fanout") {
 *   assert.deepEqual([...resumed.requests].map((r) => r.path), [
 *     "/v0/item/991.json",
 *     "/v0/item/992.json",
 *   ]);
 * }
 * ```
 */
export function idRangePaginator(options: IdRangePaginatorOptions): Paginator {
  const fn = "idRangePaginator";
  const o = checkKeys(fn, options, [
    "maxIdPath",
    "itemPath",
    "idParam",
    "count",
    "order",
  ]);
  const maxIdPath = required(
    fn,
    "maxIdPath",
    stringOption(fn, "maxIdPath", o.maxIdPath),
  );
  const itemPath = required(
    fn,
    "itemPath",
    stringOption(fn, "itemPath", o.itemPath),
  );
  const idParam = stringOption(fn, "idParam", o.idParam) ?? "id";
  const count = intOption(fn, "count", o.count, 1) ?? 10_000;
  const order = enumOption(fn, "order", o.order, ["desc", "asc"]) ?? "desc";
  const inPath = itemPath.includes("{id}");

  const item = (index: number, id: number): PageRequest =>
    inPath
      ? { index, path: itemPath.replaceAll("{id}", String(id)) }
      : { index, path: itemPath, params: { [idParam]: String(id) } };

  return Object.freeze({
    type: "id_range",
    first: (ctx: PaginateContext): PageRequest => {
      ctxLimit(fn, ctx);
      ctxStart(fn, ctx);
      return { index: 0, seed: true, path: maxIdPath };
    },
    next: (page: PageResponse, ctx: PaginateContext): Next => {
      // Item pages belong to the fan-out, which is complete once planned.
      if (page.request.seed !== true) return DONE;
      const max = page.body;
      if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 0) {
        throw new PaginationError(
          `max id from "${maxIdPath}" must be a non-negative integer (found ${
            show(max)
          })`,
          at(page),
        );
      }
      const n = ctxLimit(fn, ctx) ?? count;
      const after = ctxStart(fn, ctx);
      let lo: number, hi: number, step: 1 | -1;
      if (after !== undefined) {
        [lo, hi, step] = [after + 1, Math.min(max, after + n), 1];
      } else {
        [lo, hi, step] = [
          Math.max(1, max - n + 1),
          max,
          order === "desc" ? -1 : 1,
        ];
      }
      if (lo > hi) return DONE;
      const base = page.request.index;
      return {
        type: "fanout",
        requests: lazy(function* () {
          for (let k = 0; k <= hi - lo; k++) {
            yield item(base + 1 + k, step === 1 ? lo + k : hi - k);
          }
        }),
      };
    },
  });
}
