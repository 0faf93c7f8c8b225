/**
 * Nested objects are Iceberg structs: Parquet groups whose fields carry
 * their own field ids, kept across runs, widened field by field, new fields
 * added; an object whose shape is not stable is JSON text. Read back by
 * icebird (an independent Iceberg reader) and by DuckDB, values and all.
 */
import assert from "node:assert/strict";
import { icebergRead } from "icebird";
import { StreamTable } from "../../../core/lake/stream_table.ts";
import { StreamWriter } from "../../../core/lake/stream_writer.ts";
import type { Row } from "../../../core/connector/types.ts";
import { duck } from "../../_duckdb.ts";
import { tableSource, tableUrl } from "../../_iceberg.ts";
import { withStorage } from "../../_lake.ts";
import type { LocalStorage } from "../../../core/lake/local_storage.ts";

let runs = 0;

/** One run writing `pages` into "demo/items" and committing. */
async function run(
  lake: LocalStorage,
  pages: Row[][],
  columns?: Record<string, "json">,
): Promise<void> {
  const runId = `20260101T00000${runs++}Z-abcd`;
  const log = new StreamTable(lake, "demo/items", { runId });
  await log.recover();
  const writer = new StreamWriter({
    stream: "demo/items",
    storage: lake,
    log,
    encoder: "inline",
    ...(columns ? { columns } : {}),
  });
  for (const [page, rows] of pages.entries()) {
    await writer.write(rows, {
      page,
      url: `http://127.0.0.1:1/items?p=${page}`,
    });
  }
  await writer.commit({ done: true });
}

type Field = {
  id: number;
  name: string;
  type: string | { type: string; fields: Field[] };
};

async function currentFields(dir: string): Promise<Field[]> {
  const hint = (await Deno.readTextFile(`${dir}/metadata/version-hint.text`))
    .trim();
  const m = JSON.parse(
    await Deno.readTextFile(`${dir}/metadata/v${hint}.metadata.json`),
  );
  return m.schemas.find((s: { "schema-id": number }) =>
    s["schema-id"] === m["current-schema-id"]
  ).fields;
}

Deno.test("struct columns: nested objects are Iceberg structs icebird and DuckDB read back, ids kept across runs", async () => {
  runs = 0;
  await withStorage("inlet-struct-", async (lake, root) => {
    const dir = `${root}/demo/items`;
    await run(lake, [[
      { id: 1, user: { login: "ann", id: 10, site: { url: "u1" } } },
      { id: 2, user: { login: "bob", id: 20, site: null } },
      { id: 3, user: null },
      { id: 4, user: {} },
    ]]);
    const first = await currentFields(dir);
    const user1 = first.find((f) => f.name === "user")!;
    assert.equal(typeof user1.type, "object");
    // A new nested field and a widened one (TIMESTAMP strings only, then
    // other strings: still a string column) in a second run.
    await run(lake, [[
      {
        id: 5,
        user: { login: "cy", id: 30, admin: true, site: { url: "u5" } },
      },
    ]]);
    const second = await currentFields(dir);
    const user2 = second.find((f) => f.name === "user")!;
    assert.equal(user2.id, user1.id);
    const kids = (f: Field) =>
      new Map(
        (f.type as { fields: Field[] }).fields.map((k) => [k.name, k.id]),
      );
    for (const [name, id] of kids(user1)) {
      assert.equal(kids(user2).get(name), id, name);
    }
    assert(kids(user2).get("admin")! > Math.max(...kids(user1).values()));

    const rows = (await icebergRead({ tableUrl: tableUrl(dir) }))
      .sort((a, b) => Number(a.id) - Number(b.id));
    assert.equal(rows.length, 5);
    // icebird leaves out a nested field the file has no column for.
    assert.deepEqual(rows[0]!.user, {
      login: "ann",
      id: 10n,
      site: { url: "u1" },
    });
    assert.equal((rows[1]!.user as Row).login, "bob");
    assert.equal((rows[1]!.user as Row).site ?? null, null);
    assert.equal(rows[2]!.user ?? null, null); // icebird: undefined
    assert.equal((rows[4]!.user as Row).admin, true);
    assert.equal(((rows[4]!.user as Row).site as Row).url, "u5");

    const got = await duck(
      `SELECT id, user.login AS login, user.id AS uid, user.site.url AS url, user.admin AS admin, user IS NULL AS none FROM ${await tableSource(
        dir,
      )} ORDER BY id`,
    );
    assert.deepEqual(
      got.map((r) => [r.id, r.login, r.uid, r.url, r.admin, r.none]),
      [
        [1n, "ann", 10n, "u1", null, false],
        [2n, "bob", 20n, null, null, false],
        [3n, null, null, null, null, true],
        [4n, null, null, null, null, false],
        [5n, "cy", 30n, "u5", true, false],
      ],
    );
  });
});

