/**
 * Records where they really are: a records path that walks lists
 * (`rows[].doc`, as CouchDB's `_all_docs?include_docs=true` answers), and the
 * declarative per-record transforms (add, rename, drop, keep), applied
 * before the primary key is checked, with values landed exactly.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import {
  ConfigError,
  PaginationError,
} from "../../../core/connector/errors.ts";
import { defineConnector } from "../../../core/connector/connector.ts";
import { readStates } from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { extractRecords } from "../../../core/paging/paginate.ts";
import { singlePaginator } from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { connectorFromSpec } from "../../../core/spec/connector_from_spec.ts";
import { json, serveLocal } from "../../../core/testing/_serve.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import { tableSource } from "../../_iceberg.ts";
import { duck } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";
import { withJsonServer } from "../../_json_server.ts";

const where = { stream: "t/docs", page: 0, url: "http://127.0.0.1/x" };

Deno.test("records path: rows[].doc takes each element's doc, in order", () => {
  const body = {
    total_rows: 2,
    rows: [
      { id: "a", doc: { _id: "a", n: 1 } },
      { id: "b", doc: { _id: "b", n: 2n ** 63n } },
    ],
  };
  assertEquals(extractRecords(body, "rows[].doc", where), [
    { _id: "a", n: 1 },
    { _id: "b", n: 2n ** 63n },
  ]);
  // A tail that is a list adds its records; "[]" walks the body itself.
  assertEquals(
    extractRecords(
      [{ items: [{ id: 1 }, { id: 2 }] }, { items: [] }],
      "[].items",
      where,
    ),
    [{ id: 1 }, { id: 2 }],
  );
  assertEquals(
    extractRecords(
      { g: [{ r: [{ d: { id: 1 } }] }, { r: [{ d: { id: 2 } }] }] },
      "g[].r[].d",
      where,
    ),
    [{ id: 1 }, { id: 2 }],
  );
});

Deno.test("records path: no list at all is an error naming the page; so is an element without the tail", () => {
  const err = (body: unknown, path: string) => {
    try {
      extractRecords(body, path, where);
    } catch (e) {
      assert(e instanceof PaginationError);
      return e.message;
    }
    assert.fail("no error");
  };
  assertMatch(
    err({ error: "not_found" }, "rows[].doc"),
    /^Cannot read page 1 of "t\/docs": records path "rows\[\]\.doc": "rows" is missing from the response/,
  );
  assertMatch(
    err({ rows: { doc: {} } }, "rows[].doc"),
    /"rows" must be a list, found/,
  );
  assertMatch(
    err(
      { rows: [{ doc: { _id: "a" } }, { id: "b", value: {} }] },
      "rows[].doc",
    ),
    /rows\[1\] has no "doc" \(found nothing\); the stream may set allowNullRecords to skip such elements/,
  );
  assertMatch(
    err({ rows: [{ doc: "a" }] }, "rows[].doc"),
    /rows\[0\]\.doc must be a record/,
  );
  assertMatch(err({ rows: [] }, "rows[0].doc"), /is not well formed/);
  // Opted in: elements without the tail are skipped, no list is no record.
  const allow = { allowNullRecords: true };
  assertEquals(
    extractRecords(
      { rows: [{ doc: null }, { doc: { id: 1 } }] },
      "rows[].doc",
      where,
      allow,
    ),
    [{ id: 1 }],
  );
  assertEquals(extractRecords({}, "rows[].doc", where, allow), []);
});

Deno.test("records path: a malformed path is refused when the connector is defined", () => {
  const stream = (recordsPath: string): StreamDef => ({
    path: "/x",
    recordsPath,
    primaryKey: "id",
    paginator: singlePaginator(),
  });
  const define = (recordsPath: string) =>
    defineConnector({
      name: "t",
      baseUrl: "http://127.0.0.1",
      streams: { docs: stream(recordsPath) },
    });
  define("rows[].doc");
  assert.throws(() => define("rows[0].doc"), ConfigError);
  assert.throws(() => define("rows[]doc"), /recordsPath must be a dot path/);
});

/** CouchDB `_all_docs?include_docs=true`, as pouchdb-server answers it. */
function allDocs(): unknown {
  const doc = (i: number, type: string) => ({
    _id: `doc-${String(i).padStart(3, "0")}`,
    _rev: `1-${i}`,
    type,
    // Beyond 2^53: must land exactly.
    big: 2n ** 60n + BigInt(i),
  });
  return {
    total_rows: 4,
    offset: 0,
    rows: [1, 2, 3, 4].map((i) => {
      const d = doc(i, i === 3 ? "note" : "issue");
      return { id: d._id, key: d._id, value: { rev: d._rev }, doc: d };
    }),
  };
}

