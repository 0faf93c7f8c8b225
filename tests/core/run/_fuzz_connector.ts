/**
 * The `fuzz` connector: one stream, `items`, read with the paginator that
 * matches the fuzz API's paging scheme (core/testing/fuzz_server.ts). Shared
 * by the in-process fuzz cases and the child CLI of the kill cases.
 *
 * @module
 */
import {
  cursorPaginator,
  defineConnector,
  idRangePaginator,
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  pageNumberPaginator,
} from "../../../core/mod.ts";
import type { Connector } from "../../../core/connector/connector.ts";
import type { Paginator } from "../../../core/connector/types.ts";
import type { FuzzPaging } from "../../../core/testing/fuzz_server.ts";

/** What the connector needs to know of a case. */
export interface FuzzStreamSpec {
  /** The fuzz API's paging scheme. */
  paging: FuzzPaging;
  /** Records per page. */
  pageSize: number;
}

function paginatorOf(spec: FuzzStreamSpec): Paginator {
  const size = spec.pageSize;
  switch (spec.paging) {
    case "offset_total":
      return offsetPaginator({ limit: size, totalPath: "total" });
    case "offset":
      return offsetPaginator({ limit: size });
    case "page_total":
      return pageNumberPaginator({
        sizeParam: "per_page",
        size,
        totalPath: "total",
      });
    case "page":
      return pageNumberPaginator({ sizeParam: "per_page", size });
    case "cursor":
      return cursorPaginator({
        cursorParam: "cursor",
        cursorPath: "next_cursor",
      });
    case "next_url":
      return nextUrlPaginator({ path: "next" });
    case "link":
      return linkHeaderPaginator();
    case "id_range":
      return idRangePaginator({
        maxIdPath: "/maxid",
        itemPath: "/item/{id}",
        count: 1_000_000,
        order: "asc",
      });
  }
}

/**
 * The `fuzz` connector for `spec` (base URL given at pull time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fuzzConnector } from "./_fuzz_connector.ts";
 * const c = fuzzConnector({ paging: "link", pageSize: 3 });
 * assert.equal(c.streams.items?.recordsPath, undefined);
 * ```
 */
export function fuzzConnector(spec: FuzzStreamSpec): Connector {
  const bare = spec.paging === "link" || spec.paging === "id_range";
  return defineConnector({
    name: "fuzz",
    baseUrl: "http://127.0.0.1:9",
    hosts: ["127.0.0.1"],
    streams: {
      items: {
        path: spec.paging === "id_range" ? "/item/{id}" : "/items",
        ...(bare ? {} : { recordsPath: "items" }),
        primaryKey: "id",
        // As hackernews: the paginator owns the id range, resumed after the bookmark.
        ...(spec.paging === "id_range"
          ? { incremental: { cursorField: "id" }, allowSingleRecord: true }
          : {}),
        paginator: paginatorOf(spec),
      },
    },
  });
}
