/**
 * Fields of one object whose names differ only in case (`Id`, `id`): an
 * Iceberg table keeps them apart, DuckDB (the compaction's rewrite) matches
 * names without case, so compaction refuses the table by name and leaves
 * it as it is, instead of failing on DuckDB's own error.
 */
import assert from "node:assert/strict";
import { icebergRead } from "icebird";
import { compactTable } from "../../../core/lake/compact_table.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { newRunId, StreamTable } from "../../../core/lake/stream_table.ts";
import { StreamWriter } from "../../../core/lake/stream_writer.ts";
import { tableFiles, tableUrl } from "../../_iceberg.ts";
import { withTempDir } from "../../_lake.ts";

for (
  const [where, row, names] of [
    ["a struct", (i: number) => ({ id: i, user: { Id: i, id: -i } }), [
      "user.Id",
      "user.id",
    ]],
    ["the table", (i: number) => ({ id: i, Name: "A", name: "a" }), [
      "Name",
      "name",
    ]],
  ] as const
) {
  Deno.test(`compact: fields of ${where} whose names differ only in case are refused by name, the table left as it is`, async () => {
    await withTempDir("inlet-compact-case-", async (lake) => {
      const storage = new LocalStorage(lake);
      const dir = `${lake}/a/items`;
      const t = new StreamTable(storage, "a/items", { runId: newRunId() });
      await t.recover();
      for (let n = 0; n < 3; n++) {
        const w = new StreamWriter({ stream: "a/items", storage, log: t });
        await w.write([row(n)]);
        await w.commit({ n });
      }
      const before = await tableFiles(dir);
      assert.equal(before!.data.length, 3);
      const listing = () =>
        [...Deno.readDirSync(`${dir}/data`)].map((e) => e.name).sort();
      const names0 = listing();
      await assert.rejects(
        compactTable(storage, "a/items"),
        new RegExp(
          `Cannot compact: field\\(s\\) "${names[0]}" and "${
            names[1]
          }" differ only in case`.replaceAll(".", "\\."),
        ),
      );
      assert.deepEqual(await tableFiles(dir), before);
      assert.deepEqual(listing(), names0);
      assert.equal((await icebergRead({ tableUrl: tableUrl(dir) })).length, 3);
    });
  });
}
