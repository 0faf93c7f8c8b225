/**
 * Paging shapes of real APIs, unit by unit: a feed that ends by answering
 * its own cursor (CouchDB `_changes`), totals in a header (json-server,
 * PostgREST), keyset paging (CouchDB `_all_docs`), a cursor in a POST body
 * (GraphQL), and their spec forms. End to end against the real servers:
 * tests/connectors/couchdb_test.ts and jsonserver_test.ts.
 */
import assert from "node:assert/strict";
import { PaginationError } from "../../../core/connector/errors.ts";
import { defineConnector } from "../../../core/connector/connector.ts";
import {
  cursorPaginator,
  keysetPaginator,
  offsetPaginator,
  pageNumberPaginator,
} from "../../../core/paging/paginators.ts";
import { requestBody } from "../../../core/paging/_request_url.ts";
import { connectorFromSpec } from "../../../core/spec/connector_from_spec.ts";
import { pull } from "../../../core/run/pull.ts";
import { json, serveLocal } from "../../../core/testing/_serve.ts";
import { withTempDir } from "../../_lake.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  Row,
} from "../../../core/connector/types.ts";

const URL0 = "http://127.0.0.1:5984/db/_changes";

function page(
  request: PageRequest,
  over: Partial<PageResponse> = {},
): PageResponse {
  return {
    request,
    url: URL0,
    status: 200,
    headers: new Headers(),
    body: {},
    records: [],
    ...over,
  };
}

const rows = (n: number, from = 1): Row[] =>
  Array.from({ length: n }, (_, i) => ({ id: `doc-${from + i}` }));

function planned(next: Next): PageRequest[] {
  if (next.type === "done") return [];
  if (next.type === "next") return [next.request];
  return [...next.requests];
}

Deno.test("cursorPaginator: a feed that answers its own cursor with no records has ended (CouchDB _changes)", () => {
  const p = cursorPaginator({
    cursorParam: "since",
    cursorPath: "last_seq",
    limitParam: "limit",
    limit: 2,
  });
  const mid = p.next(
    page({ index: 3, params: { limit: "2", since: "6" } }, {
      records: rows(2, 7),
      body: { last_seq: 8 },
    }),
    {},
  );
  assert.deepEqual(planned(mid).map((r) => r.params?.since), ["8"]);
  const end = p.next(
    page({ index: 4, params: { limit: "2", since: "8" } }, {
      records: [],
      body: { results: [], last_seq: 8 },
    }),
    {},
  );
  assert.deepEqual(end, { type: "done" });
});

Deno.test("cursorPaginator: a cursor that repeats with records still fails, naming the page and the count", () => {
  const p = cursorPaginator({ cursorParam: "since", cursorPath: "last_seq" });
  assert.throws(
    () =>
      p.next(
        page({ index: 50, params: { since: "50000" } }, {
          records: rows(3),
          body: { last_seq: "50000" },
        }),
        {},
      ),
    (err: unknown) =>
      err instanceof PaginationError &&
      err.message.includes("cursor repeats: since=50000 came back with 3") &&
      err.message.includes("page 51") && err.message.includes(URL0),
  );
});

Deno.test("offsetPaginator: the total from X-Total-Count or Content-Range plans every page at once", () => {
  for (
    const [totalHeader, value] of [
      ["X-Total-Count", "120"],
      ["Content-Range", "0-49/120"],
      ["Content-Range", "items 0-49/120"],
    ] as const
  ) {
    const p = offsetPaginator({
      limit: 50,
      offsetParam: "_start",
      limitParam: "_limit",
      totalHeader,
    });
    const first = p.first({});
    const next = p.next(
      page(first, {
        headers: new Headers({ [totalHeader]: value }),
        records: rows(50),
        body: [],
      }),
      {},
    );
    assert.equal(next.type, "fanout", value);
    assert.deepEqual(planned(next).map((r) => r.params?._start), ["50", "100"]);
  }
});

Deno.test("offsetPaginator: a missing or uncounted total header fails naming the header", () => {
  const p = offsetPaginator({ limit: 50, totalHeader: "Content-Range" });
  for (
    const [headers, want] of [
      [{}, 'total header "Content-Range" is missing'],
      [{ "content-range": "0-49/*" }, "Prefer: count=exact"],
      [{ "content-range": "lots" }, 'not a count (found "lots")'],
    ] as const
  ) {
    assert.throws(
      () =>
        p.next(
          page(p.first({}), {
            headers: new Headers(headers),
            records: rows(50),
          }),
          {},
        ),
      (err: unknown) =>
        err instanceof PaginationError && err.message.includes(want),
    );
  }
  assert.throws(
    () => offsetPaginator({ limit: 5, totalPath: "n", totalHeader: "X-T" }),
    /give option "totalPath" or "totalHeader", not both/,
  );
  assert.throws(
    () => offsetPaginator({ limit: 5, totalHeader: "X Total" }),
    /must be a header name/,
  );
});

