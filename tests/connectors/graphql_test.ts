/**
 * A GraphQL connection (GitHub style: `issues(first, after) { nodes
 * pageInfo { hasNextPage endCursor } }`) paged with the cursor in the POST
 * body. No GraphQL server on npm is light enough to start per test, so this
 * one is ours: it tests our reading of the connection protocol, not a third
 * party's. A POST stream is a read: the query is retried like a GET.
 */
import assert from "node:assert/strict";
import { pull } from "../../core/run/pull.ts";
import { connectorFromSpec } from "../../core/spec/connector_from_spec.ts";
import { sumTo, viewStats } from "../_duckdb.ts";
import { withTempDir } from "../_lake.ts";

const ISSUES = 1_234;

interface Seen {
  bodies: Array<{ query?: string; variables?: Record<string, unknown> }>;
  failed: number;
}

/** Issues 1..ISSUES of one repository; the first request fails once (a 503). */
function startGraphQl(seen: Seen) {
  const cursor = (i: number) => btoa(`cursor:${i}`);
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      if (req.method !== "POST" || new URL(req.url).pathname !== "/graphql") {
        return new Response("not found", { status: 404 });
      }
      const body = await req.json();
      seen.bodies.push(body);
      if (seen.failed++ === 0) {
        return new Response("busy", {
          status: 503,
          headers: { "retry-after": "0" },
        });
      }
      const v = body.variables ?? {};
      if (v.owner !== "octo" || v.name !== "hello") {
        return Response.json({ errors: [{ message: "no such repository" }] });
      }
      const after = v.after === null ? 0 : Number(atob(v.after).slice(7));
      const first = Math.min(Number(v.first), 100);
      const nodes = [];
      for (let id = after + 1; id <= Math.min(ISSUES, after + first); id++) {
        nodes.push({ id, title: `issue ${id}` });
      }
      const end = after + nodes.length;
      return Response.json({
        data: {
          repository: {
            issues: {
              nodes,
              pageInfo: {
                hasNextPage: end < ISSUES,
                endCursor: nodes.length ? cursor(end) : null,
              },
            },
          },
        },
      });
    },
  );
}

const spec = (url: string) => ({
  name: "gh-graphql",
  baseUrl: url,
  streams: {
    issues: {
      path: "/graphql",
      method: "POST",
      body: {
        query:
          "query($owner: String!, $name: String!, $first: Int!, $after: String) { repository(owner: $owner, name: $name) { issues(first: $first, after: $after) { nodes { id title } pageInfo { hasNextPage endCursor } } } }",
        variables: { owner: "octo", name: "hello", after: null },
      },
      recordsPath: "data.repository.issues.nodes",
      primaryKey: "id",
      paginator: {
        type: "cursor",
        cursorIn: "body",
        cursorParam: "variables.after",
        cursorPath: "data.repository.issues.pageInfo.endCursor",
        hasMorePath: "data.repository.issues.pageInfo.hasNextPage",
        limitParam: "variables.first",
        limit: 100,
      },
    },
  },
});

Deno.test("graphql: a connection pages with its cursor in the POST body to hasNextPage=false; a failed query is retried", async () => {
  const seen: Seen = { bodies: [], failed: 0 };
  await using server = startGraphQl(seen);
  await withTempDir("inlet-graphql-", async (dir) => {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const c = connectorFromSpec(spec(url), "gh.json");
    const lake = `${dir}/lake`;
    const run = await pull(c, { lake, concurrency: 2 });
    assert.equal(run.status, "ok", run.errors.join("\n"));
    assert.equal(run.records, ISSUES);
    assert.equal(run.retries, 1);
    const pages = Math.ceil(ISSUES / 100);
    // The retried first query, then one per page: none past the end.
    assert.equal(seen.bodies.length, pages + 1);
    assert.deepEqual(seen.bodies[0], seen.bodies[1]);
    assert.deepEqual(seen.bodies[1]?.variables, {
      owner: "octo",
      name: "hello",
      after: null,
      first: 100,
    });
    assert.equal(seen.bodies[2]?.variables?.after, btoa("cursor:100"));
    assert.deepEqual(
      await viewStats(lake, c, "issues", {
        n: "count(*)",
        ids: "count(DISTINCT id)",
        s: "sum(id)",
      }),
      { n: ISSUES, ids: ISSUES, s: sumTo(ISSUES) },
    );
  });
});
