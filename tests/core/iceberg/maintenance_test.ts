/**
 * Metadata hygiene and snapshot expiry at the Iceberg level: old metadata
 * files are deleted after commits as the table's properties say, the
 * metadata log is cut to match, a version hint naming a deleted version is
 * passed over only when newer versions exist, and expiry keeps the line
 * from the current snapshot back to any snapshot it is told to keep.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  commitSnapshot,
  evolveSchema,
  expireSnapshots,
  type IcebergTable,
  loadTable,
} from "../../../core/iceberg/mod.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { withTempDir } from "../../_lake.ts";
import { writeDataFile } from "./_table_kit.ts";

const schema = evolveSchema(undefined, [{ name: "id", type: "long" }]);

async function metadataFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/t/metadata`)) {
    if (e.name.endsWith(".metadata.json")) out.push(e.name);
  }
  return out.sort();
}

Deno.test("metadata hygiene: old metadata files go after each commit, the log keeps previous-versions-max", async () => {
  await withTempDir("inlet-ice-hygiene-", async (dir) => {
    const storage = new LocalStorage(dir);
    let table = await loadTable(storage, "t");
    table = await commitSnapshot(table, {
      operation: "append",
      schema,
      properties: { "write.metadata.previous-versions-max": "2" },
    });
    for (let i = 0; i < 5; i++) {
      table = await commitSnapshot(table, { operation: "append" });
    }
    assertEquals(table.version, 6);
    assertEquals(await metadataFiles(dir), [
      "v4.metadata.json",
      "v5.metadata.json",
      "v6.metadata.json",
    ]);
    const m = table.metadata!;
    assertEquals(
      m["metadata-log"].map((e) => e["metadata-file"].replace(/^.*\//, "")),
      ["v4.metadata.json", "v5.metadata.json"],
    );
    assertEquals(
      m.properties["write.metadata.delete-after-commit.enabled"],
      "true",
    );
    // A hint left naming a deleted version: newer versions exist, so it is stale.
    await Deno.writeTextFile(`${dir}/t/metadata/version-hint.text`, "2");
    assertEquals((await loadTable(storage, "t")).version, 6);
    // A hint naming a version that is missing with none newer is a gap, refused.
    await Deno.writeTextFile(`${dir}/t/metadata/version-hint.text`, "7");
    await assert.rejects(
      loadTable(storage, "t"),
      /names version 7, which does not exist/,
    );
  });
});

Deno.test("metadata hygiene: a new table gets Iceberg's defaults set (delete after commit, 100 versions)", async () => {
  await withTempDir("inlet-ice-hygiene-", async (dir) => {
    let table = await loadTable(new LocalStorage(dir), "t");
    table = await commitSnapshot(table, { operation: "append", schema });
    table = await commitSnapshot(table, { operation: "append" });
    const p = table.metadata!.properties;
    assertEquals(p["write.metadata.delete-after-commit.enabled"], "true");
    assertEquals(p["write.metadata.previous-versions-max"], "100");
    assertEquals(table.metadata!["metadata-log"].length, 1);
  });
});

Deno.test("expireSnapshots: old snapshots go with the files only they held; a kept one keeps the line to the current one", async () => {
  await withTempDir("inlet-ice-expire-", async (dir) => {
    let table: IcebergTable = await loadTable(new LocalStorage(dir), "t");
    const ids: number[] = [];
    for (const [i, now] of [1_000, 2_000, 3_000, 4_000].entries()) {
      const file = await writeDataFile(
        table,
        schema.schema,
        `data/${i}.parquet`,
        {
          id: [BigInt(i)],
        },
      );
      table = await commitSnapshot(table, {
        // The third replaces the table: the first two files are then only history.
        operation: i === 2 ? "overwrite" : "append",
        dataFiles: [file],
        schema,
        now: () => now,
      });
      ids.push(table.metadata!["current-snapshot-id"]);
    }
    // Keeping the second keeps the third too (the line back from the current one).
    const kept = await expireSnapshots(table, {
      olderThan: 3_500,
      keep: new Set([ids[1]!]),
    });
    assertEquals(kept.expired, [ids[0]]);
    assertEquals(kept.deleted.filter((p) => p.startsWith("data/")), []);
    const rest = await expireSnapshots(kept.table, { olderThan: 3_500 });
    assertEquals(rest.expired.sort(), [ids[1]!, ids[2]!].sort());
    assertEquals(
      rest.deleted.filter((p) => p.startsWith("data/")).sort(),
      ["data/0.parquet", "data/1.parquet"],
    );
    await assert.rejects(
      Deno.stat(`${dir}/t/data/0.parquet`),
      Deno.errors.NotFound,
    );
    await Deno.stat(`${dir}/t/data/2.parquet`);
    await Deno.stat(`${dir}/t/data/3.parquet`);
    assertEquals(rest.table.metadata!.snapshots.map((s) => s["snapshot-id"]), [
      ids[3],
    ]);
    assertEquals(rest.table.metadata!["snapshot-log"].length, 1);
  });
});
