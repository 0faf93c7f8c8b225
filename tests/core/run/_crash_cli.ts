/**
 * The inlet CLI with one extra connector, `crash`, for the crash and stop
 * tests: every paging shape the engine checkpoints differently, against the
 * test API (`--base-url`). Run it like `core/cli/cli.ts`:
 * `deno run -A tests/core/run/_crash_cli.ts pull crash --base-url <url> --lake <dir>`.
 * With `INLET_CRASH_HOLD` set, it stops at a point of its progress and waits
 * for its kill (see `_crash_hold.ts`).
 *
 * @module
 */
import { main } from "../../../core/cli/cli.ts";
import {
  defineConnector,
  idRangePaginator,
  linkHeaderPaginator,
  nextUrlPaginator,
  pageNumberPaginator,
  singlePaginator,
} from "../../../core/mod.ts";
import { BASE_S } from "../../../core/testing/_records.ts";
import {
  cursorStream,
  offsetStream,
  stripeLikeStream,
} from "../../_connectors.ts";
import { installHold, parseHold } from "./_crash_hold.ts";

/**
 * Streams of the test API, one per kind of lane:
 * - `fanout`: offset pages with a total, fetched concurrently;
 * - `cursor`: a sequential `next_cursor` chain;
 * - `partitioned`: Stripe-style `starting_after` chains over `created`
 *   ranges, split while they run;
 * - `details`: one request per `fanout` record (a dependent stream).
 */
export const crash = defineConnector({
  name: "crash",
  baseUrl: "http://127.0.0.1:9",
  hosts: ["127.0.0.1"],
  streams: {
    fanout: offsetStream(50),
    // Small pages: the chain is long enough for every kill to land in it.
    cursor: cursorStream(7),
    // Far past the data: most partitions are empty, one is dense and splits.
    partitioned: stripeLikeStream(10, {
      end: BASE_S + 1_000_000,
      partitions: 4,
    }),
    details: {
      path: "/v0/item/{id}.json",
      primaryKey: "id",
      // An item is one object.
      allowSingleRecord: true,
      parent: { stream: "fanout", field: "id" },
      paginator: singlePaginator(),
    },
  },
});

/**
 * The paging shapes `crash` has not, for the kill-and-resume tests (a
 * connector of their own, so the stop and state tests' `crash` runs stay
 * as they are):
 * - `pages`: page numbers fanned out from the first page's `total_pages`;
 * - `next`: a sequential chain of absolute `next` URLs in the body;
 * - `link`: a sequential chain of `Link: rel="next"` headers;
 * - `hn`: Hacker News-style id range: the highest id, then one request per
 *   id, newest first, with the highest id pulled as its bookmark.
 */
export const shapes = defineConnector({
  name: "shapes",
  baseUrl: "http://127.0.0.1:9",
  hosts: ["127.0.0.1"],
  streams: {
    pages: {
      path: "/pages/items",
      params: { per_page: 9 },
      recordsPath: "data",
      primaryKey: "id",
      paginator: pageNumberPaginator({
        size: 9,
        totalPagesPath: "total_pages",
      }),
    },
    next: {
      path: "/next/items",
      params: { page_size: 7 },
      recordsPath: "results",
      primaryKey: "id",
      paginator: nextUrlPaginator({ path: "next" }),
    },
    link: {
      path: "/link/items",
      params: { per_page: 7 },
      primaryKey: "id",
      paginator: linkHeaderPaginator(),
    },
    hn: {
      path: "/v0/item/{id}.json",
      primaryKey: "id",
      // One item a request, as Hacker News serves it.
      allowSingleRecord: true,
      incremental: { cursorField: "id" },
      paginator: idRangePaginator({
        maxIdPath: "/v0/maxitem.json",
        itemPath: "/v0/item/{id}.json",
      }),
    },
  },
});

if (import.meta.main) {
  const point = Deno.env.get("INLET_CRASH_HOLD");
  if (point) installHold(parseHold(point));
  const { default: connectors } = await import("../../../connectors/mod.ts");
  // The sandbox child would run core/cli/cli.ts, which has no `crash` connector.
  await main([...connectors, crash, shapes], { sandbox: false });
}
