/**
 * `rest`: a generic connector for an API without its own plugin, driven by
 * a JSON spec file: `deno task pull rest --spec my-api.json`.
 *
 * A spec is the data of a connector written as JSON:
 *
 * ```json
 * {
 *   "name": "shop",
 *   "baseUrl": "https://shop.example.com/api",
 *   "auth": { "type": "bearer", "env": "SHOP_TOKEN" },
 *   "streams": {
 *     "orders": {
 *       "path": "/orders",
 *       "recordsPath": "orders",
 *       "primaryKey": "id",
 *       "paginator": { "type": "offset", "limit": 100, "totalPath": "total" }
 *     }
 *   }
 * }
 * ```
 *
 * Every field is checked before any request, and a bad one is named:
 * `spec my-api.json: streams.orders.paginator.type must be one of offset,
 * page, cursor, next_url, link, single, keyset, id_range; got "ofset"`.
 *
 * Without `--spec`, `rest` pulls {@linkcode exampleSpec}: posts, comments and
 * users of JSONPlaceholder, a public fake REST API.
 *
 * @module
 */
import type { Connector } from "../core/mod.ts";
import { connectorFromSpec } from "../core/spec/mod.ts";

export {
  connectorFromSpec,
  loadSpec,
  PAGINATOR_TYPES,
} from "../core/spec/mod.ts";

/**
 * The spec `rest` pulls when no `--spec` is given: JSONPlaceholder's posts
 * and comments (page numbers, `_page` / `_limit`) and users (one page).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorFromSpec, exampleSpec } from "./rest.ts";
 * assert(Object.keys(connectorFromSpec(exampleSpec).streams).length === 3);
 * ```
 */
export const exampleSpec = {
  name: "rest",
  description:
    "Any REST API from a JSON spec (--spec my-api.json); without one, JSONPlaceholder",
  baseUrl: "https://jsonplaceholder.typicode.com",
  streams: {
    posts: {
      path: "/posts",
      primaryKey: "id",
      writeDisposition: "replace",
      paginator: {
        type: "page",
        pageParam: "_page",
        sizeParam: "_limit",
        size: 50,
      },
    },
    comments: {
      path: "/comments",
      primaryKey: "id",
      writeDisposition: "replace",
      paginator: {
        type: "page",
        pageParam: "_page",
        sizeParam: "_limit",
        size: 100,
      },
    },
    users: {
      path: "/users",
      primaryKey: "id",
      writeDisposition: "replace",
      paginator: { type: "single" },
    },
  },
} as const;

/**
 * The `rest` connector as registered: the {@linkcode exampleSpec}
 * (JSONPlaceholder). `--spec my-api.json` replaces it with the spec's
 * connector (see {@linkcode loadSpec}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import rest from "./rest.ts";
 * assert(rest.name === "rest" && rest.options?.spec !== undefined);
 * ```
 */
const rest: Connector = connectorFromSpec(
  {
    ...exampleSpec,
    options: {
      spec: {
        description: "a JSON spec file describing the API (see README: rest)",
      },
    },
  },
  "(built-in example)",
);
export default rest;
