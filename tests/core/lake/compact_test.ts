/**
 * `compactTable` and `expireTable` on tables real pulls wrote: the rows
 * every reader sees (icebird, an independent Iceberg reader, and DuckDB
 * over the data files with the deletes applied) are the same before and
 * after a compaction, a merge stream keeps one row per key, the next pull
 * resumes exactly, time travel reads unexpired snapshots, expiring deletes
 * only what no kept snapshot lists, and a pull committing in the middle of
 * a compaction neither loses nor duplicates a row.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { icebergRead } from "icebird";
import { loadTable } from "../../../core/iceberg/table.ts";
import { liveFiles } from "../../../core/iceberg/current_snapshot.ts";
import { compactTable } from "../../../core/lake/compact_table.ts";
import { expireTable } from "../../../core/lake/expire_table.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { newRunId, StreamTable } from "../../../core/lake/stream_table.ts";
import { StreamWriter } from "../../../core/lake/stream_writer.ts";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { ID_COLUMNS, streamStats, sumTo, viewStats } from "../../_duckdb.ts";
import { tableFiles, tableUrl } from "../../_iceberg.ts";
import { withTempDir } from "../../_lake.ts";

type Row = Record<string, unknown>;

/** The rows of a table's snapshot (the current one by default), as icebird reads them. */
async function icebird(dir: string, snapshotId?: number): Promise<Row[]> {
  const url = tableUrl(dir);
  if (snapshotId === undefined) return await icebergRead({ tableUrl: url });
  const hint = (await Deno.readTextFile(`${dir}/metadata/version-hint.text`))
    .trim();
  const metadata = JSON.parse(
    await Deno.readTextFile(`${dir}/metadata/v${hint}.metadata.json`),
  );
  return await icebergRead({
    tableUrl: url,
    metadata: { ...metadata, "current-snapshot-id": snapshotId },
  });
}

/** Rows, distinct ids, sum of ids, and each id's name. */
function summary(rows: Row[]) {
  const ids = rows.map((r) => Number(r.id));
  return {
    n: rows.length,
    ids: new Set(ids).size,
    s: ids.reduce((a, b) => a + b, 0),
    names: Object.fromEntries(
      rows.map((r) => [String(r.id), String(r.name)]).sort(),
    ),
  };
}

async function currentSnapshotId(lake: string): Promise<number> {
  const t = await loadTable(new LocalStorage(lake), "m/items");
  return t.metadata!["current-snapshot-id"];
}

Deno.test("compact: a merge stream's small files and deletes become one file; every reader sees the same rows; the next pull resumes", async () => {
  const records = 300;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, {
    items: offsetStream(50, { writeDisposition: "merge" }),
  }, "m");
  await withTempDir("inlet-compact-", async (lake) => {
    const dir = `${lake}/m/items`;
    const storage = new LocalStorage(lake);
    for (let run = 1; run <= 3; run++) {
      const r = await pull(c, { lake, concurrency: 4, fileRecords: 70 });
      assertEquals(r.status, "ok", r.errors.join("\n"));
      for (let id = run; id <= records; id += 7) {
        server.updateRecord(id, { name: `run-${run + 1}-${id}` });
      }
    }
    const before = summary(await icebird(dir));
    assertEquals(before.n, records);
    const duckBefore = await streamStats(dir);
    const filesBefore = (await tableFiles(dir))!;
    assert(filesBefore.deletes.length > 0 && filesBefore.data.length > 3);
    const oldSnapshot = await currentSnapshotId(lake);

    const report = await compactTable(storage, "m/items");
    assertEquals(report.rowsWritten, records);
    assertEquals(report.rowsRead - report.rowsDeleted, records);
    assertEquals(report.filesRead, filesBefore.data.length);
    assertEquals(report.deleteFilesRemoved, filesBefore.deletes.length);

    const files = (await tableFiles(dir))!;
    assertEquals(files.data.length, 1);
    assertEquals(files.deletes.length, 0);
    assertEquals(summary(await icebird(dir)), before);
    assertEquals(await streamStats(dir), duckBefore);
    assertEquals(await viewStats(lake, c, "items", ID_COLUMNS), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
    // The snapshot is a replace, and carries no state: each scope's state
    // stays its last pull's.
    const m = (await loadTable(storage, "m/items")).metadata!;
    const current = m.snapshots.at(-1)!;
    assertEquals(current.summary.operation, "replace");
    assertEquals(current.summary["inlet.state"], undefined);
    // Time travel to the snapshot before the compaction still reads.
    assertEquals(summary(await icebird(dir, oldSnapshot)), before);

    // The next pull resumes on top of the compacted table: one row per key.
    const next = await pull(c, { lake, concurrency: 4, fileRecords: 70 });
    assertEquals(next.status, "ok", next.errors.join("\n"));
    const after = summary(await icebird(dir));
    assertEquals(after.n, records);
    assertEquals(after.ids, records);
    assertEquals(after.names["3"], "run-4-3");
    // Its sweep kept the files the older snapshots list.
    assertEquals(summary(await icebird(dir, oldSnapshot)), before);

    // Expire everything that may go: the last pull's snapshot stays
    // (its state), older ones and the files only they held go.
    const gone = await expireTable(storage, "m/items", { olderThanMs: 0 });
    assert(gone.expired > 0 && gone.deletedFiles > 0, JSON.stringify(gone));
    const kept = (await loadTable(storage, "m/items")).metadata!;
    assert(!kept.snapshots.some((s) => s["snapshot-id"] === oldSnapshot));
    for (const f of filesBefore.data) {
      await assert.rejects(Deno.stat(f), Deno.errors.NotFound);
    }
    assertEquals(summary(await icebird(dir)), after);
    // Only live files (and the metadata) are left in the folder.
    const live = await liveFiles(await loadTable(storage, "m/items"));
    const onDisk = (await storage.list("m/items/data/")).map((p) =>
      p.slice("m/items/".length)
    );
    assertEquals(
      onDisk.sort(),
      [...live.data, ...live.deletes].map((f) => f.path).sort(),
    );
    const again = await pull(c, { lake, concurrency: 4, fileRecords: 70 });
    assertEquals(again.status, "ok", again.errors.join("\n"));
    assertEquals(summary(await icebird(dir)).n, records);
  });
});

