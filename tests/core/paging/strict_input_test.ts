/**
 * What the source sends is read strictly: records that are null, an object
 * where a list belongs, a record without its primary key, bytes that are not
 * UTF-8 all fail the run naming connector, stream, page, URL and field,
 * unless the stream opts in; and integers beyond 2^53 stay exact.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { HttpClient } from "../../../core/http/http.ts";
import { PaginationError } from "../../../core/connector/errors.ts";
import {
  extractRecords,
  newStreamStats,
  records,
} from "../../../core/paging/paginate.ts";
import {
  cursorPaginator,
  singlePaginator,
} from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { serveLocal } from "../../../core/testing/_serve.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { duck, streamStats, sumTo } from "../../_duckdb.ts";
import { tableSource } from "../../_iceberg.ts";
import { withTempDir } from "../../_lake.ts";

const enc = new TextEncoder();
// "café" in Latin-1: the byte 0xe9 is not UTF-8 where it stands.
const LATIN1 = new Uint8Array([
  ...enc.encode('{"items":[{"id":1,"name":"caf'),
  0xe9,
  ...enc.encode('"}]}'),
]);

/** A server answering every request with `body` as JSON bytes. */
function serveBody(body: string | Uint8Array<ArrayBuffer>) {
  return serveLocal(() =>
    new Response(body, {
      headers: { "content-type": "application/json" },
    })
  );
}

function stream(extra: Partial<StreamDef> = {}): StreamDef {
  return {
    path: "/items",
    params: { page: 3 },
    recordsPath: "items",
    primaryKey: "id",
    paginator: singlePaginator(),
    ...extra,
  };
}

/** The rows landed for stream `t/items`, by id. */
async function landed(lake: string): Promise<Record<string, unknown>[]> {
  const dir = `${lake}/t/items`;
  const source = await tableSource(dir);
  if (source === undefined) return [];
  return await duck(`SELECT * FROM ${source} ORDER BY id`);
}

const cases: Array<{
  name: string;
  body: string | Uint8Array<ArrayBuffer>;
  reason: RegExp;
  optIn: Partial<StreamDef>;
  /** What lands once the stream opts in. */
  rows: Record<string, unknown>[];
}> = [
  {
    name: "records that are null",
    body: '{"items":null}',
    reason: /records at "items" are null; .*allowNullRecords/,
    optIn: { allowNullRecords: true },
    rows: [],
  },
  {
    name: "records given as an object",
    body: '{"items":{"id":7,"name":"x"}}',
    reason:
      /records at "items" must be a list, found an object; .*allowSingleRecord/,
    optIn: { allowSingleRecord: true },
    rows: [{ id: 7, name: "x" }],
  },
  {
    name: "a record without its primary key",
    body: '{"items":[{"id":1,"name":"a"},{"name":"b"}]}',
    reason:
      /record 2 has no primary key field "id" \(found no such field\); .*allowMissingKey/,
    optIn: { allowMissingKey: true },
    rows: [{ id: 1, name: "a" }, { id: null, name: "b" }],
  },
  {
    name: "a record whose primary key is null",
    body: '{"items":[{"id":2,"name":"a"},{"id":null,"name":"b"}]}',
    reason: /record 2 has no primary key field "id" \(found null\)/,
    optIn: { allowMissingKey: true },
    rows: [{ id: 2, name: "a" }, { id: null, name: "b" }],
  },
  {
    name: "a body that is not UTF-8",
    body: LATIN1,
    reason:
      /body is not valid UTF-8 \(first bad byte at offset 29\); .*allowInvalidUtf8/,
    optIn: { allowInvalidUtf8: true },
    rows: [{ id: 1, name: "caf\ufffd" }],
  },
];

for (const t of cases) {
  Deno.test(`strict input: ${t.name} fails the run naming connector, stream, page and URL; opted in, it lands as sent`, async () => {
    await using server = serveBody(t.body);
    await withTempDir("inlet-strict-", async (lake) => {
      const c = testConnector(server.url, { items: stream() });
      const failed = await pull(c, { lake, fileRecords: 100 });
      assertEquals(failed.status, "failed");
      const error = failed.errors[0]!;
      assertMatch(error, /^Cannot read page 1 of "t\/items": /);
      assertMatch(error, t.reason);
      assert(error.endsWith(` at ${server.url}/items?page=3`), error);
      assertEquals(failed.streams[0]!.complete, false);
      assertEquals(await landed(lake), []);

      const opted = testConnector(server.url, { items: stream(t.optIn) });
      const ok = await pull(opted, { lake, fileRecords: 100 });
      assertEquals(ok.status, "ok", ok.errors.join("\n"));
      assertEquals(ok.streams[0]!.complete, true);
      assertEquals(ok.records, t.rows.length);
      const rows = (await landed(lake)).map((r) => ({
        id: r.id === null ? null : Number(r.id),
        name: r.name,
      }));
      assertEquals(rows, t.rows);
    });
  });
}

Deno.test("strict input: a connector flag that is not a boolean is a ConfigError", () => {
  assert.throws(
    () =>
      testConnector("http://127.0.0.1:1", {
        items: stream({ allowNullRecords: "yes" as unknown as boolean }),
      }),
    /stream "items": allowNullRecords must be true or false, got "yes"/,
  );
});

Deno.test("strict input: an id beyond 2^53 reaches the record exactly, as a bigint", async () => {
  await using server = serveBody(
    '{"items":[{"id":9007199254740993},{"id":9007199254740992},{"id":42}]}',
  );
  const ids: unknown[] = [];
  for await (
    const r of records({
      id: "t/items",
      baseUrl: server.url,
      stream: stream(),
      http: new HttpClient(),
      concurrency: 1,
      stats: newStreamStats(),
    })
  ) ids.push(r.id);
  assertEquals(ids, [9007199254740993n, 9007199254740992n, 42]);
});

Deno.test("strict input: a cursor beyond 2^53 is sent back with its exact digits", () => {
  const p = cursorPaginator({ cursorParam: "after", cursorPath: "next" });
  const next = p.next({
    request: p.first({}),
    url: "http://127.0.0.1/items",
    status: 200,
    headers: new Headers(),
    body: { next: 12345678901234567891n },
    records: [{ id: 1 }],
  }, {});
  assert(next.type === "next");
  assertEquals(next.request.params, { after: "12345678901234567891" });
});

Deno.test("strict input: a bigint where a record belongs is a PaginationError, not a TypeError", () => {
  assert.throws(
    () =>
      extractRecords({ items: [12345678901234567891n] }, "items", {
        stream: "t/items",
      }),
    (e) =>
      e instanceof PaginationError &&
      /records at "items" must be objects, found 12345678901234567891/.test(
        e.message,
      ),
  );
});

Deno.test("strict input: a page whose JSON body is cut short is retried; the run lands every record once", async () => {
  await using api = await startApiServer({
    records: 300,
    faults: [{ kind: "malformed", path: "offset=150", times: 2 }],
  });
  await withTempDir("inlet-strict-", async (lake) => {
    const c = testConnector(api.url, { items: offsetStream(50) });
    const summary = await pull(c, { lake, concurrency: 2, fileRecords: 100 });
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    assertEquals(summary.retries, 2);
    assertEquals(await streamStats(`${lake}/t/items`), {
      n: 300,
      ids: 300,
      s: sumTo(300),
    });
  });
});
