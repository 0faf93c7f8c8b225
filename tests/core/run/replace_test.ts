/**
 * `writeDisposition: "replace"` and `--full-refresh`: the new set is held
 * out of the table while the sweep runs (readers see only the old set) and
 * swapped in by the sweep's last commit, an overwrite snapshot (readers see
 * only the new set), even when the sweep is killed and resumed on the way.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import demo from "../../../connectors/demo.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { pull } from "../../../core/run/pull.ts";
import type { Storage } from "../../../core/lake/storage.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { pullArgs, runCliChild, spawnCli, waitUntil } from "../../_cli.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { streamStats, viewStats } from "../../_duckdb.ts";
import { committedFiles } from "../../_files.ts";
import { latestEntry, withTempDir } from "../../_lake.ts";

/** The `inlet.state` of a table metadata file's current snapshot. */
function currentState(
  metadata: {
    "current-snapshot-id": number;
    snapshots: { "snapshot-id": number; summary: Record<string, string> }[];
  },
): { sweep?: string } | undefined {
  const s = metadata.snapshots.find((s) =>
    s["snapshot-id"] === metadata["current-snapshot-id"]
  );
  const text = s?.summary["inlet.state"];
  return text === undefined ? undefined : JSON.parse(text);
}

/** Rows, distinct ids, and how many rows carry the new names. */
const FRESH = {
  n: "count(*)",
  ids: "count(DISTINCT id)",
  fresh: "count(*) FILTER (WHERE name LIKE 'new-%')",
};

Deno.test("replace: while the sweep runs readers see only the old set; its last commit swaps in the new one", async () => {
  const records = 600;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, {
    items: offsetStream(50, { writeDisposition: "replace" }),
  }, "r");
  await withTempDir("inlet-replace-", async (lake) => {
    const first = await pull(c, { lake, concurrency: 4, fileRecords: 100 });
    assertEquals(first.status, "ok", first.errors.join("\n"));
    const old = { n: records, ids: records, fresh: 0 };
    assertEquals(await streamStats(`${lake}/r/items`, FRESH), old);

    for (let id = 1; id <= records; id++) {
      server.updateRecord(id, { name: `new-${id}` });
    }
    // At every checkpoint of the new sweep (the run waits for the check),
    // both read paths see the old set.
    const seen: number[] = [];
    const lakeStorage = new LocalStorage(lake);
    const watched: Storage = {
      root: lake,
      create: (p) => lakeStorage.create(p),
      put: (p, d) => lakeStorage.put(p, d),
      get: (p) => lakeStorage.get(p),
      list: (p) => lakeStorage.list(p),
      move: (a, b) => lakeStorage.move(a, b),
      delete: (p) => lakeStorage.delete(p),
      putIfAbsent: async (path: string, data: Uint8Array) => {
        const ok = await lakeStorage.putIfAbsent(path, data);
        const state = ok && path.endsWith(".metadata.json")
          ? currentState(JSON.parse(new TextDecoder().decode(data)))
          : undefined;
        if (state?.sweep === "running") {
          seen.push(Number(/\/v(\d+)\.metadata\.json$/.exec(path)![1]));
          assertEquals(await streamStats(`${lake}/r/items`, FRESH), old);
          assertEquals(await viewStats(lake, c, "items", FRESH), old);
        }
        return ok;
      },
    };
    const second = await pull(c, {
      lake: watched,
      concurrency: 4,
      fileRecords: 100,
    });
    assertEquals(second.status, "ok", second.errors.join("\n"));
    assert(seen.length >= 6, `checkpoints seen: ${seen.join(",")}`);
    const fresh = { n: records, ids: records, fresh: records };
    assertEquals(await streamStats(`${lake}/r/items`, FRESH), fresh);
    assertEquals(await viewStats(lake, c, "items", FRESH), fresh);
    // The old files are gone and nothing is left held: the data folder
    // holds exactly the files the table lists.
    assert((await committedFiles(`${lake}/r/items`)).length > 0);
    const latest = JSON.parse(
      await Deno.readTextFile(await latestEntry(lake, "r/items")),
    );
    const summary = latest.snapshots.find((s: { "snapshot-id": number }) =>
      s["snapshot-id"] === latest["current-snapshot-id"]
    ).summary;
    assertEquals(summary["inlet.held"], undefined);
  });
});

Deno.test("replace: --full-refresh killed mid-sweep resumes as a full refresh (without the flag) and swaps in once", async () => {
  const records = 20_000;
  await using server = await startApiServer({ records, latencyMs: 10 });
  await withTempDir("inlet-replace-", async (lake) => {
    const args = (...extra: string[]) =>
      pullArgs(
        "demo",
        server.url,
        lake,
        "--concurrency",
        "2",
        "--checkpoint-records",
        "200",
        ...extra,
      );
    const first = await runCliChild(args());
    assertEquals(first.code, 0, first.stderr);
    const old = { n: records, ids: records, fresh: 0 };
    assertEquals(await streamStats(`${lake}/demo/items`, FRESH), old);
    for (let id = 1; id <= records; id += 1) {
      server.updateRecord(id, { name: `new-${id}` });
    }

    // Kill the refresh once it has committed a few checkpoints.
    const log = `${lake}/demo/items/metadata`;
    // The newest version: old metadata files are deleted after commits
    // (write.metadata.previous-versions-max), so their count stays level.
    const entries = async () => {
      let n = 0;
      for await (const e of Deno.readDir(log)) {
        const m = /^v(\d+)\.metadata\.json$/.exec(e.name);
        if (m) n = Math.max(n, Number(m[1]));
      }
      return n;
    };
    const start = await entries();
    const child = spawnCli(args("--full-refresh"), { stderr: "null" });
    await waitUntil(async () => await entries() >= start + 4);
    child.kill("SIGKILL");
    await child.status;
    assert(await entries() >= start + 4, "the refresh never checkpointed");
    // Killed mid-refresh: readers still see exactly the old set.
    assertEquals(await streamStats(`${lake}/demo/items`, FRESH), old);
    const mid = await viewStats(lake, demo, "items", {
      n: FRESH.n,
      fresh: FRESH.fresh,
    });
    assertEquals(mid, {
      n: records,
      fresh: 0,
    });

    // The next run (no flag) finishes the refresh and swaps it in.
    const resumed = await runCliChild(args());
    assertEquals(resumed.code, 0, resumed.stderr);
    assertEquals(await streamStats(`${lake}/demo/items`, FRESH), {
      n: records,
      ids: records,
      fresh: records,
    });
  });
});
