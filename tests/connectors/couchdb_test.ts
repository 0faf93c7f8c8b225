/**
 * A spec connector against pouchdb-server 4.2.0 (CouchDB's HTTP protocol,
 * a server nobody here wrote), in memory on 127.0.0.1: the `_changes` feed
 * with the obvious cursor spec, `_all_docs` at `rows[].doc` with keyset paging (built in,
 * and the README's custom paginator), and an incremental second run over
 * `_changes`, counted exactly with DuckDB.
 */
import assert from "node:assert/strict";
import { pull } from "../../core/run/pull.ts";
import { connectorFromSpec } from "../../core/spec/connector_from_spec.ts";
import { assertRecords, pullForTest } from "../../core/testing/kit.ts";
import { viewStats } from "../_duckdb.ts";
import { readmeConnector } from "../_readme_example.ts";
import { withTempDir } from "../_lake.ts";
import { freePort, startNpmServer } from "../_npm_server.ts";

const DOCS = 10_000;

/** pouchdb-server in memory, its config and log kept in `dir`. */
async function startCouch(dir: string) {
  // Without a config of its own it writes config.json and log.txt to the
  // working directory.
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ log: { file: `${dir}/log.txt` } }),
  );
  const port = freePort();
  const server = await startNpmServer(
    [
      "npm:pouchdb-server@4.2.0",
      "--in-memory",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--config",
      `${dir}/config.json`,
    ],
    /has started on http:\/\/127\.0\.0\.1:\d+/,
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

async function couch(url: string, method: string, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

const docId = (i: number) => `doc-${String(i).padStart(6, "0")}`;

/** Docs `from..to` in one `_bulk_docs` request each 5,000. */
async function loadDocs(db: string, from: number, to: number) {
  for (let lo = from; lo <= to; lo += 5_000) {
    const docs = [];
    for (let i = lo; i <= Math.min(to, lo + 4_999); i++) {
      docs.push({ _id: docId(i), n: i, kind: i % 2 ? "odd" : "even" });
    }
    await couch(`${db}/_bulk_docs`, "POST", { docs });
  }
}

// The spec a new user writes from CouchDB's documentation, as is.
const spec = (url: string) => ({
  name: "couch",
  baseUrl: url,
  streams: {
    changes: {
      path: "/db/_changes",
      recordsPath: "results",
      primaryKey: "id",
      writeDisposition: "merge",
      incremental: { cursorField: "seq", param: "since" },
      paginator: {
        type: "cursor",
        cursorParam: "since",
        cursorPath: "last_seq",
        limitParam: "limit",
        limit: 1000,
      },
    },
    // The documents themselves, at `rows[].doc`; keyset paging reads the
    // last document's `_id`.
    docs: {
      path: "/db/_all_docs",
      params: { include_docs: "true" },
      recordsPath: "rows[].doc",
      primaryKey: "_id",
      writeDisposition: "replace",
      paginator: {
        type: "keyset",
        keyParam: "startkey",
        keyField: "_id",
        encode: "json",
        skip: 1,
        limit: 500,
      },
    },
  },
});

Deno.test({
  name:
    "couchdb: _changes ends where the feed answers its own cursor, _all_docs pages by key, a second run takes only the changes (pouchdb-server)",
  async fn() {
    await withTempDir("inlet-couch-", async (dir) => {
      const { server, url } = await startCouch(dir);
      await using _server = server;
      const db = `${url}/db`;
      await couch(db, "PUT");
      await loadDocs(db, 1, DOCS);
      const c = connectorFromSpec(spec(url), "couch.json");
      const lake = `${dir}/lake`;

      const first = await pull(c, { lake, concurrency: 4 });
      assert.equal(first.status, "ok", first.errors.join("\n"));
      const byName = Object.fromEntries(
        first.streams.map((s) => [s.stream, s]),
      );
      assert.equal(byName.changes?.records, DOCS);
      // 10 full pages, then the page that answers since=last_seq, empty.
      assert.equal(byName.changes?.requests, DOCS / 1000 + 1);
      assert.equal(byName.docs?.records, DOCS);
      assert.equal(byName.docs?.requests, DOCS / 500 + 1);
      const ids = { n: "count(*)", ids: "count(DISTINCT id)" };
      assert.deepEqual(await viewStats(lake, c, "changes", ids), {
        n: DOCS,
        ids: DOCS,
      });
      const docIds = { n: "count(*)", ids: 'count(DISTINCT "_id")' };
      assert.deepEqual(
        await viewStats(lake, c, "docs", {
          ...docIds,
          lo: "min(\"_id\") = 'doc-000001'",
          hi: "max(\"_id\") = 'doc-010000'",
          sum: `sum(n) = ${(DOCS * (DOCS + 1)) / 2}`,
        }),
        { n: DOCS, ids: DOCS, lo: 1, hi: 1, sum: 1 },
      );

      // The README's custom paginator pulls the same docs.
      const { connector: readme } = await readmeConnector(
        "<!-- custom-paginator-example -->",
      );
      await using custom = await pullForTest(readme, {
        baseUrl: `${url}/db`,
      });
      assert.equal(custom.summary.status, "ok", custom.summary.errors.join());
      assertRecords(custom.rows.docs, { count: DOCS, uniqueKey: "id" });

      // 500 new docs and 100 edited ones: 600 changes after the bookmark.
      await loadDocs(db, DOCS + 1, DOCS + 500);
      const { rows } = await couch(
        `${db}/_all_docs?include_docs=true&limit=100`,
        "GET",
      );
      await couch(`${db}/_bulk_docs`, "POST", {
        docs: rows.map((r: { doc: Record<string, unknown> }) => ({
          ...r.doc,
          edited: true,
        })),
      });
      const second = await pull(c, { lake, concurrency: 4 });
      assert.equal(second.status, "ok", second.errors.join("\n"));
      const changes = second.streams.find((s) => s.stream === "changes");
      // CouchDB's `since` is exclusive: the bookmark's own change is not
      // sent again, so exactly the 600.
      assert.equal(changes?.records, 600);
      assert.deepEqual(await viewStats(lake, c, "changes", ids), {
        n: DOCS + 500,
        ids: DOCS + 500,
      });
      assert.deepEqual(
        await viewStats(lake, c, "docs", {
          ...docIds,
          edited: "count(*) FILTER (WHERE edited)",
        }),
        { n: DOCS + 500, ids: DOCS + 500, edited: 100 },
      );
    });
  },
});