Deno.test("transforms: _all_docs rows[].doc renamed, dropped and filtered land exactly, read back with DuckDB", async () => {
  await using server = serveLocal((_req, url) =>
    url.pathname === "/db/_all_docs"
      ? new Response(
        // Written by hand so the big integers are JSON numbers.
        JSON.stringify(
          allDocs(),
          (_k, v) => typeof v === "bigint" ? `@${v}@` : v,
        )
          .replace(/"@(\d+)@"/g, "$1"),
        { headers: { "content-type": "application/json" } },
      )
      : json(404, { error: "not_found" })
  );
  const spec = {
    name: "couch",
    baseUrl: server.url,
    streams: {
      docs: {
        path: "/db/_all_docs",
        params: { include_docs: "true" },
        recordsPath: "rows[].doc",
        primaryKey: "id",
        transforms: [
          { rename: { _id: "id" } },
          { drop: ["_rev"] },
          { keep: { field: "type", equals: "issue" } },
          { add: { db: "couch-main" } },
        ],
        paginator: { type: "single" },
      },
    },
  };
  await withTempDir("inlet-transforms-", async (lake) => {
    const summary = await pull(connectorFromSpec(spec, "couch.json"), { lake });
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    assertEquals(summary.records, 3);
    const rows = await duck(
      `SELECT * EXCLUDE (big), big::VARCHAR AS big FROM ${await tableSource(
        `${lake}/couch/docs`,
      )} ORDER BY id`,
    );
    assertEquals(
      rows,
      [1, 2, 4].map((i) => ({
        id: `doc-00${i}`,
        type: "issue",
        db: "couch-main",
        big: String(2n ** 60n + BigInt(i)),
      })),
    );
  });
  // Without the rename the key "id" is missing: checked after transforms.
  spec.streams.docs.transforms = [{ drop: ["_rev"] }];
  await withTempDir("inlet-transforms-", async (lake) => {
    const summary = await pull(connectorFromSpec(spec, "couch.json"), { lake });
    assertEquals(summary.status, "failed");
    assertMatch(summary.errors[0]!, /record 1 has no primary key field "id"/);
  });
});

Deno.test("transforms: a rename onto a field the record has fails the stream rather than lose a value", async () => {
  await using server = serveLocal(() => json(200, [{ _id: "a", id: "other" }]));
  const c = defineConnector({
    name: "t",
    baseUrl: server.url,
    streams: {
      docs: {
        path: "/x",
        primaryKey: "id",
        transforms: [{ rename: { _id: "id" } }],
        paginator: singlePaginator(),
      },
    },
  });
  await withTempDir("inlet-transforms-", async (lake) => {
    const summary = await pull(c, { lake });
    assertEquals(summary.status, "failed");
    assertMatch(
      summary.errors[0]!,
      /page 1 of "t\/docs".*transforms\[0\]\.rename: record 1 has both "_id" and "id"/,
    );
  });
});

Deno.test("transforms: checked when the connector is defined, naming the transform", () => {
  const define = (transforms: unknown, extra: Partial<StreamDef> = {}) =>
    defineConnector({
      name: "t",
      baseUrl: "http://127.0.0.1",
      options: { region: { description: "r" } },
      streams: {
        a: { path: "/a", primaryKey: "id", paginator: singlePaginator() },
        b: {
          path: "/b",
          primaryKey: "id",
          paginator: singlePaginator(),
          transforms: transforms as NonNullable<StreamDef["transforms"]>,
          ...extra,
        },
      },
    });
  define([{ add: { region: "{region}", at: 3, none: null } }]);
  assert.throws(
    () => define([{ add: { repo: "{parent.full_name}" } }]),
    /stream "b": transforms\[0\]\.add uses \{parent\.full_name\} but the stream has no parent/,
  );
  assert.throws(
    () => define([{ add: { x: "{regoin}" } }]),
    /transforms\[0\]\.add\.x uses \{regoin\}, which is neither/,
  );
  assert.throws(
    () => define([{ rename: { a: "b" }, drop: ["c"] }]),
    /exactly one of add, rename, drop, keep/,
  );
  assert.throws(
    () => define([{ keep: { field: "type" } }]),
    /must be \{ field, equals \}/,
  );
  assert.throws(() => define([{ drop: [] }]), /must be a list of field names/);
  define(
    [{ add: { parent_id: "{parent.id}", label: "{parent.name}/{id}" } }],
    { path: "/b/{id}", parent: { stream: "a", field: "id" } },
  );
});

