/**
 * Tables this package writes, read back by icebird@0.3.1 (an Iceberg reader
 * on npm, not written here): appends, merges with position deletes, an
 * overwrite, a widened schema.
 */
import assert from "node:assert/strict";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import {
  commitSnapshot,
  currentSchema,
  currentSnapshot,
  evolveSchema,
  KeyIndex,
  liveFiles,
  loadTable,
  positionDeleteFile,
} from "../../../core/iceberg/mod.ts";
import { readWithIcebird, writeDataFile } from "./_table_kit.ts";

async function withLake(fn: (lake: LocalStorage) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(new LocalStorage(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("icebird reads an appended table: counts and a sum match", async () => {
  await withLake(async (lake) => {
    let table = await loadTable(lake, "demo/items");
    const schema = evolveSchema(undefined, [
      { name: "id", type: "long", required: true },
      { name: "amount", type: "double" },
      { name: "title", type: "string" },
    ]);
    const n = 5000;
    let sum = 0;
    for (const [i, range] of [[0, 3000], [3000, n]].entries()) {
      const ids = Array.from(
        { length: range[1]! - range[0]! },
        (_, k) => range[0]! + k,
      );
      sum += ids.reduce((s, id) => s + id * 0.5, 0);
      const file = await writeDataFile(
        table,
        schema.schema,
        `data/${i}.parquet`,
        {
          id: ids.map(BigInt),
          amount: ids.map((id) => id * 0.5),
          title: ids.map((id) => `item ${id}`),
        },
      );
      table = await commitSnapshot(table, {
        operation: "append",
        dataFiles: [file],
        schema,
        summary: { "inlet.state": JSON.stringify({ page: i }) },
      });
    }
    const rows = await readWithIcebird(table);
    assert.equal(rows.length, n);
    assert.equal(rows.reduce((s, r) => s + (r.amount as number), 0), sum);
    assert.equal(new Set(rows.map((r) => r.id)).size, n);
    const reloaded = await loadTable(lake, "demo/items");
    assert.equal(reloaded.version, 2);
    assert.equal(
      currentSnapshot(reloaded)?.summary["inlet.state"],
      '{"page":1}',
    );
    assert.equal(
      currentSnapshot(reloaded)?.summary["total-records"],
      String(n),
    );
    assert.equal((await liveFiles(reloaded)).data.length, 2);
  });
});

Deno.test("three merges with updates: icebird sees one row per key, the newest", async () => {
  await withLake(async (lake) => {
    let table = await loadTable(lake, "demo/issues");
    const schema = evolveSchema(undefined, [
      { name: "id", type: "long", required: true },
      { name: "state", type: "string" },
      { name: "run", type: "long" },
    ]);
    const index = new KeyIndex();
    // Run 1: ids 0..99; run 2: ids 50..149 (50 updates); run 3: ids 0..9
    // and 140..159, one key twice in the same batch (the later row wins).
    const runs = [
      Array.from({ length: 100 }, (_, i) => i),
      Array.from({ length: 100 }, (_, i) => 50 + i),
      [
        ...Array.from({ length: 10 }, (_, i) => i),
        ...Array.from({ length: 20 }, (_, i) => 140 + i),
        5,
      ],
    ];
    for (const [run, ids] of runs.entries()) {
      const path = `data/run-${run}.parquet`;
      const file = await writeDataFile(table, schema.schema, path, {
        id: ids.map(BigInt),
        state: ids.map((id, pos) => `run ${run} pos ${pos} id ${id}`),
        run: ids.map(() => BigInt(run)),
      });
      const deletes = index.add(path, ids.map(String));
      const deleteFiles = deletes.length === 0 ? [] : [
        await positionDeleteFile(
          table,
          `data/run-${run}-deletes.parquet`,
          deletes,
        ),
      ];
      table = await commitSnapshot(table, {
        operation: "merge",
        dataFiles: [file],
        deleteFiles,
        schema,
        summary: { "inlet.state": JSON.stringify({ run }) },
      });
    }
    const rows = await readWithIcebird(table);
    const byId = new Map<bigint, Record<string, unknown>>();
    for (const r of rows) {
      assert(!byId.has(r.id as bigint), `key ${r.id} seen twice`);
      byId.set(r.id as bigint, r);
    }
    assert.equal(byId.size, 160);
    assert.equal(byId.get(0n)?.run, 2n);
    assert.equal(byId.get(5n)?.state, "run 2 pos 30 id 5");
    assert.equal(byId.get(60n)?.run, 1n);
    assert.equal(byId.get(20n)?.run, 0n);
    assert.equal(byId.get(145n)?.run, 2n);
    const files = await liveFiles(table);
    assert.equal(files.data.length, 3);
    assert.equal(files.deletes.length, 2);
    assert.equal(currentSnapshot(table)?.summary.operation, "overwrite");
  });
});

Deno.test("an overwrite replaces the whole table", async () => {
  await withLake(async (lake) => {
    let table = await loadTable(lake, "demo/users");
    const schema = evolveSchema(undefined, [{ name: "id", type: "long" }]);
    for (const [i, ids] of [[1n, 2n, 3n], [7n, 8n]].entries()) {
      const file = await writeDataFile(
        table,
        schema.schema,
        `data/${i}.parquet`,
        { id: ids },
      );
      table = await commitSnapshot(table, {
        operation: i === 0 ? "append" : "overwrite",
        dataFiles: [file],
        schema,
      });
    }
    const rows = await readWithIcebird(table);
    assert.deepEqual(rows.map((r) => r.id), [7n, 8n]);
    const s = currentSnapshot(table)!;
    assert.equal(s.summary.operation, "overwrite");
    assert.equal(s.summary["deleted-records"], "3");
    assert.equal(s.summary["total-records"], "2");
    assert.deepEqual((await liveFiles(table)).data.map((f) => f.path), [
      "data/1.parquet",
    ]);
  });
});

Deno.test("a schema widened across commits: int→long and a new column", async () => {
  await withLake(async (lake) => {
    let table = await loadTable(lake, "demo/widened");
    const first = evolveSchema(undefined, [
      { name: "id", type: "long", required: true },
      { name: "count", type: "int" },
    ]);
    const a = await writeDataFile(table, first.schema, "data/a.parquet", {
      id: [1n, 2n],
      count: [10, 20],
    });
    table = await commitSnapshot(table, {
      operation: "append",
      dataFiles: [a],
      schema: first,
    });
    const second = evolveSchema(currentSchema(table), [
      { name: "id", type: "long" },
      { name: "count", type: "long" },
      { name: "label", type: "string" },
    ], { lastColumnId: table.metadata!["last-column-id"] });
    assert(second.changed);
    const b = await writeDataFile(table, second.schema, "data/b.parquet", {
      id: [3n],
      count: [2n ** 40n],
      label: ["big"],
    });
    table = await commitSnapshot(table, {
      operation: "append",
      dataFiles: [b],
      schema: second,
    });
    const m = table.metadata!;
    assert.equal(m.schemas.length, 2);
    assert.equal(m["current-schema-id"], 1);
    assert.equal(m["last-column-id"], 3);
    assert.deepEqual(
      currentSchema(table)!.fields.map((
        f,
      ) => [f.id, f.name, f.type, f.required]),
      [[1, "id", "long", false], [2, "count", "long", false], [
        3,
        "label",
        "string",
        false,
      ]],
    );
    const rows = await readWithIcebird(table);
    assert.deepEqual(
      rows.map((
        r,
      ) => [r.id, BigInt(r.count as number | bigint), r.label ?? null]),
      [[1n, 10n, null], [2n, 20n, null], [3n, 2n ** 40n, "big"]],
    );
  });
});
