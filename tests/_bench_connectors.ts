/**
 * The connectors the bench pulls with, each pointed at a test API.
 *
 * @module
 */

import {
  type Connector,
  defineConnector,
} from "../core/connector/connector.ts";
import { offsetPaginator } from "../core/paging/paginators.ts";
import { createdOf } from "../core/testing/_records.ts";
import { stripeLikeStream } from "./_connectors.ts";

/** Records per page in offset and cursor modes. */
export const PAGE = 50;

/**
 * Offset pages of {@linkcode PAGE} with a total: every page after the first
 * is addressable, so the engine fans out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { offsetConnector } from "./_bench_connectors.ts";
 * assert(offsetConnector("http://127.0.0.1:1").streams.items !== undefined);
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
 * import assert from "node:assert/strict";
 * import { cursorConnector } from "./_bench_connectors.ts";
 * const c = cursorConnector("http://127.0.0.1:1", 1000);
 * assert(c.streams.items?.partition?.field === "created");
 * ```
 */
export function cursorConnector(
  url: string,
  records: number,
  partitioned = true,
): Connector {
  const stream = stripeLikeStream(PAGE, { end: createdOf(records) + 1 });
  // The same stream as one sequential chain.
  const { partition: _, ...chain } = stream;
  return defineConnector({
    name: partitioned ? "bench_cursor" : "bench_chain",
    baseUrl: url,
    hosts: ["127.0.0.1"],
    streams: { items: partitioned ? stream : chain },
  });
}
