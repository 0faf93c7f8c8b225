/**
 * `hackernews`: the Hacker News API. One request for the newest id, then one
 * request per item, fetched concurrently.
 *
 * @module
 */
import { defineConnector, idRangePaginator } from "../core/mod.ts";

/**
 * The Hacker News connector: stream `items`. The first run pulls the newest
 * `--limit` items (10,000 by default); each later run continues from the
 * highest id already pulled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import hackernews from "./hackernews.ts";
 * assert(hackernews.hosts.includes("hacker-news.firebaseio.com"));
 * ```
 */
export default defineConnector({
  name: "hackernews",
  description: "Hacker News items (stories, comments, ...), newest first",
  baseUrl: "https://hacker-news.firebaseio.com/v0",
  streams: {
    items: {
      path: "/item/{id}.json",
      primaryKey: "id",
      // An item is one object, and an id that does not exist answers null.
      allowSingleRecord: true,
      allowNullRecords: true,
      // The paginator owns the id range: it starts after the bookmark.
      incremental: { cursorField: "id" },
      paginator: idRangePaginator({
        maxIdPath: "/maxitem.json",
        itemPath: "/item/{id}.json",
        count: 10_000,
      }),
    },
  },
});
