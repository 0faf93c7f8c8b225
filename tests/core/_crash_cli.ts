/**
 * The inlet CLI with one extra connector, `crash`, for the crash and stop
 * tests: every paging shape the engine checkpoints differently, against the
 * test API (`--base-url`). Run it like `core/cli.ts`:
 * `deno run -A tests/core/_crash_cli.ts pull crash --base-url <url> --lake <dir>`.
 *
 * @module
 */
import { main } from "../../core/cli.ts";
import { defineConnector, singlePaginator } from "../../core/mod.ts";
import { BASE_S } from "../../core/testing/_records.ts";
import {
  cursorStream,
  offsetStream,
  stripeLikeStream,
} from "../_connectors.ts";

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

if (import.meta.main) {
  const { default: connectors } = await import("../../connectors/mod.ts");
  // The sandbox child would run core/cli.ts, which has no `crash` connector.
  await main([...connectors, crash], { sandbox: false });
}
