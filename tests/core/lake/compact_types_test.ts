/**
 * Compaction of a merge stream whose records carry nested objects (a
 * struct, a struct holding a struct, a list) and declared columns (decimal,
 * epoch-second timestamp, date, int, float, JSON text): after it, icebird
 * and DuckDB read one row per key with the newest values, exact decimals
 * and timestamps, the table schema is the same, the next pull resumes and
 * adds a nested field, and expiring after that leaves the same rows, in
 * `deno task query` too.
 */
import assert from "node:assert/strict";
import { icebergRead } from "icebird";
import { loadTable } from "../../../core/iceberg/table.ts";
import { compactTable } from "../../../core/lake/compact_table.ts";
import { expireTable } from "../../../core/lake/expire_table.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { pull } from "../../../core/run/pull.ts";
import { queryLake } from "../../../core/lake/query.ts";
import { offsetPaginator } from "../../../core/paging/paginators.ts";
import { testConnector } from "../../_connectors.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import type { ColumnDeclaration } from "../../../core/connector/column_type.ts";
import { duck, sqlString } from "../../_duckdb.ts";
import { tableFiles, tableSource, tableUrl } from "../../_iceberg.ts";
import { withTempDir } from "../../_lake.ts";

type Row = Record<string, unknown>;

/** Every declared type, decimals in each physical form (INT32, INT64, 16 bytes). */
const DECLARED = Object.fromEntries(
  "amount:decimal(18,2) small:decimal(5,2) wide:decimal(30,3) ms:timestamp_ms at:timestamp ok:boolean s:string l:long d:double created:timestamp_s day:date n:int f:float meta:json"
    .split(" ").map((c) => c.split(/:(.*)/).slice(0, 2)),
) as Record<string, ColumnDeclaration>;

const KEYS = 60;
const T0 = 1_700_000_000; // epoch seconds

/** Record `id` as the source serves it in run `run` (every third key changes). */
function record(id: number, run: number, admin = false): Row {
  const v = id % 3 === 0 ? run : 1;
  return {
    id,
    name: `n${id}-r${v}`,
    user: {
      login: `u${id}-r${v}`,
      uid: id * 10 + v,
      site: { url: `https://x/${id}/${v}`, port: 8000 + v },
      ...(admin ? { admin: id % 2 === 0 } : {}),
    },
    tags: [`t${id}`, `r${v}`],
    links: [{ rel: "self", href: `/i/${id}/${v}` }, {
      rel: `r${v}`,
      href: `/r/${v}`,
    }],
    amount: `${id}${v}.0${v}`,
    small: -(id + v / 100),
    wide: `${10n ** 26n * BigInt(v) + BigInt(id)}.00${v}`,
    ms: (T0 + id) * 1000 + v,
    at: `2024-05-0${v}T12:00:0${id % 10}.123456+02:00`,
    ok: id % 2 === 0,
    s: id,
    l: `${id}`,
    d: `${id}.5`,
    created: T0 + id * 86_400 + v,
    day: `2024-0${v}-1${id % 10}`,
    n: id * 1000 + v,
    f: id + v / 4,
    meta: { any: [id, { v }] },
  };
}

/** What every reader must see of `record(id, run)`, in DuckDB's terms. */
function expected(id: number, run: number): Row {
  const r = record(id, run);
  const u = r.user as { login: string; uid: number; site: Row };
  return {
    id: BigInt(id),
    name: r.name,
    login: u.login,
    uid: BigInt(u.uid),
    url: u.site.url,
    port: BigInt(u.site.port as number),
    tags: (r.tags as string[]).join(","),
    links: r.links,
    amount: r.amount,
    small: (r.small as number).toFixed(2),
    wide: r.wide,
    ms: BigInt(r.ms as number) * 1000n,
    at: BigInt(Date.parse(r.at as string)) * 1000n + 456n,
    ok: r.ok,
    s: String(r.s),
    l: BigInt(r.l as string),
    d: Number(r.d),
    created: BigInt(r.created as number) * 1_000_000n,
    day: r.day,
    n: r.n,
    f: r.f,
    meta: JSON.parse(JSON.stringify(r.meta)),
  };
}

