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
import { readStates } from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import {
  type ApiServer,
  startApiServer,
} from "../../../core/testing/api_server.ts";
import demo from "../../../connectors/demo.ts";
import { pullArgs, runCliChild, spawnCli, waitUntil } from "../../_cli.ts";
import { streamStats, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const CRASH_CLI = "tests/core/run/_crash_cli.ts";

/** Wait (bounded) until the server has answered `n` requests. */
async function served(server: ApiServer, n: number): Promise<void> {
  await waitUntil(() => server.stats.served >= n);
  assert(server.stats.served >= n, `only ${server.stats.served} served`);
}

/** A demo pull from `server` into `lake`, 4 at a time, then `extra`. */
function demoArgs(server: ApiServer, lake: string, extra: string[] = []) {
  return pullArgs(
    "demo",
    server.url,
    lake,
    "--concurrency",
    "4",
    // No checkpoint on the way: whatever lands, lands through the stop's commit.
    "--checkpoint-records",
    "1000000",
    ...extra,
  );
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`stop: ${signal} lets in-flight pages land, commits them, exits ${code}; the next run continues`, async () => {
    const records = 20_000;
    await using server = await startApiServer({ records, latencyMs: 20 });
    await withTempDir("inlet-stop-", async (lake) => {
      const child = spawnCli(demoArgs(server, lake));
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
      assertEquals(await streamStats(`${lake}/demo/items`), {
        n: pages * 50,
        ids: pages * 50,
        s: sumTo(pages * 50),
      });
      const [report] = await readStates(new LocalStorage(lake), demo);
      assertEquals((report!.state as { sweep: string }).sweep, "running");

      // The next run asks only for the rest (and the first page, to plan).
      const next = await runCliChild(demoArgs(server, lake));
      assertEquals(next.code, 0, next.stderr);
      assertEquals(server.stats.served - pages, records / 50 - pages + 1);
      assertEquals(await streamStats(`${lake}/demo/items`), {
        n: records,
        ids: records,
        s: sumTo(records),
      });
    });
  });
}

Deno.test("stop: --max-duration stops the same way and exits 0; the next run continues", async () => {
  const records = 40_000;
  await using server = await startApiServer({ records, latencyMs: 20 });
  await withTempDir("inlet-stop-", async (lake) => {
    const first = await runCliChild(
      demoArgs(server, lake, ["--max-duration", "1s"]),
    );
    assertEquals(first.code, 0, first.stderr);
    assertMatch(
      first.stderr,
      /stopped at --max-duration: the next run continues/,
    );
    const pages = server.stats.served;
    assert(pages < records / 50, "the run outlived its --max-duration");
    assertEquals((await streamStats(`${lake}/demo/items`)).n, pages * 50);
    const next = await runCliChild(demoArgs(server, lake));
    assertEquals(next.code, 0, next.stderr);
    assertEquals(await streamStats(`${lake}/demo/items`), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  });
});

Deno.test("stop: --limit cuts a page short; the next run lands the rest of it and nothing twice", async () => {
  const records = 1000;
  await using server = await startApiServer({ records });
  await withTempDir("inlet-stop-", async (lake) => {
    for (const limit of ["123", "77", "400"]) {
      const r = await runCliChild(
        demoArgs(server, lake, ["--limit", limit]),
      );
      assertEquals(r.code, 0, r.stderr);
    }
    assertEquals(await streamStats(`${lake}/demo/items`), {
      n: 600,
      ids: 600,
      s: sumTo(600),
    });
    const last = await runCliChild(demoArgs(server, lake));
    assertEquals(last.code, 0, last.stderr);
    assertEquals(await streamStats(`${lake}/demo/items`), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  });
});

Deno.test("stop: SIGTERM to a run of cursor, partitioned and dependent streams; the next run makes it exact", async () => {
  const records = 1500;
  await using server = await startApiServer({ records, latencyMs: 5 });
  await withTempDir("inlet-stop-", async (lake) => {
    const args = pullArgs(
      "crash",
      server.url,
      lake,
      "--concurrency",
      "8",
      "--checkpoint-records",
      "1000000",
    );
    const child = spawnCli(args, { entry: CRASH_CLI });
    await served(server, 150);
    child.kill("SIGTERM");
    const out = await child.output();
    assertEquals(out.code, 143, new TextDecoder().decode(out.stderr));
    const landed = await streamStats(`${lake}/crash/details`);
    assert(landed.n > 0 && landed.n < records, `details: ${landed.n}`);
    const next = await runCliChild(args, { entry: CRASH_CLI });
    assertEquals(next.code, 0, next.stderr);
    for (const s of ["fanout", "cursor", "partitioned", "details"]) {
      assertEquals(await streamStats(`${lake}/crash/${s}`), {
        n: records,
        ids: records,
        s: sumTo(records),
      }, s);
    }
  });
});