Deno.test("pageNumberPaginator: the total from a header plans every page", () => {
  const p = pageNumberPaginator({
    pageParam: "_page",
    sizeParam: "_limit",
    size: 10,
    totalHeader: "X-Total-Count",
  });
  const next = p.next(
    page(p.first({}), {
      headers: new Headers({ "x-total-count": "35" }),
      records: rows(10),
    }),
    {},
  );
  assert.equal(next.type, "fanout");
  assert.deepEqual(planned(next).map((r) => r.params?._page), ["2", "3", "4"]);
  assert.throws(
    () =>
      pageNumberPaginator({
        totalPagesPath: "p",
        totalHeader: "X-Total-Count",
      }),
    /not both/,
  );
});

Deno.test("keysetPaginator: JSON-encoded keys with skip (CouchDB _all_docs), raw keys (?after=)", () => {
  const couch = keysetPaginator({
    keyParam: "startkey",
    encode: "json",
    skip: 1,
    limit: 2,
  });
  const second = planned(
    couch.next(page(couch.first({}), { records: rows(2, 49) }), {}),
  )[0]!;
  assert.deepEqual(second, {
    index: 1,
    params: { limit: "2", startkey: '"doc-50"', skip: "1" },
  });
  // A short page goes on (the source may cap its page size below `limit`);
  // only an empty page ends.
  const third = planned(
    couch.next(page(second, { records: rows(1, 51) }), {}),
  )[0]!;
  assert.deepEqual(third.params, {
    limit: "2",
    startkey: '"doc-51"',
    skip: "1",
  });
  assert.deepEqual(couch.next(page(third, { records: [] }), {}), {
    type: "done",
  });

  const after = keysetPaginator({ keyParam: "after", limit: 2 });
  const next = planned(
    after.next(page(after.first({}), { records: [{ id: 7 }, { id: 9 }] }), {}),
  );
  assert.deepEqual(next[0]?.params, { limit: "2", after: "9" });
});

Deno.test("keysetPaginator: a key that comes back, a missing key and an ignored limit fail loudly", () => {
  const p = keysetPaginator({ keyParam: "startkey", encode: "json", limit: 2 });
  const cases: Array<[PageResponse, string]> = [
    [
      page({ index: 4, params: { startkey: '"doc-2"' } }, {
        records: [{ id: "doc-2" }, { id: "doc-2" }],
      }),
      'key repeats: startkey="doc-2"',
    ],
    [
      page({ index: 0 }, { records: [{ id: 1 }, { name: "x" }] }),
      'the last record has no "id"',
    ],
    [page({ index: 0 }, { records: rows(3) }), "more than limit=2"],
  ];
  for (const [p0, want] of cases) {
    assert.throws(
      () => p.next(p0, {}),
      (err: unknown) =>
        err instanceof PaginationError && err.message.includes(want) &&
        err.message.includes(`page ${p0.request.index + 1}`),
    );
  }
  assert.throws(
    () => keysetPaginator({ keyParam: "limit", limit: 2 }),
    /must differ/,
  );
  assert.throws(
    () => keysetPaginator({ keyParam: "k", limit: 2, encode: "yaml" as never }),
    /"encode" must be one of "raw", "json"/,
  );
});

Deno.test("cursorPaginator: a GraphQL connection pages in the POST body and ends on hasNextPage=false", () => {
  const p = cursorPaginator({
    cursorIn: "body",
    cursorParam: "variables.after",
    cursorPath: "data.repository.issues.pageInfo.endCursor",
    hasMorePath: "data.repository.issues.pageInfo.hasNextPage",
    limitParam: "variables.first",
    limit: 2,
  });
  const first = p.first({});
  assert.deepEqual(first, {
    index: 0,
    params: {},
    bodyParams: { "variables.first": 2 },
  });
  const info = (hasNextPage: boolean, endCursor: string | null) => ({
    data: { repository: { issues: { pageInfo: { hasNextPage, endCursor } } } },
  });
  const next = planned(
    p.next(page(first, { records: rows(2), body: info(true, "c2") }), {}),
  )[0]!;
  assert.deepEqual(next.bodyParams, {
    "variables.first": 2,
    "variables.after": "c2",
  });
  const stream = {
    method: "POST" as const,
    body: { query: "query($after: String)", variables: { after: null } },
  };
  assert.deepEqual(JSON.parse(requestBody(stream, next)!), {
    query: "query($after: String)",
    variables: { after: "c2", first: 2 },
  });
  assert.deepEqual(
    p.next(page(next, { records: rows(1), body: info(false, "c3") }), {}),
    { type: "done" },
  );
});