/** A source of `KEYS` records, offset-paged by 10, served from `rows()`. */
function serve(rows: () => Row[]) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const offset = Number(new URL(req.url).searchParams.get("offset"));
      const all = rows();
      return Response.json({
        items: all.slice(offset, offset + 10),
        total: all.length,
      });
    },
  );
}

/** Connector "c" whose stream "items" pulls `server`'s records. */
function connector(
  server: Deno.HttpServer<Deno.NetAddr>,
  extra: Partial<StreamDef>,
) {
  return testConnector(`http://127.0.0.1:${server.addr.port}`, {
    items: {
      path: "/items",
      params: { limit: 10 },
      recordsPath: "items",
      primaryKey: "id",
      paginator: offsetPaginator({ limit: 10, totalPath: "total" }),
      ...extra,
    },
  }, "c");
}

async function duckRows(dir: string): Promise<Row[]> {
  const rows = await duck(
    `SELECT id, name, user.login AS login, user.uid AS uid,
       user.site.url AS url, user.site.port AS port,
       array_to_string(tags, ',') AS tags, links,
       amount::VARCHAR AS amount, small::VARCHAR AS small, wide::VARCHAR AS wide,
       epoch_us(ms) AS ms, epoch_us("at") AS "at", ok, s, l, d,
       epoch_us(created) AS created, day::VARCHAR AS day, n, f, meta
     FROM ${await tableSource(dir)} ORDER BY id`,
  );
  // A list of objects is JSON text (structs are for objects' fields).
  return rows.map((r) => ({
    ...r,
    links: JSON.parse(String(r.links)),
    meta: JSON.parse(String(r.meta)),
  }));
}

async function schemaOf(lake: string) {
  const m = (await loadTable(new LocalStorage(lake), "c/items")).metadata!;
  return m.schemas.find((s) => s["schema-id"] === m["current-schema-id"])!;
}

/** A data file's Parquet columns: name, field id, physical and logical type. */
async function parquetColumns(file: string): Promise<string[]> {
  const rows = await duck(
    `SELECT name, field_id, type, scale, precision, logical_type
     FROM parquet_schema(${sqlString(file)}) WHERE field_id IS NOT NULL`,
  );
  // Of logical types only timestamps' (unit and zone): DuckDB writes others
  // where inlet writes the converted type only.
  const ts = (t: unknown) => String(t).startsWith("Timestamp") ? t : "";
  return rows.map((r) =>
    `${r.name} ${r.field_id} ${r.type} ${r.scale} ${r.precision} ${
      ts(r.logical_type)
    }`
  ).sort();
}

async function duckTypes(dir: string): Promise<Row> {
  const rows = await duck(`DESCRIBE SELECT * FROM ${await tableSource(dir)}`);
  return Object.fromEntries(rows.map((r) => [r.column_name, r.column_type]));
}

/** icebird's rows, checked against `run`'s records for every key. */
async function checkIcebird(dir: string, run: number): Promise<void> {
  const rows = (await icebergRead({ tableUrl: tableUrl(dir) }))
    .sort((a, b) => Number(a.id) - Number(b.id));
  assert.equal(rows.length, KEYS);
  assert.equal(new Set(rows.map((r) => Number(r.id))).size, KEYS);
  for (const r of rows) {
    const want = record(Number(r.id), run);
    const u = r.user as Row, w = want.user as Row;
    assert.equal(r.name, want.name);
    assert.equal(u.login, w.login);
    assert.equal(Number(u.uid), w.uid);
    assert.deepEqual(
      { url: (u.site as Row).url, port: Number((u.site as Row).port) },
      w.site,
    );
    assert.deepEqual(r.tags, want.tags);
    assert.equal(Number(r.n), want.n);
    assert.equal(Number(r.f), want.f);
    assert.equal(
      new Date(r.created as Date).getTime(),
      (want.created as number) * 1000,
    );
    assert.deepEqual(r.meta, JSON.parse(JSON.stringify(want.meta)));
    assert.deepEqual(r.links, want.links);
    // icebird reads decimals as numbers (unscaled times 10^-scale, so
    // only to a double's precision).
    const cents = (x: unknown) => Math.round(Number(x) * 100);
    assert.equal(cents(r.amount), cents(want.amount));
    assert.equal(cents(r.small), cents(want.small));
    const wide = Number(want.wide);
    assert(Math.abs(Number(r.wide) - wide) <= wide * 1e-15, String(r.wide));
    assert.equal(new Date(r.ms as Date).getTime(), want.ms);
    assert.equal(new Date(r.day as Date).toISOString().slice(0, 10), want.day);
  }
}

