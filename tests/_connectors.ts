/**
 * Streams of the test API (`core/testing/api_server.ts`), one per paging
 * shape, and a connector around them: the definitions the engine tests
 * pull with.
 *
 * @module
 */
import {
  type Connector,
  defineConnector,
} from "../core/connector/connector.ts";
import { cursorPaginator, offsetPaginator } from "../core/paging/paginators.ts";
import { BASE_S } from "../core/testing/_records.ts";
import type { RangePartition, StreamDef } from "../core/connector/types.ts";

/**
 * `/offset/items`: offset pages of `limit` with a total, so every page after
 * the first is addressable and fetched concurrently. `extra` adds to or
 * overrides the definition (a write disposition, another path of the same
 * shape).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { offsetStream } from "./_connectors.ts";
 * assert(offsetStream(50).paginator.type === "offset");
 * ```
 */
export function offsetStream(
  limit: number,
  extra: Partial<StreamDef> = {},
): StreamDef {
  return {
    path: "/offset/items",
    params: { limit },
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator({ limit, totalPath: "total" }),
    ...extra,
  };
}

/**
 * `/cursor/items`: a sequential chain of pages of `limit`, each naming the
 * next in its body's `next_cursor`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cursorStream } from "./_connectors.ts";
 * assert(cursorStream(7).params?.limit === 7);
 * ```
 */
export function cursorStream(limit: number): StreamDef {
  return {
    path: "/cursor/items",
    params: { limit },
    recordsPath: "data",
    primaryKey: "id",
    paginator: cursorPaginator({
      cursorParam: "cursor",
      cursorPath: "next_cursor",
    }),
  };
}

/**
 * `/stripe/items` unpartitioned: one `starting_after` chain of pages of
 * `limit` (newest first) that goes on while `has_more` says so.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasMoreStream } from "./_connectors.ts";
 * assert(hasMoreStream(50).partition === undefined);
 * ```
 */
export function hasMoreStream(limit: number): StreamDef {
  return {
    path: "/stripe/items",
    params: { limit },
    recordsPath: "data",
    primaryKey: "id",
    paginator: cursorPaginator({
      cursorParam: "starting_after",
      hasMorePath: "has_more",
      cursorFrom: "lastRecord",
    }),
  };
}

/**
 * Stripe-like `/stripe/items` (newest first, three records per `created`
 * second): `starting_after` chains of pages of `limit` over `created`
 * ranges from the data's first second, split while they run. `partition`
 * adds to or overrides the range (its end, how many partitions).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stripeLikeStream } from "./_connectors.ts";
 * const s = stripeLikeStream(10, { partitions: 4 });
 * assert(s.partition?.field === "created" && s.partition.partitions === 4);
 * ```
 */
export function stripeLikeStream(
  limit: number,
  partition: Partial<RangePartition> = {},
): StreamDef {
  return {
    path: "/stripe/items",
    recordsPath: "data",
    primaryKey: "id",
    partition: {
      kind: "unix",
      gteParam: "created[gte]",
      ltParam: "created[lt]",
      start: BASE_S,
      field: "created",
      order: "desc",
      ...partition,
    },
    paginator: cursorPaginator({
      cursorParam: "starting_after",
      cursorFrom: "lastRecord",
      recordField: "id",
      hasMorePath: "has_more",
      limitParam: "limit",
      limit,
    }),
  };
}

/**
 * A connector over the test API at `baseUrl` (allowed to reach 127.0.0.1)
 * with `streams`, named `name` (its lake folder).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { offsetStream, testConnector } from "./_connectors.ts";
 * const c = testConnector("http://127.0.0.1:1", { items: offsetStream(50) });
 * assert(c.name === "t" && c.streams.items !== undefined);
 * ```
 */
export function testConnector(
  baseUrl: string,
  streams: Record<string, StreamDef>,
  name = "t",
): Connector {
  return defineConnector({
    name,
    baseUrl,
    hosts: ["127.0.0.1"],
    streams,
  });
}
