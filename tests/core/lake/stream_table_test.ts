/**
 * The commit protocol on a stream's Iceberg table: state in the snapshot
 * summary, a lost race of the same scope is a conflict (and stays one),
 * another scope's commit is built upon, held files stay out of the table
 * until published, merges delete older rows, and what dead runs left is
 * cleaned by the next run's first commit.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { icebergRead } from "icebird";
import {
  CommitConflictError,
  StreamTable,
} from "../../../core/lake/stream_table.ts";
import { StreamWriter } from "../../../core/lake/stream_writer.ts";
import type { LocalStorage } from "../../../core/lake/local_storage.ts";
import { tableFiles, tableUrl } from "../../_iceberg.ts";
import { withStorage } from "../../_lake.ts";

const STREAM = "demo/items";
const RUN_A = "20260101T000000.000Z-aaaa";
const RUN_B = "20260101T000001.000Z-bbbb";

/** Write `rows` as one committed-to-be file of `table`'s run. */
async function write(
  lake: LocalStorage,
  table: StreamTable,
  rows: Record<string, unknown>[],
  merge?: string[],
) {
  const w = new StreamWriter({
    stream: STREAM,
    storage: lake,
    log: table,
    ...(merge ? { merge } : {}),
  });
  await w.write(rows);
  return w;
}

Deno.test("stream table: the state rides in the snapshot summary; a lost race of the same scope is a conflict, for good", async () => {
  await withStorage("inlet-table-", async (lake, dir) => {
    const a = new StreamTable(lake, STREAM, { runId: RUN_A });
    const b = new StreamTable(lake, STREAM, { runId: RUN_B });
    await a.recover();
    await b.recover();
    const wa = await write(lake, a, [{ id: 1 }, { id: 2 }]);
    const wb = await write(lake, b, [{ id: 3 }]);
    const entry = await wa.commit({ page: 1 });
    assertEquals(entry?.version, 1);
    // b loses: its commit is a conflict, or, when a's sweep took the file
    // b was still writing, that file is reported gone. Never silent.
    await assert.rejects(
      wb.commit({ page: 9 }),
      (e) =>
        e instanceof CommitConflictError ||
        /No such file|missing/.test(String(e)),
    );
    // Stale for good: a later commit of b fails the same way.
    await assert.rejects(b.commit({ add: [], state: 2 }), CommitConflictError);
    const reader = new StreamTable(lake, STREAM, { runId: "reader" });
    assertEquals((await reader.latest())?.state, { page: 1 });
    // b's file never entered the table; a's first commit swept it.
    const rows = await icebergRead({ tableUrl: tableUrl(`${dir}/${STREAM}`) });
    assertEquals(rows.map((r) => Number(r.id)).sort(), [1, 2]);
    assertEquals(
      (await lake.list(`${STREAM}/data/`)).length,
      (await tableFiles(`${dir}/${STREAM}`))!.data.length,
    );
  });
});

Deno.test("stream table: shards commit side by side, each with its own state; the loser of a race between scopes commits on top", async () => {
  await withStorage("inlet-table-", async (lake, dir) => {
    const one = new StreamTable(lake, STREAM, {
      runId: RUN_A,
      scope: "shard-1-of-2",
    });
    const two = new StreamTable(lake, STREAM, {
      runId: RUN_B,
      scope: "shard-2-of-2",
    });
    await one.recover();
    await two.recover();
    const w1 = await write(lake, one, [{ id: 1, v: "a" }]);
    const w2 = await write(lake, two, [{ id: 2, v: "b" }]);
    await w1.commit({ s: 1 });
    // Two loaded the table before one's commit: it commits on top of it.
    const e2 = await w2.commit({ s: 2 });
    assertEquals(e2?.version, 2);
    assert(
      (await lake.list(`${STREAM}/data/shard-2-of-2/`)).length === 1,
      "a shard writes in its own folder",
    );
    assertEquals(
      (await new StreamTable(lake, STREAM, {
        runId: "r",
        scope: "shard-1-of-2",
      }).latest())?.state,
      { s: 1 },
    );
    assertEquals(
      (await new StreamTable(lake, STREAM, {
        runId: "r",
        scope: "shard-2-of-2",
      }).latest())?.state,
      { s: 2 },
    );
    const rows = await icebergRead({ tableUrl: tableUrl(`${dir}/${STREAM}`) });
    assertEquals(rows.map((r) => Number(r.id)).sort(), [1, 2]);
  });
});

Deno.test("stream table: held files stay out of the table until published; a merge deletes the older rows of its keys", async () => {
  await withStorage("inlet-table-", async (lake, dir) => {
    const t = new StreamTable(lake, STREAM, { runId: RUN_A });
    await t.recover();
    const first = await write(lake, t, [{ id: 1, v: "old" }, {
      id: 2,
      v: "old",
    }]);
    await first.commit({ n: 1 });
    // A replace sweep: its files are held while it runs.
    const held = await write(lake, t, [{ id: 1, v: "new" }]);
    const entry = await held.commit({ n: 2 }, { hold: true });
    const staged = entry!.add.map((f) => f.path);
    assertEquals(entry!.add[0]!.held, true);
    const read = () => icebergRead({ tableUrl: tableUrl(`${dir}/${STREAM}`) });
    assertEquals((await read()).map((r) => r.v), ["old", "old"]);
    await t.commit({
      add: [],
      publish: staged,
      remove: await t.files(),
      state: { n: 3 },
    });
    assertEquals((await read()).map((r) => [Number(r.id), r.v]), [[1, "new"]]);
    // A merge: a newer row of key 1 deletes the older one.
    const merge = await write(lake, t, [{ id: 1, v: "newer" }, {
      id: 3,
      v: "x",
    }], [
      "id",
    ]);
    await merge.commit({ n: 4 });
    const rows = (await read()).map((r) => [Number(r.id), r.v]).sort();
    assertEquals(rows, [[1, "newer"], [3, "x"]]);
    assertEquals((await tableFiles(`${dir}/${STREAM}`))!.deletes.length, 1);
  });
});
