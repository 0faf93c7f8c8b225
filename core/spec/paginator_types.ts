/**
 * The paginator types a spec may name, each with the options it takes and
 * how it is made.
 *
 * @module
 */
import {
  cursorPaginator,
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
    },
    make: (o: Record<string, unknown>) => pageNumberPaginator(o as never),
  },
  cursor: {
    fields: {
      cursorParam: "name",
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
