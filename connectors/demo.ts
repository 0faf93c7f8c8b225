/**
 * `demo`: the sample API that `deno task demo` starts on 127.0.0.1
 * (inlet's own test server), paged by offset with a reported total, so every
 * page after the first is fetched concurrently.
 *
 * @module
 */
import { defineConnector, offsetPaginator } from "../core/mod.ts";

/**
 * The demo connector. Its base URL is replaced by the address of the server
 * the demo starts (`--base-url`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import demo from "./demo.ts";
 * assert(demo.streams.items !== undefined);
 * ```
 */
export default defineConnector({
  name: "demo",
  description:
    "The offline sample API started by `deno task demo` (offset pages of 50)",
  baseUrl: "http://127.0.0.1:8787",
  hosts: ["127.0.0.1"],
  streams: {
    items: {
      path: "/offset/items",
      params: { limit: 50 },
      recordsPath: "items",
      primaryKey: "id",
      paginator: offsetPaginator({ limit: 50, totalPath: "total" }),
    },
  },
});
