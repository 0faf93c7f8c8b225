/**
 * A stream that fails keeps what it durably fetched: the pages before the
 * failed one are committed (as a graceful stop commits them), the run fails
 * naming the page, its summary reports what was committed, and the next run
 * continues after that prefix so every record lands once.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import demo from "../../../connectors/demo.ts";
import { readStates } from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { summaryTable } from "../../../core/cli/progress.ts";
import { pull, type RunSummary } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { BASE_S } from "../../../core/testing/_records.ts";
import { stripeLikeStream, testConnector } from "../../_connectors.ts";
import { duck, streamStats, sumTo } from "../../_duckdb.ts";
import { tableSource } from "../../_iceberg.ts";
import { withTempDir } from "../../_lake.ts";

/** The ids an Iceberg reader of the stream's table reads, in order. */
async function ids(dir: string): Promise<number[]> {
  const rows = await duck(
    `SELECT id FROM ${await tableSource(dir)} ORDER BY id`,
  );
  return rows.map((r) => Number(r.id));
}

Deno.test("failed stream: the pages before a permanently failed page are committed, the summary says so, the next run completes exactly", async () => {
  const records = 2_000;
  const failAt = 1_000; // Pages of 50: the 21st page fails.
  await using server = await startApiServer({
    records,
    // 400 is not retried: the page fails for good in this run.
    faults: [{ path: "offset=1000", kind: "status", status: 400, times: 1 }],
  });
  await withTempDir("inlet-failed-", async (lake) => {
    const first = await pull(demo, {
      lake,
      baseUrl: server.url,
      concurrency: 4,
      // No checkpoint on the way: what lands, lands through the failure's commit.
      fileRecords: 1_000_000,
      checkpointMs: 3_600_000,
    });
    assertEquals(first.status, "failed");
    assertEquals(first.errors.length, 1);
    assertMatch(first.errors[0]!, /offset=1000/);
    assertMatch(first.errors[0]!, /400/);

    // Exactly the contiguous prefix before the failed page.
    const dir = `${lake}/demo/items`;
    assertEquals(await streamStats(dir), {
      n: failAt,
      ids: failAt,
      s: sumTo(failAt),
    });
    assertEquals(
      await ids(dir),
      Array.from({ length: failAt }, (_, i) => i + 1),
    );
    // The summary (returned, stored, and as a table) reports what was committed.
    const [stream] = first.streams;
    assertEquals(stream!.records, failAt);
    assertEquals(first.records, failAt);
    assert(stream!.files >= 1, `files: ${stream!.files}`);
    assertEquals(stream!.complete, false);
    const stored = JSON.parse(
      await Deno.readTextFile(`${lake}/demo/_runs/${first.runId}.json`),
    ) as RunSummary;
    assertEquals(stored.streams[0]!.records, failAt);
    assertEquals(stored.streams[0]!.files, stream!.files);
    assertMatch(summaryTable(first), /1,000/);
    const [report] = await readStates(new LocalStorage(lake), demo);
    assertEquals((report!.state as { sweep: string }).sweep, "running");

    // The source is fixed: the next run lands the rest, each record once.
    const second = await pull(demo, {
      lake,
      baseUrl: server.url,
      concurrency: 4,
    });
    assertEquals(second.status, "ok", second.errors.join("\n"));
    assertEquals(second.records, records - failAt);
    assertEquals(await streamStats(dir), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  });
});

Deno.test("failed stream: with many lanes, the lanes a failure stopped are not done; the next run lands the rest exactly once", async () => {
  const records = 2_000;
  await using server = await startApiServer({
    records,
    // One lane's later page fails once for good; the other lanes are mid-way.
    faults: [{
      path: "starting_after=",
      after: 12,
      kind: "status",
      status: 400,
    }],
  });
  const c = testConnector(server.url, {
    items: stripeLikeStream(10, { end: BASE_S + 1_000, partitions: 4 }),
  });
  await withTempDir("inlet-failed-lanes-", async (lake) => {
    const dir = `${lake}/t/items`;
    const first = await pull(c, {
      lake,
      concurrency: 4,
      fileRecords: 1_000_000,
      checkpointMs: 3_600_000,
    });
    assertEquals(first.status, "failed");
    assertMatch(first.errors[0]!, /starting_after=/);
    const kept = await streamStats(dir);
    assert(kept.n > 0 && kept.n < records, `kept ${kept.n}`);
    assertEquals(kept.ids, kept.n, "no record twice");
    assertEquals(first.records, kept.n);

    const second = await pull(c, { lake, concurrency: 4 });
    assertEquals(second.status, "ok", second.errors.join("\n"));
    assertEquals(await streamStats(dir), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
    assertEquals(first.records + second.records, records);
  });
});