Deno.test("a stream that pages in the body must be POST; a body needs POST", () => {
  const base = {
    name: "gql",
    baseUrl: "http://127.0.0.1:9/graphql",
  };
  const paginator = cursorPaginator({
    cursorIn: "body",
    cursorParam: "variables.after",
    cursorPath: "data.next",
  });
  assert.throws(
    () =>
      defineConnector({
        ...base,
        streams: { issues: { path: "", primaryKey: "id", paginator } },
      }),
    /stream "issues": its cursor paginator sends values in the body, which needs method "POST"/,
  );
  assert.throws(
    () =>
      defineConnector({
        ...base,
        streams: {
          issues: {
            path: "",
            primaryKey: "id",
            paginator: keysetPaginator({ keyParam: "after", limit: 5 }),
            body: { query: "x" },
          },
        },
      }),
    /body is sent only with method "POST"/,
  );
  assert.throws(
    () =>
      defineConnector({
        ...base,
        streams: {
          issues: {
            path: "",
            primaryKey: "id",
            method: "POST",
            body: { query: " mutation { closeIssue(id: 1) { id } }" },
            paginator,
          },
        },
      }),
    /body\.query is a GraphQL mutation; a POST stream is a read/,
  );
});

Deno.test("spec: keyset, id_range, totalHeader, cursorIn and POST bodies are checked and built", () => {
  const c = connectorFromSpec({
    name: "couch",
    baseUrl: "http://127.0.0.1:5984",
    streams: {
      docs: {
        path: "/db/_all_docs",
        recordsPath: "rows",
        primaryKey: "id",
        paginator: {
          type: "keyset",
          keyParam: "startkey",
          keyField: "id",
          encode: "json",
          skip: 1,
          limit: 50,
        },
      },
      items: {
        path: "/v0/item/{id}.json",
        primaryKey: "id",
        allowSingleRecord: true,
        paginator: {
          type: "id_range",
          maxIdPath: "/v0/maxitem.json",
          itemPath: "/v0/item/{id}.json",
          count: 100,
        },
      },
      users: {
        path: "/users",
        primaryKey: "id",
        paginator: { type: "offset", limit: 10, totalHeader: "X-Total-Count" },
      },
      issues: {
        path: "/graphql",
        method: "POST",
        body: { query: "{ x }", variables: { after: null } },
        recordsPath: "data.issues.nodes",
        primaryKey: "id",
        paginator: {
          type: "cursor",
          cursorIn: "body",
          cursorParam: "variables.after",
          cursorPath: "data.issues.pageInfo.endCursor",
          hasMorePath: "data.issues.pageInfo.hasNextPage",
        },
      },
    },
  }, "couch.json");
  assert.equal(c.streams.docs?.paginator.type, "keyset");
  assert.equal(c.streams.items?.paginator.type, "id_range");
  assert.equal(c.streams.issues?.method, "POST");
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [
      { type: "keyset", keyParam: "k", limit: 5, encode: "xml" },
      /paginator\.encode must be one of raw, json; got "xml"/,
    ],
    [
      { type: "id_range", itemPath: "/i/{id}" },
      /not a valid id_range paginator: idRangePaginator: option "maxIdPath" is required/,
    ],
    [
      { type: "offset", limit: 5, totalHeader: "X-T", totalPath: "n" },
      /not both/,
    ],
  ];
  for (const [paginator, want] of bad) {
    assert.throws(
      () =>
        connectorFromSpec({
          name: "x",
          baseUrl: "http://127.0.0.1:1",
          streams: { a: { path: "/a", primaryKey: "id", paginator } },
        }, "x.json"),
      want,
    );
  }
  assert.throws(
    () =>
      connectorFromSpec({
        name: "x",
        baseUrl: "http://127.0.0.1:1",
        streams: {
          a: {
            path: "/a",
            primaryKey: "id",
            method: "PUT",
            paginator: { type: "single" },
          },
        },
      }, "x.json"),
    /streams\.a\.method must be one of GET, POST; got "PUT"/,
  );
});

Deno.test("keysetPaginator: a source that caps its page below `limit` still gives every record", async () => {
  // Our own server: no npm server here caps a keyset page size. It answers
  // at most 3 records whatever `limit` asks (10).
  const ids = Array.from({ length: 11 }, (_, i) => i + 1);
  await using server = serveLocal((_req, url) => {
    const after = Number(url.searchParams.get("after") ?? 0);
    return json(200, {
      items: ids.filter((id) => id > after).slice(0, 3).map((id) => ({ id })),
    });
  });
  const c = defineConnector({
    name: "capped",
    baseUrl: server.url,
    hosts: ["127.0.0.1"],
    streams: {
      items: {
        path: "/items",
        recordsPath: "items",
        primaryKey: "id",
        paginator: keysetPaginator({ keyParam: "after", limit: 10 }),
      },
    },
  });
  await withTempDir("inlet-keyset-cap-", async (lake) => {
    const run = await pull(c, { lake });
    assert.equal(run.status, "ok", run.errors.join("\n"));
    // 11 records in pages of 3, then the empty page that ends the stream.
    assert.equal(run.records, 11);
    assert.equal(server.requests.length, 5);
  });
});