Deno.test("compact: a pull committing between the rewrite and its commit: the rewrite is redone, no row lost or doubled", async () => {
  const records = 200;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, {
    items: offsetStream(50, { writeDisposition: "merge" }),
  }, "m");
  await withTempDir("inlet-compact-race-", async (lake) => {
    const dir = `${lake}/m/items`;
    const storage = new LocalStorage(lake);
    for (let run = 1; run <= 2; run++) {
      const r = await pull(c, { lake, concurrency: 4, fileRecords: 40 });
      assertEquals(r.status, "ok", r.errors.join("\n"));
      for (let id = run; id <= records; id += 5) {
        server.updateRecord(id, { name: `run-${run + 1}-${id}` });
      }
    }
    let raced = 0;
    const report = await compactTable(storage, "m/items", {
      beforeCommit: async () => {
        if (raced++ > 0) return;
        const r = await pull(c, { lake, concurrency: 4, fileRecords: 40 });
        assertEquals(r.status, "ok", r.errors.join("\n"));
      },
    });
    assertEquals(report.attempts, 2);
    assertEquals(report.rowsWritten, records);
    const rows = summary(await icebird(dir));
    assertEquals([rows.n, rows.ids, rows.s], [
      records,
      records,
      sumTo(records),
    ]);
    // The racing pull's values (run 3's updates) are the ones read.
    assertEquals(rows.names["2"], "run-3-2");
    assertEquals(rows.names["1"], "run-2-1");
    assertEquals((await tableFiles(dir))!.deletes.length, 0);
    assertEquals(await streamStats(dir), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  });
});

Deno.test("compact: an append stream's small files; a table with nothing to do is left alone", async () => {
  const records = 250;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, { items: offsetStream(50) }, "a");
  await withTempDir("inlet-compact-append-", async (lake) => {
    const dir = `${lake}/a/items`;
    const storage = new LocalStorage(lake);
    const r = await pull(c, { lake, concurrency: 4, fileRecords: 30 });
    assertEquals(r.status, "ok", r.errors.join("\n"));
    const before = summary(await icebird(dir));
    const first = await compactTable(storage, "a/items");
    assertEquals([first.rowsRead, first.rowsWritten], [records, records]);
    assertEquals(summary(await icebird(dir)), before);
    const second = await compactTable(storage, "a/items");
    assertEquals(second.filesRead, 0);
    assertEquals(second.version, first.version);
  });
});

Deno.test("compact: a full refresh that loaded the table before a compaction and commits after it still replaces every row", async () => {
  const records = 120;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, { items: offsetStream(40) }, "a");
  await withTempDir("inlet-compact-refresh-", async (lake) => {
    const dir = `${lake}/a/items`;
    const storage = new LocalStorage(lake);
    const r = await pull(c, { lake, concurrency: 4, fileRecords: 30 });
    assertEquals(r.status, "ok", r.errors.join("\n"));
    // The refresh's view: it will remove every live file it saw.
    const refresh = new StreamTable(storage, "a/items", { runId: newRunId() });
    await refresh.recover();
    const remove = await refresh.files();
    assert(remove.length > 1);
    const compacted = await compactTable(storage, "a/items");
    assertEquals(compacted.rowsWritten, records);
    // It lost its race to the compaction and commits on top of it: the
    // rewritten rows go too, not only the files it saw.
    await refresh.commit({ add: [], remove, state: { refreshed: true } });
    assertEquals((await tableFiles(dir))!.data, []);
    assertEquals((await streamStats(dir)).n, 0);
  });
});