Deno.test("struct columns: an object whose shape is not stable within a file is JSON text", async () => {
  runs = 0;
  await withStorage("inlet-struct-", async (lake, root) => {
    const dir = `${root}/demo/items`;
    await run(lake, [[
      { id: 1, meta: { a: 1 } },
      { id: 2, meta: { a: "one" } },
    ]]);
    const fields = await currentFields(dir);
    assert.equal(fields.find((f) => f.name === "meta")?.type, "string");
    const rows = (await icebergRead({ tableUrl: tableUrl(dir) }))
      .sort((a, b) => Number(a.id) - Number(b.id));
    // icebird parses JSON text; DuckDB shows the text itself.
    assert.deepEqual(rows.map((r) => r.meta), [{ a: 1 }, { a: "one" }]);
    const got = await duck(
      `SELECT meta::VARCHAR AS meta FROM ${await tableSource(dir)} ORDER BY id`,
    );
    assert.deepEqual(got.map((r) => r.meta), ['{"a":1}', '{"a":"one"}']);
  });
});

Deno.test("struct columns: an object with no typed field yet, and an empty nested list, are JSON text: {} and [] read back as written, and later shapes still fit", async () => {
  runs = 0;
  await withStorage("inlet-struct-", async (lake, root) => {
    const dir = `${root}/demo/items`;
    await run(lake, [[
      { id: 1, e: {}, s: { a: 1, l: [], o: {} } },
      { id: 2, e: { a: null }, s: { a: 2, l: null, o: null } },
    ]]);
    await run(lake, [[
      { id: 3, e: { a: 5 }, s: { a: 3, l: [1], o: { x: "y" } } },
    ]]);
    const fields = await currentFields(dir);
    assert.equal(fields.find((f) => f.name === "e")?.type, "string");
    const s = fields.find((f) => f.name === "s")!.type as { fields: Field[] };
    assert.deepEqual(s.fields.map((f) => [f.name, f.type]), [
      ["a", "long"],
      ["l", "string"],
      ["o", "string"],
    ]);
    const got = await duck(
      `SELECT e::VARCHAR AS e, s.a AS a, s.l::VARCHAR AS l, s.o::VARCHAR AS o FROM ${await tableSource(
        dir,
      )} ORDER BY id`,
    );
    assert.deepEqual(got, [
      { e: "{}", a: 1n, l: "[]", o: "{}" },
      { e: '{"a":null}', a: 2n, l: null, o: null },
      { e: '{"a":5}', a: 3n, l: "[1]", o: '{"x":"y"}' },
    ]);
  });
});

Deno.test("struct columns: a nested field that changes type after its struct was written fails naming the column, stream and page; declared json, it holds", async () => {
  runs = 0;
  await withStorage("inlet-struct-", async (lake) => {
    await run(lake, [[{ id: 1, s: { a: 1 } }]]);
    await assert.rejects(
      () => run(lake, [[{ id: 2, s: { a: 2 } }], [{ id: 3, s: { a: "x" } }]]),
      /field "s" was struct<a: long>, now string.* \(nested field "s\.a" was INT64, now STRING\) \(page 2\)$/,
    );
  });
  await withStorage("inlet-struct-", async (lake, root) => {
    await run(lake, [[{ id: 1, s: { a: 1 } }]], { s: "json" });
    await run(lake, [[{ id: 2, s: { a: "x" } }]], { s: "json" });
    const got = await duck(
      `SELECT s::VARCHAR AS s FROM ${await tableSource(
        `${root}/demo/items`,
      )} ORDER BY id`,
    );
    assert.deepEqual(got.map((r) => r.s), ['{"a":1}', '{"a":"x"}']);
  });
});
