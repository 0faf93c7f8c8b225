/**
 * Graceful stop: SIGINT and SIGTERM stop new requests, let the pages in
 * flight land, commit them and exit 130 / 143; `--max-duration` does the
 * same and exits 0; `--limit` stops mid-page. Each time the next run
 * continues where it stopped and the data ends exact.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { readStates } from "../../core/lake_reader.ts";
import { LocalStorage } from "../../core/local_storage.ts";
import {
  type ApiServer,
  startApiServer,
} from "../../core/testing/api_server.ts";
import demo from "../../connectors/demo.ts";
import { duck, sqlString } from "../_duckdb.ts";
import { hasParquet, inlet } from "./_lake_snapshot.ts";

const root = new URL("../../", import.meta.url).pathname;
const sumTo = (n: number) => n * (n + 1) / 2;

async function rows(lake: string, stream: string) {
  if (!(await hasParquet(`${lake}/${stream}`))) return { n: 0, ids: 0, s: 0 };
  const [row] = await duck(
    `SELECT count(*) AS n, count(DISTINCT id) AS ids, coalesce(sum(id), 0) AS s FROM read_parquet(${
      sqlString(`${lake}/${stream}/*.parquet`)
    }, union_by_name = true)`,
  );
  return { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) };
}

/** Wait (bounded) until the server has answered `n` requests. */
async function served(server: ApiServer, n: number): Promise<void> {
  for (let i = 0; i < 2000 && server.stats.served < n; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert(server.stats.served >= n, `only ${server.stats.served} served`);
}

function pullArgs(server: ApiServer, lake: string, extra: string[] = []) {
  return [
    "run",
    "-A",
    `${root}core/cli.ts`,
    "pull",
    "demo",
    "--no-sandbox",
    "--base-url",
    server.url,
    "--lake",
    lake,
    "--concurrency",
    "4",
    // No checkpoint on the way: whatever lands, lands through the stop's commit.
    "--checkpoint-records",
    "1000000",
    ...extra,
  ];
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`stop: ${signal} lets in-flight pages land, commits them, exits ${code}; the next run continues`, async () => {
    const records = 20_000;
    const server = await startApiServer({ records, latencyMs: 20 });
    const lake = await Deno.makeTempDir({ prefix: "inlet-stop-" });
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: pullArgs(server, lake),
        cwd: root,
        env: { NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      await served(server, 20);
      child.kill(signal);
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, code, stderr);
      assertMatch(stderr, new RegExp(`${signal}: stopping`));
      assertMatch(stderr, /stopped, [\d,]+ records/);
      // Every page the server answered landed and was committed.
      const pages = server.stats.served;
      assert(pages < records / 50, "stopped before the end");
      assertEquals(await rows(lake, "demo/items"), {
        n: pages * 50,
        ids: pages * 50,
        s: sumTo(pages * 50),
      });
      const [report] = await readStates(new LocalStorage(lake), demo);
      assertEquals((report!.state as { sweep: string }).sweep, "running");

      // The next run asks only for the rest (and the first page, to plan).
      const next = await inlet(pullArgs(server, lake).slice(3));
      assertEquals(next.code, 0, next.stderr);
      assertEquals(server.stats.served - pages, records / 50 - pages + 1);
      assertEquals(await rows(lake, "demo/items"), {
        n: records,
        ids: records,
        s: sumTo(records),
      });
    } finally {
      await server.close();
      await Deno.remove(lake, { recursive: true });
    }
  });
}

Deno.test("stop: --max-duration stops the same way and exits 0; the next run continues", async () => {
  const records = 40_000;
  const server = await startApiServer({ records, latencyMs: 20 });
  const lake = await Deno.makeTempDir({ prefix: "inlet-stop-" });
  try {
    const first = await inlet(
      pullArgs(server, lake, ["--max-duration", "1s"]).slice(3),
    );
    assertEquals(first.code, 0, first.stderr);
    assertMatch(
      first.stderr,
      /stopped at --max-duration: the next run continues/,
    );
    const pages = server.stats.served;
    assert(pages < records / 50, "the run outlived its --max-duration");
    assertEquals((await rows(lake, "demo/items")).n, pages * 50);
    const next = await inlet(pullArgs(server, lake).slice(3));
    assertEquals(next.code, 0, next.stderr);
    assertEquals(await rows(lake, "demo/items"), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  } finally {
    await server.close();
    await Deno.remove(lake, { recursive: true });
  }
});

Deno.test("stop: --limit cuts a page short; the next run lands the rest of it and nothing twice", async () => {
  const records = 1000;
  const server = await startApiServer({ records });
  const lake = await Deno.makeTempDir({ prefix: "inlet-stop-" });
  try {
    for (const limit of ["123", "77", "400"]) {
      const r = await inlet(
        pullArgs(server, lake, ["--limit", limit]).slice(3),
      );
      assertEquals(r.code, 0, r.stderr);
    }
    assertEquals(await rows(lake, "demo/items"), {
      n: 600,
      ids: 600,
      s: sumTo(600),
    });
    const last = await inlet(pullArgs(server, lake).slice(3));
    assertEquals(last.code, 0, last.stderr);
    assertEquals(await rows(lake, "demo/items"), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  } finally {
    await server.close();
    await Deno.remove(lake, { recursive: true });
  }
});

Deno.test("stop: SIGTERM to a run of cursor, partitioned and dependent streams; the next run makes it exact", async () => {
  const records = 1500;
  const server = await startApiServer({ records, latencyMs: 5 });
  const lake = await Deno.makeTempDir({ prefix: "inlet-stop-" });
  const args = [
    "run",
    "-A",
    `${root}tests/core/_crash_cli.ts`,
    "pull",
    "crash",
    "--no-sandbox",
    "--base-url",
    server.url,
    "--lake",
    lake,
    "--concurrency",
    "8",
    "--checkpoint-records",
    "1000000",
  ];
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await served(server, 150);
    child.kill("SIGTERM");
    const out = await child.output();
    assertEquals(out.code, 143, new TextDecoder().decode(out.stderr));
    const landed = await rows(lake, "crash/details");
    assert(landed.n > 0 && landed.n < records, `details: ${landed.n}`);
    const next = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(next.code, 0, new TextDecoder().decode(next.stderr));
    for (const s of ["fanout", "cursor", "partitioned", "details"]) {
      assertEquals(await rows(lake, `crash/${s}`), {
        n: records,
        ids: records,
        s: sumTo(records),
      }, s);
    }
  } finally {
    await server.close();
    await Deno.remove(lake, { recursive: true });
  }
});
