/**
 * `writeDisposition: "replace"` and `--full-refresh`: the new set is staged
 * while the sweep runs (readers see only the old set) and swapped in by the
 * sweep's last commit (readers see only the new set), even when the sweep
 * is killed and resumed on the way.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import demo from "../../connectors/demo.ts";
import { defineConnector } from "../../core/connector.ts";
import { offsetPaginator } from "../../core/paginators.ts";
import { LocalStorage } from "../../core/local_storage.ts";
import { pull } from "../../core/pull.ts";
import type { Storage } from "../../core/storage.ts";
import { queryLake } from "../../core/query.ts";
import { startApiServer } from "../../core/testing/api_server.ts";
import { duck, sqlString } from "../_duckdb.ts";
import { inlet } from "./_lake_snapshot.ts";

const root = new URL("../../", import.meta.url).pathname;

/** Rows a plain glob sees, and how many carry the new names. */
async function glob(lake: string, stream: string) {
  const [row] = await duck(
    `SELECT count(*) AS n, count(DISTINCT id) AS ids, count(*) FILTER (WHERE name LIKE 'new-%') AS fresh FROM read_parquet(${
      sqlString(`${lake}/${stream}/*.parquet`)
    })`,
  );
  return {
    n: Number(row!.n),
    ids: Number(row!.ids),
    fresh: Number(row!.fresh),
  };
}

Deno.test("replace: while the sweep runs readers see only the old set; its last commit swaps in the new one", async () => {
  const records = 600;
  const server = await startApiServer({ records });
  const lake = await Deno.makeTempDir({ prefix: "inlet-replace-" });
  const c = defineConnector({
    name: "r",
    baseUrl: server.url,
    hosts: ["127.0.0.1"],
    streams: {
      items: {
        path: "/offset/items",
        params: { limit: 50 },
        recordsPath: "items",
        primaryKey: "id",
        writeDisposition: "replace",
        paginator: offsetPaginator({ limit: 50, totalPath: "total" }),
      },
    },
  });
  const view = async () => {
    const [row] = await queryLake(
      lake,
      c,
      "SELECT count(*) AS n, count(DISTINCT id) AS ids, count(*) FILTER (WHERE name LIKE 'new-%') AS fresh FROM items",
    );
    return {
      n: Number(row!.n),
      ids: Number(row!.ids),
      fresh: Number(row!.fresh),
    };
  };
  try {
    const first = await pull(c, { lake, concurrency: 4, fileRecords: 100 });
    assertEquals(first.status, "ok", first.errors.join("\n"));
    const old = { n: records, ids: records, fresh: 0 };
    assertEquals(await glob(lake, "r/items"), old);

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
        const entry = JSON.parse(new TextDecoder().decode(data));
        if (ok && path.includes("/_log/") && entry.state?.sweep === "running") {
          seen.push(entry.version);
          assertEquals(await glob(lake, "r/items"), old);
          assertEquals(await view(), old);
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
    assertEquals(await glob(lake, "r/items"), fresh);
    assertEquals(await view(), fresh);
    // The old files are gone and nothing is left staged.
    const staged: string[] = [];
    for await (const e of Deno.readDir(`${lake}/r/items/_staging`)) {
      for await (
        const f of Deno.readDir(`${lake}/r/items/_staging/${e.name}`)
      ) {
        if (!f.name.endsWith(".tmp")) staged.push(f.name);
      }
    }
    assertEquals(staged, []);
  } finally {
    await server.close();
    await Deno.remove(lake, { recursive: true });
  }
});

Deno.test("replace: --full-refresh killed mid-sweep resumes as a full refresh (without the flag) and swaps in once", async () => {
  const records = 20_000;
  const server = await startApiServer({ records, latencyMs: 10 });
  const lake = await Deno.makeTempDir({ prefix: "inlet-replace-" });
  const args = (...extra: string[]) => [
    "pull",
    "demo",
    "--no-sandbox",
    "--base-url",
    server.url,
    "--lake",
    lake,
    "--concurrency",
    "2",
    "--checkpoint-records",
    "200",
    ...extra,
  ];
  try {
    const first = await inlet(args());
    assertEquals(first.code, 0, first.stderr);
    const old = { n: records, ids: records, fresh: 0 };
    assertEquals(await glob(lake, "demo/items"), old);
    for (let id = 1; id <= records; id += 1) {
      server.updateRecord(id, { name: `new-${id}` });
    }

    // Kill the refresh once it has committed a few checkpoints.
    const log = `${lake}/demo/items/_log`;
    const entries = async () => {
      let n = 0;
      for await (const e of Deno.readDir(log)) {
        if (e.name.endsWith(".json")) n++;
      }
      return n;
    };
    const start = await entries();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}core/cli.ts`, ...args("--full-refresh")],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 2000 && await entries() < start + 4; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGKILL");
    await child.status;
    assert(await entries() >= start + 4, "the refresh never checkpointed");
    // Killed mid-refresh: readers still see exactly the old set.
    assertEquals(await glob(lake, "demo/items"), old);
    const [mid] = await queryLake(
      lake,
      demo,
      "SELECT count(*) AS n, count(*) FILTER (WHERE name LIKE 'new-%') AS fresh FROM items",
    );
    assertEquals({ n: Number(mid!.n), fresh: Number(mid!.fresh) }, {
      n: records,
      fresh: 0,
    });

    // The next run (no flag) finishes the refresh and swaps it in.
    const resumed = await inlet(args());
    assertEquals(resumed.code, 0, resumed.stderr);
    assertEquals(await glob(lake, "demo/items"), {
      n: records,
      ids: records,
      fresh: records,
    });
  } finally {
    await server.close();
    await Deno.remove(lake, { recursive: true });
  }
});