Deno.test("compact: structs, lists and declared types of a merge stream survive compaction, a later pull and expiry", async () => {
  let run = 1;
  let admin = false;
  const rows = () =>
    Array.from({ length: KEYS }, (_, i) => record(i + 1, run, admin));
  await using server = serve(rows);
  const c = connector(server, {
    writeDisposition: "merge",
    columns: DECLARED,
  });
  await withTempDir("inlet-compact-types-", async (lake) => {
    const dir = `${lake}/c/items`;
    const storage = new LocalStorage(lake);
    const want = (r: number) =>
      Array.from({ length: KEYS }, (_, i) => expected(i + 1, r));
    for (; run <= 2; run++) {
      const r = await pull(c, { lake, concurrency: 2, fileRecords: 20 });
      assert.equal(r.status, "ok", r.errors.join("\n"));
    }
    assert.deepEqual(await duckRows(dir), want(2));
    const schema = await schemaOf(lake);
    const types = await duckTypes(dir);
    assert.equal(types.amount, "DECIMAL(18,2)");
    assert.equal(types.created, "TIMESTAMP WITH TIME ZONE");
    const before = await tableFiles(dir);
    assert(before!.deletes.length > 0 && before!.data.length > 1);

    const columns = await parquetColumns(before!.data[0]!);
    const report = await compactTable(storage, "c/items");
    assert.equal(report.rowsWritten, KEYS);
    const after = await tableFiles(dir);
    assert.deepEqual(await parquetColumns(after!.data[0]!), columns);
    assert.equal(after!.data.length, 1);
    assert.equal(after!.deletes.length, 0);
    assert.deepEqual(await schemaOf(lake), schema);
    assert.deepEqual(await duckTypes(dir), types);
    assert.deepEqual(await duckRows(dir), want(2));
    await checkIcebird(dir, 2);

    // The next pull, with a new nested field, on top of the compacted file.
    run = 3;
    admin = true;
    const next = await pull(c, { lake, concurrency: 2, fileRecords: 20 });
    assert.equal(next.status, "ok", next.errors.join("\n"));
    assert.deepEqual(await duckRows(dir), want(3));
    await checkIcebird(dir, 3);
    const widened = await schemaOf(lake);
    const field = (s: typeof schema, name: string) =>
      s.fields.find((f) => f.name === name)!;
    for (const f of schema.fields) {
      if (f.name !== "user") {
        assert.deepEqual(field(widened, f.name), f);
      }
    }
    const userType = (s: typeof schema) =>
      field(s, "user").type as unknown as {
        fields: { id: number; name: string }[];
      };
    const ids = new Map(userType(widened).fields.map((f) => [f.name, f.id]));
    for (const f of userType(schema).fields) {
      assert.equal(ids.get(f.name), f.id, f.name);
    }
    assert(ids.has("admin"));
    const adminsOf = async () =>
      await duck(
        `SELECT id, user.admin AS admin FROM ${await tableSource(
          dir,
        )} ORDER BY id LIMIT 2`,
      );
    assert.deepEqual(await adminsOf(), [
      { id: 1n, admin: false },
      { id: 2n, admin: true },
    ]);

    // Compact and expire after that: the same rows.
    await compactTable(storage, "c/items");
    await expireTable(storage, "c/items", { olderThanMs: 0 });
    assert.deepEqual(await duckRows(dir), want(3));
    assert.deepEqual(await adminsOf(), [
      { id: 1n, admin: false },
      { id: 2n, admin: true },
    ]);
    await checkIcebird(dir, 3);
    assert.deepEqual(await schemaOf(lake), widened);
    // And `deno task query`'s view.
    const [q] = await queryLake(
      lake,
      c,
      "SELECT count(DISTINCT id) AS ids, sum(user.site.port) AS p, sum(amount)::VARCHAR AS a, max(user.admin::INT) AS adm FROM items",
    );
    const sum = (f: (r: Row) => number) =>
      want(3).reduce((t, r) => t + f(r), 0);
    assert.deepEqual(q, {
      ids: BigInt(KEYS),
      p: BigInt(sum((r) => Number(r.port))),
      a: (sum((r) => Math.round(Number(r.amount) * 100)) / 100).toFixed(2),
      adm: 1,
    });
  });
});

