/**
 * Uncommitted files are cleaned: a run killed with SIGKILL mid-way leaves
 * data files no snapshot lists and temp files of the write it was doing;
 * the next run that commits to the stream removes them, and the data ends
 * exact. On a local folder and on the S3 test server.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { S3Storage } from "../../../core/lake/s3_storage.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { startS3Server } from "../../../core/testing/s3_server.ts";
import { committedFiles } from "../../../core/lake/lake_reader.ts";
import { committedFiles as listedOnDisk } from "../../_files.ts";
import { pullArgs, runCliChild, spawnCli, waitUntil } from "../../_cli.ts";
import { duck, sqlString, streamStats, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

/** Every file and folder under `dir`, relative, sorted (`[]` when missing). */
async function tree(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(`${dir}/${rel}`)) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) out.push(`${path}/`, ...await tree(dir, path));
      else out.push(path);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** A demo pull that checkpoints every 1,000 records, 4 requests at a time. */
function demoArgs(url: string, lake: string): string[] {
  return pullArgs(
    "demo",
    url,
    lake,
    "--concurrency",
    "4",
    "--checkpoint-records",
    "1000",
  );
}

/** Metadata versions (commits) in a local stream folder's table. */
async function entries(stream: string): Promise<number> {
  return (await tree(`${stream}/metadata`)).filter((p) =>
    /^v\d+\.metadata\.json$/.test(p)
  ).length;
}

Deno.test("staging cleanup: after a SIGKILLed run, the next run removes its uncommitted and temp files; data exact (local)", async () => {
  const records = 20_000;
  await using server = await startApiServer({ records, latencyMs: 10 });
  await withTempDir("inlet-sweep-", async (lake) => {
    const stream = `${lake}/demo/items`;
    const child = spawnCli(demoArgs(server.url, lake), { stderr: "null" });
    try {
      // Killed after a few checkpoints, while it writes its next file.
      await waitUntil(async () => (await entries(stream)) >= 3);
      const served = server.stats.served;
      await waitUntil(() => server.stats.served >= served + 4);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    const left = await tree(`${stream}/data`);
    assert(
      left.some((p) => p.endsWith(".tmp")),
      `the killed run left a partial file: ${left.join(", ")}`,
    );
    assert(server.stats.served < records / 50, "killed before the end");

    const next = await runCliChild(demoArgs(server.url, lake));
    assertEquals(next.code, 0, next.stderr);
    // The data folder holds exactly the table's files, and no temp file
    // is left anywhere in the table.
    assert((await listedOnDisk(stream)).length > 0);
    assertEquals(
      [...await tree(`${stream}/data`), ...await tree(`${stream}/metadata`)]
        .filter((p) => p.endsWith(".tmp")),
      [],
    );
    assertEquals(await streamStats(stream), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  });
});

Deno.test("staging cleanup: after a SIGKILLed run into s3://, nothing staged is left and the data is exact", async () => {
  const records = 20_000;
  await using server = await startApiServer({ records, latencyMs: 10 });
  const s3 = await startS3Server();
  try {
    const url = `${s3.bucket("lake")}/sweep`;
    const storage = S3Storage.fromUrl(url, { env: (n) => s3.env[n] });
    const env = { ...s3.env };
    const log = () =>
      s3.keys("lake").filter((k) =>
        /^sweep\/demo\/items\/metadata\/v\d+\.metadata\.json$/.test(k)
      );
    const child = spawnCli(demoArgs(server.url, url), { env, stderr: "null" });
    try {
      await waitUntil(() => log().length >= 3);
      const served = server.stats.served;
      await waitUntil(() => server.stats.served >= served + 4);
    } finally {
      try {
        child.kill("SIGKILL");
      } finally {
        await child.status;
      }
    }
    assert(server.stats.served < records / 50, "killed before the end");
    // A dead run's uncommitted object, as a kill between a file's upload
    // and its commit leaves it.
    const dead = "demo/items/data/20200101T000000.000Z-dead-00000.parquet";
    await storage.put(dead, new Uint8Array([1, 2, 3]));

    const next = await runCliChild(demoArgs(server.url, url), { env });
    assertEquals(next.code, 0, next.stderr);
    // Only the table's files are left in its data folder.
    const listed = new Set(
      (await committedFiles(storage, "demo/items")).map((f) => `sweep/${f}`),
    );
    assertEquals(
      s3.keys("lake").filter((k) =>
        k.startsWith("sweep/demo/items/data/") && !listed.has(k)
      ),
      [],
    );
    assertEquals(s3.stats.openUploads, 0);
    await withTempDir("inlet-sweep-read-", async (dir) => {
      const files = await committedFiles(storage, "demo/items");
      for (const [i, f] of files.entries()) {
        await Deno.writeFile(`${dir}/${i}.parquet`, (await storage.get(f))!);
      }
      const [row] = await duck(
        `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s FROM read_parquet(${
          sqlString(`${dir}/*.parquet`)
        })`,
      );
      assertEquals(
        { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) },
        { n: records, ids: records, s: sumTo(records) },
      );
    });
  } finally {
    await s3.close();
  }
});

Deno.test("staging cleanup: a run starting beside a live one deletes none of its uncommitted files", async () => {
  await withTempDir("inlet-sweep-live-", async (dir) => {
    const lake = new LocalStorage(dir);
    const { StreamTable } = await import("../../../core/lake/stream_table.ts");
    const live = new StreamTable(lake, "demo/items", {
      runId: "20260101T000000.000Z-aaaa",
    });
    await live.recover();
    const staged = live.stagingPath("20260101T000000.000Z-aaaa-00000.parquet");
    await lake.put(staged, new Uint8Array([1]));
    // Another run starts and loads the table while the first one writes.
    const other = new StreamTable(lake, "demo/items", {
      runId: "20260101T000001.000Z-bbbb",
    });
    await other.recover();
    assertEquals(await lake.list("demo/items/data/"), [staged]);
    // The live run commits what it staged.
    const entry = await live.commit({
      add: [{ staged, records: 1, bytes: 1 }],
      state: 1,
    });
    assertEquals(await lake.get(entry.add[0]!.path), new Uint8Array([1]));
  });
});
