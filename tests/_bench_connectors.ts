/**
 * The connectors the bench pulls with, each pointed at a test API.
 *
 * @module
 */

import { type Connector, defineConnector } from "../core/connector.ts";
import { cursorPaginator, offsetPaginator } from "../core/paginators.ts";
import { BASE_S, createdOf } from "../core/testing/_records.ts";

/** Records per page in offset and cursor modes. */
export const PAGE = 50;

/**
 * Offset pages of {@linkcode PAGE} with a total: every page after the first
 * is addressable, so the engine fans out.
 *
 * @example
 * ```ts
 * import { offsetConnector } from "./_bench_connectors.ts";
 * console.assert(offsetConnector("http://127.0.0.1:1").streams.items !== undefined);
 * ```
 */
export function offsetConnector(url: string): Connector {
  return defineConnector({
    name: "bench_offset",
    baseUrl: url,
    hosts: ["127.0.0.1"],
    streams: {
      items: {
        path: "/offset/items",
        params: { limit: PAGE },
        recordsPath: "items",
        primaryKey: "id",
        paginator: offsetPaginator({ limit: PAGE, totalPath: "total" }),
      },
    },
  });
}

/**
 * Stripe-like: `starting_after` cursor chains over `/stripe/items`, newest
 * first, with the `created` range split into partitions. The range is the
 * data's own (`records` ids, three per second), as a connector that knows
 * when its account began would declare it.
 *
 * @example
 * ```ts
 * import { cursorConnector } from "./_bench_connectors.ts";
 * const c = cursorConnector("http://127.0.0.1:1", 1000);
 * console.assert(c.streams.items?.partition?.field === "created");
 * ```
 */
export function cursorConnector(
  url: string,
  records: number,
  partitioned = true,
): Connector {
  return defineConnector({
    name: partitioned ? "bench_cursor" : "bench_chain",
    baseUrl: url,
    hosts: ["127.0.0.1"],
    streams: {
      items: {
        path: "/stripe/items",
        recordsPath: "data",
        primaryKey: "id",
        ...(partitioned
          ? {
            partition: {
              kind: "unix" as const,
              gteParam: "created[gte]",
              ltParam: "created[lt]",
              start: BASE_S,
              end: createdOf(records) + 1,
              field: "created",
              order: "desc" as const,
            },
          }
          : {}),
        paginator: cursorPaginator({
          cursorParam: "starting_after",
          cursorFrom: "lastRecord",
          recordField: "id",
          hasMorePath: "has_more",
          limitParam: "limit",
          limit: PAGE,
        }),
      },
    },
  });
}