Deno.test("transforms in a spec: a misspelt kind or field gets a did-you-mean", () => {
  const spec = (transforms: unknown) => ({
    name: "t",
    baseUrl: "http://127.0.0.1",
    streams: {
      a: {
        path: "/a",
        primaryKey: "id",
        paginator: { type: "single" },
        transforms,
      },
    },
  });
  assert.throws(
    () => connectorFromSpec(spec([{ rname: { _id: "id" } }]), "t.json"),
    /spec t\.json: streams\.a\.transforms\[0\]\.rname is not a known field \(did you mean "rename"\?\)/,
  );
  assert.throws(
    () =>
      connectorFromSpec(
        spec([{ keep: { field: "type", equal: "x" } }]),
        "t.json",
      ),
    /transforms\[0\]\.keep\.equal is not a known field \(did you mean "equals"\?\)/,
  );
  assert.throws(
    () => connectorFromSpec(spec({ drop: ["a"] }), "t.json"),
    /streams\.a\.transforms must be a list/,
  );
  assert.throws(
    () => connectorFromSpec(spec([{ add: { x: "{parent.id}" } }]), "t.json"),
    /spec t\.json: .*has no parent/,
  );
});

Deno.test("records path and transforms against json-server 0.17.4: embedded lists and a dependent stream with parent fields", async () => {
  const posts = [1, 2, 3].map((id) => ({
    id,
    title: `post ${id}`,
    kind: id === 2 ? "draft" : "live",
  }));
  const comments = Array.from({ length: 12 }, (_, i) => ({
    id: i + 1,
    postId: 1 + (i % 3),
    body: `c${i + 1}`,
  }));
  await withJsonServer({ posts, comments }, async (url, dir) => {
    const spec = {
      name: "js",
      baseUrl: url,
      options: { site: { description: "the site", default: "blog" } },
      streams: {
        posts: {
          path: "/posts",
          primaryKey: "id",
          transforms: [{ keep: { field: "kind", notEquals: "draft" } }],
          paginator: { type: "single" },
        },
        // `_embed` nests each post's comments: "[].comments" walks them.
        embedded: {
          path: "/posts",
          params: { _embed: "comments" },
          recordsPath: "[].comments",
          primaryKey: "id",
          transforms: [{ rename: { postId: "post" } }, {
            add: { site: "{site}" },
          }],
          paginator: { type: "single" },
        },
        post_comments: {
          path: "/posts/{id}/comments",
          parent: { stream: "posts", field: "id" },
          primaryKey: "id",
          transforms: [
            { add: { post_title: "{parent.title}", post_id: "{parent.id}" } },
            { drop: ["postId"] },
          ],
          paginator: { type: "single" },
        },
      },
    };
    const lake = `${dir}/lake`;
    const summary = await pull(connectorFromSpec(spec, "js.json"), { lake });
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    const read = async (stream: string, cols: string) =>
      await duck(
        `SELECT ${cols} FROM ${await tableSource(
          `${lake}/js/${stream}`,
        )} ORDER BY id`,
      );
    assertEquals(await read("posts", "id::INT AS id"), [{ id: 1 }, { id: 3 }]);
    const embedded = await read(
      "embedded",
      "id::INT AS id, post::INT AS post, site",
    );
    assertEquals(
      embedded,
      comments.map((c) => ({ id: c.id, post: c.postId, site: "blog" })),
    );
    // Only the comments of the posts kept (1 and 3), each with its parent's fields.
    const rows = await read(
      "post_comments",
      "id::INT AS id, post_id::INT AS post_id, post_title",
    );
    const columns = await duck(
      `SELECT column_name FROM (DESCRIBE SELECT * FROM ${await tableSource(
        `${lake}/js/post_comments`,
      )})`,
    );
    assert(!columns.some((c) => c.column_name === "postId"));
    assertEquals(
      rows,
      comments.filter((c) => c.postId !== 2).map((c) => ({
        id: c.id,
        post_id: c.postId,
        post_title: `post ${c.postId}`,
      })),
    );
  });
});

Deno.test("transforms: the cursor field is read after transforms, so a renamed field moves the bookmark", async () => {
  await using server = serveLocal(() =>
    json(200, {
      results: [
        { _id: "a", modified: "2024-01-02T00:00:00Z" },
        { _id: "b", modified: "2024-01-03T00:00:00Z" },
      ],
    })
  );
  const c = defineConnector({
    name: "t",
    baseUrl: server.url,
    streams: {
      docs: {
        path: "/x",
        recordsPath: "results",
        primaryKey: "id",
        transforms: [{ rename: { _id: "id", modified: "updated_at" } }],
        incremental: { cursorField: "updated_at", param: "since" },
        paginator: singlePaginator(),
      },
    },
  });
  await withTempDir("inlet-transforms-", async (lake) => {
    const summary = await pull(c, { lake });
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    const [report] = await readStates(new LocalStorage(lake), c);
    assertEquals(
      (report!.state as { bookmark: Record<string, string> }).bookmark[""],
      "2024-01-03T00:00:00Z",
    );
  });
});