Deno.test("compact: nested fields the table's schema keeps after a replace run without them keep their ids", async () => {
  let run = 1;
  // Run 1's objects have `user.legacy` (and `user.site.old`); run 2, which
  // replaces every row, has neither: the schema keeps them.
  const rows = () =>
    Array.from({ length: 30 }, (_, i) => ({
      id: i + 1,
      user: {
        login: `u${i + 1}-r${run}`,
        site: { url: `s${run}`, ...(run === 1 ? { old: 1 } : {}) },
        ...(run === 1 ? { legacy: "x" } : {}),
      },
    }));
  await using server = serve(rows);
  const c = connector(server, { writeDisposition: "replace" });
  await withTempDir("inlet-compact-types-", async (lake) => {
    const dir = `${lake}/c/items`;
    for (; run <= 2; run++) {
      const r = await pull(c, { lake, concurrency: 2, fileRecords: 10 });
      assert.equal(r.status, "ok", r.errors.join("\n"));
    }
    const schema = await schemaOf(lake);
    const user = JSON.stringify(schema.fields.find((f) => f.name === "user"));
    assert(user.includes('"legacy"') && user.includes('"old"'), user);
    assert((await tableFiles(dir))!.data.length > 1);
    const read = async () =>
      await duck(
        `SELECT id, user.login AS login, user.site.url AS url FROM ${await tableSource(
          dir,
        )} ORDER BY id`,
      );
    const before = await read();
    assert.equal(before.length, 30);
    assert.equal(before[29]!.login, "u30-r2");

    const report = await compactTable(new LocalStorage(lake), "c/items");
    assert.equal(report.rowsWritten, 30);
    assert.equal((await tableFiles(dir))!.data.length, 1);
    assert.deepEqual(await read(), before);
    assert.deepEqual(await schemaOf(lake), schema);
    const ice = (await icebergRead({ tableUrl: tableUrl(dir) }))
      .sort((a, b) => Number(a.id) - Number(b.id));
    // Files written after a nested field joined the schema hold it (null).
    assert.deepEqual(ice[29]!.user, {
      login: "u30-r2",
      legacy: null,
      site: { url: "s2", old: null },
    });
    // The compacted file's nested columns carry the table's ids.
    const ids = new Map<string, number>();
    const walk = (fields: unknown) => {
      for (const f of fields as { id: number; name: string; type: unknown }[]) {
        ids.set(f.name, f.id);
        const t = f.type as { fields?: unknown };
        if (typeof t === "object" && t.fields) walk(t.fields);
      }
    };
    walk(schema.fields);
    const file = (await tableFiles(dir))!.data[0]!;
    const cols = await duck(
      `SELECT name, field_id FROM parquet_schema(${
        sqlString(file)
      }) WHERE field_id IS NOT NULL`,
    );
    assert.deepEqual(
      cols.map((r) => [r.name, Number(r.field_id)]).sort(),
      ["id", "user", "login", "legacy", "site", "url", "old"].map((
        n,
      ) => [n, ids.get(n)]).sort(),
    );
  });
});
