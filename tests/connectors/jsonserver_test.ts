/**
 * A spec connector against json-server 0.17.4 (a server nobody here wrote)
 * on 127.0.0.1: offset and page paging with the total from `X-Total-Count`
 * (no request past the end), `Link` header paging, and a dependent stream,
 * counted exactly with DuckDB.
 */
import assert from "node:assert/strict";
import { pull } from "../../core/run/pull.ts";
import { connectorFromSpec } from "../../core/spec/connector_from_spec.ts";
import { sumTo, viewStats } from "../_duckdb.ts";
import { withJsonServer } from "../_json_server.ts";

const USERS = 1_234;
const POSTS = 2_345;
const COMMENTS = 1_050;
const TODOS_PER_USER = 2;

function db() {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  return {
    users: range(USERS).map((id) => ({ id, name: `user ${id}` })),
    posts: range(POSTS).map((id) => ({ id, title: `post ${id}` })),
    comments: range(COMMENTS).map((id) => ({ id, body: `comment ${id}` })),
    todos: range(USERS * TODOS_PER_USER).map((id) => ({
      id,
      userId: Math.ceil(id / TODOS_PER_USER),
    })),
  };
}

// Each stream as a new user writes it from json-server's README.
const spec = (url: string) => ({
  name: "jsonserver",
  baseUrl: url,
  streams: {
    users: {
      path: "/users",
      primaryKey: "id",
      paginator: {
        type: "offset",
        offsetParam: "_start",
        limitParam: "_limit",
        limit: 100,
        totalHeader: "X-Total-Count",
      },
    },
    posts: {
      path: "/posts",
      primaryKey: "id",
      paginator: {
        type: "page",
        pageParam: "_page",
        sizeParam: "_limit",
        size: 100,
        totalHeader: "X-Total-Count",
      },
    },
    comments: {
      path: "/comments",
      params: { _page: 1, _limit: 100 },
      primaryKey: "id",
      paginator: { type: "link" },
    },
    todos: {
      path: "/users/{id}/todos",
      parent: { stream: "users", field: "id" },
      primaryKey: "id",
      paginator: { type: "single" },
    },
  },
});

Deno.test("json-server: offset and page paging stop at X-Total-Count, Link paging, a dependent stream, exact counts", async () => {
  await withJsonServer(db(), async (url, dir) => {
    const c = connectorFromSpec(spec(url), "js.json");
    const lake = `${dir}/lake`;
    const run = await pull(c, { lake, concurrency: 4 });
    assert.equal(run.status, "ok", run.errors.join("\n"));
    assert.deepEqual(run.warnings, []);

    const want: Record<string, number> = {
      users: USERS,
      posts: POSTS,
      comments: COMMENTS,
      todos: USERS * TODOS_PER_USER,
    };
    for (const s of run.streams) {
      assert.equal(s.records, want[s.stream], s.stream);
      if (s.stream === "todos") continue;
      const pages = Math.ceil(want[s.stream]! / 100);
      assert.ok(
        s.requests <= pages + 1,
        `${s.stream}: ${s.requests} requests for ${pages} pages`,
      );
    }
    for (const [table, n] of Object.entries(want)) {
      assert.deepEqual(
        await viewStats(lake, c, table, {
          n: "count(*)",
          ids: "count(DISTINCT id)",
          s: "sum(id)",
        }),
        { n, ids: n, s: sumTo(n) },
        table,
      );
    }
  });
});
