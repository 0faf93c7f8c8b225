import assert from "node:assert/strict";
import {
  encoderThreads,
  encoderThreadStarts,
} from "../../../core/lake/_parquet_encoder.ts";
import { queryLake } from "../../../core/lake/query.ts";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { offsetConnector } from "../../_bench_connectors.ts";

// Its own file: the worker probe runs once a process, so the count of
// starts below is this test's alone.
Deno.test("pull: the files of a run share one encoder thread, started once, and it ends with the run", async () => {
  await using server = await startApiServer({ records: 1_000 });
  const lake = await Deno.makeTempDir();
  try {
    const before = encoderThreadStarts();
    const summary = await pull(offsetConnector(server.url), {
      lake,
      fileRecords: 200,
      concurrency: 2,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.equal(summary.records, 1_000);
    const files = [...Deno.readDirSync(`${lake}/bench_offset/items/data`)]
      .filter((f) => f.name.endsWith(".parquet"));
    assert.ok(files.length >= 5, `${files.length} files`);
    assert.equal(
      encoderThreadStarts() - before,
      1,
      "the probe's worker encodes every file",
    );
    assert.equal(encoderThreads(), 0, "no thread outlives the run");
    const rows = await queryLake(
      lake,
      offsetConnector(server.url),
      "select count(*) as n, count(distinct id) as ids, sum(id) as s from items",
    );
    assert.deepEqual(rows, [{ n: 1_000n, ids: 1_000n, s: 500_500n }]);
  } finally {
    await Deno.remove(lake, { recursive: true });
  }
});