Deno.test("compact: a merge commit that loaded the table before a compaction commits after it on top: its deletes land on the rewritten rows", async () => {
  await withTempDir("inlet-compact-merge-race-", async (lake) => {
    const storage = new LocalStorage(lake);
    const dir = `${lake}/m/items`;
    const write = async (
      table: StreamTable,
      rows: Record<string, unknown>[],
    ) => {
      const w = new StreamWriter({
        stream: "m/items",
        storage,
        log: table,
        merge: ["id"],
      });
      await w.write(rows);
      return w;
    };
    const a = new StreamTable(storage, "m/items", { runId: newRunId() });
    await a.recover();
    const v = (ids: number[], tag: string) => ids.map((id) => ({ id, v: tag }));
    await (await write(a, v([1, 2, 3, 4], "v1"))).commit({ n: 1 });
    await (await write(a, v([3, 4, 5, 6], "v2"))).commit({ n: 2 });
    // The next run loads the table and writes; a compaction commits first.
    const b = new StreamTable(storage, "m/items", { runId: newRunId() });
    await b.recover();
    const pending = await write(b, v([1, 5], "v3"));
    const compacted = await compactTable(storage, "m/items");
    assertEquals([compacted.rowsRead, compacted.rowsDeleted], [8, 2]);
    await pending.commit({ n: 3 });
    const rows = (await icebird(dir)).map((r) => [Number(r.id), r.v]).sort();
    assertEquals(rows, [
      [1, "v3"],
      [2, "v1"],
      [3, "v2"],
      [4, "v2"],
      [5, "v3"],
      [6, "v2"],
    ]);
    assertEquals((await latest(storage)).state, { n: 3 });
  });
});

async function latest(storage: LocalStorage) {
  const t = new StreamTable(storage, "m/items", { runId: "reader" });
  return (await t.latest())!;
}

Deno.test("compact: each shard's files are rewritten into its own folder, so each shard's live files are still its own", async () => {
  await withTempDir("inlet-compact-shards-", async (lake) => {
    const storage = new LocalStorage(lake);
    const shard = (scope: string) =>
      new StreamTable(storage, "s/items", { runId: newRunId(), scope });
    const tables = [shard("shard-1-of-2"), shard("shard-2-of-2")];
    for (const [i, t] of tables.entries()) {
      await t.recover();
      for (let n = 0; n < 3; n++) {
        const w = new StreamWriter({ stream: "s/items", storage, log: t });
        await w.write([{ id: i * 100 + n }]);
        await w.commit({ n });
      }
    }
    const before = summary(await icebird(`${lake}/s/items`));
    const r = await compactTable(storage, "s/items");
    assertEquals([r.filesRead, r.filesWritten, r.rowsWritten], [6, 2, 6]);
    assertEquals(summary(await icebird(`${lake}/s/items`)), before);
    for (const [i, scope] of ["shard-1-of-2", "shard-2-of-2"].entries()) {
      const files = await shard(scope).files();
      assertEquals(files.length, 1, scope);
      assert(files[0]!.startsWith(`s/items/data/${scope}/compact-`), files[0]);
      // The shard's state is still its last pull's.
      assertEquals((await shard(scope).latest())!.state, { n: 2 }, `${i}`);
    }
  });
});

Deno.test("compact: a full refresh committing between the rewrite and its commit: the compaction stops, changing nothing, and leaves no file", async () => {
  const records = 90;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, { items: offsetStream(30) }, "a");
  await withTempDir("inlet-compact-refused-", async (lake) => {
    const storage = new LocalStorage(lake);
    const r = await pull(c, { lake, concurrency: 2, fileRecords: 30 });
    assertEquals(r.status, "ok", r.errors.join("\n"));
    await assert.rejects(
      compactTable(storage, "a/items", {
        beforeCommit: async () => {
          const t = new StreamTable(storage, "a/items", { runId: newRunId() });
          await t.recover();
          await t.commit({ add: [], remove: await t.files(), state: null });
        },
      }),
      /a pull committed meanwhile and removed .*\(a full refresh\); nothing was changed/,
    );
    assertEquals((await tableFiles(`${lake}/a/items`))!.data, []);
    const left = (await storage.list("a/items/data/")).filter((p) =>
      p.includes("/compact-")
    );
    assertEquals(left, []);
  });
});
