/**
 * The paginator types a spec may name, each with the options it takes and
 * how it is made.
 *
 * @module
 */
import {
  cursorPaginator,
  idRangePaginator,
  keysetPaginator,
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  pageNumberPaginator,
  singlePaginator,
} from "../paging/mod.ts";
import type { Paginator } from "../connector/mod.ts";
import type { Kind } from "./_spec_checker.ts";

/** The paginator types a spec may name, each with the options it takes. */
export const PAGINATORS = {
  offset: {
    fields: {
      limit: "int1",
      limitParam: "name",
      offsetParam: "name",
      totalPath: "name",
      totalHeader: "name",
      start: "int0",
    },
    make: (o: Record<string, unknown>) => offsetPaginator(o as never),
  },
  page: {
    fields: {
      pageParam: "name",
      sizeParam: "name",
      size: "int1",
      start: "int0",
      totalPagesPath: "name",
      totalPath: "name",
      totalHeader: "name",
    },
    make: (o: Record<string, unknown>) => pageNumberPaginator(o as never),
  },
  cursor: {
    fields: {
      cursorParam: "name",
      cursorIn: ["query", "body"],
      cursorPath: "name",
      hasMorePath: "name",
      cursorFrom: ["body", "lastRecord"],
      recordField: "name",
      limitParam: "name",
      limit: "int1",
    },
    make: (o: Record<string, unknown>) => cursorPaginator(o as never),
  },
  next_url: {
    fields: { path: "name" },
    make: (o: Record<string, unknown>) => nextUrlPaginator(o),
  },
  link: {
    fields: { rel: "name" },
    make: (o: Record<string, unknown>) => linkHeaderPaginator(o),
  },
  single: { fields: {}, make: () => singlePaginator() },
  keyset: {
    fields: {
      keyParam: "name",
      keyField: "name",
      encode: ["raw", "json"],
      skip: "int0",
      skipParam: "name",
      limit: "int1",
      limitParam: "name",
    },
    make: (o: Record<string, unknown>) => keysetPaginator(o as never),
  },
  id_range: {
    fields: {
      maxIdPath: "name",
      itemPath: "name",
      idParam: "name",
      count: "int1",
      order: ["desc", "asc"],
    },
    make: (o: Record<string, unknown>) => idRangePaginator(o as never),
  },
} as const satisfies Record<
  string,
  {
    fields: Record<string, Kind>;
    make: (o: Record<string, unknown>) => Paginator;
  }
>;

/**
 * The names of the paginator types a spec may use.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAGINATOR_TYPES } from "./paginator_types.ts";
 * assert(PAGINATOR_TYPES.includes("cursor"));
 * ```
 */
export const PAGINATOR_TYPES: readonly string[] = Object.keys(PAGINATORS);
