// The crash test's kill helper: a child that ends before its kill point is
// a run with one kill fewer, reported as such, never a SIGKILL after a
// completed sweep (a restart then would be a new run, landing it twice).
import assert from "node:assert/strict";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { pullArgs } from "../../_cli.ts";
import { streamStats, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";
import { inspect } from "./_crash_lake.ts";
import { runToKill } from "./_kill_child.ts";

Deno.test("kill child: a run that completes before its kill point ends by itself and is reported unkilled", async () => {
  const records = 30;
  await using server = await startApiServer({ records });
  await withTempDir("inlet-kill-", async (lake) => {
    const args = pullArgs("shapes", server.url, lake, "--stream", "pages");
    const end = await runToKill(
      args,
      "tests/core/run/_crash_cli.ts",
      "staged:99",
      ["shapes/pages"],
    );
    assert.equal(end.killed, false, end.stderr);
    assert.equal(end.timedOut, false);
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual([...end.completed], ["shapes/pages"]);
    assert.deepEqual([...end.held], []);
    assert.deepEqual(await streamStats(`${lake}/shapes/pages`), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  });
});

Deno.test("kill child: a held run is killed by its handle with the commit staged and unwritten", async () => {
  await using server = await startApiServer({ records: 100 });
  await withTempDir("inlet-kill-", async (lake) => {
    const args = pullArgs(
      ...["shapes", server.url, lake, "--stream", "next"] as const,
      ...["--checkpoint-records", "10"],
    );
    const end = await runToKill(
      args,
      "tests/core/run/_crash_cli.ts",
      "staged:1",
      ["shapes/next"],
    );
    assert.equal(end.killed, true, end.stderr);
    assert.equal(end.code, 137);
    assert.deepEqual([...end.held], ["shapes/next"]);
    // Nothing committed, nothing visible: the staged file waits for recovery.
    assert.equal((await streamStats(`${lake}/shapes/next`)).n, 0);
    const left = await inspect(lake, "shapes/next");
    assert.equal(left.dataCommits, 0);
    assert.equal(left.orphans.size, 1);
  });
});
