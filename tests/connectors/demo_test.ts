import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { runDemo } from "../../core/cli/demo.ts";
import { ID_COLUMNS, streamStats } from "../_duckdb.ts";
import { withTempDir } from "../_lake.ts";

// The speed-up itself depends on the machine: `deno task bench` measures it.
// Here, what does not: the records, the requests, that they overlapped, and
// that the sequential estimate is the measured page time over the same pages.
Deno.test("demo: pulls the sample API concurrently, every record once, and estimates the sequential pull over the same pages", async () => {
  let out = "";
  await withTempDir("inlet-demo-", async (lake) => {
    const records = 5000;
    const pages = records / 50;
    const probes = 10; // the sequential pages the demo times first
    // The sample API counts what it was sent: the wire, whatever client.
    const result = await runDemo({
      lake,
      records,
      latencyMs: 5,
      capacity: 8,
      write: (t) => out += t,
      progress: false,
    });
    assertEquals(result.records, records);
    assertEquals(
      result.requests,
      probes + pages,
      "one request a page, no more",
    );
    assert(result.maxInFlight > 1, "the pull never had two requests out");
    const line = out.match(
      /pulled ([\d,]+) records \((\d+) pages\) in [\d.]+ s; a sequential pull takes about ([\d.]+) s \(([\d.]+) ms per page measured\)/,
    );
    assert(line, out);
    assertEquals([line[1], Number(line[2])], ["5,000", pages]);
    // Both numbers are printed to 0.1: the estimate is pages x page time.
    const [shown, perPage] = [Number(line[3]), Number(line[4])];
    assert(
      Math.abs(shown - pages * perPage / 1000) <= 0.05 + pages * 0.05 / 1000,
      `${shown} s is not ${pages} pages x ${perPage} ms`,
    );
    assert(Math.abs(result.sequentialSeconds - shown) <= 0.05);
    assertMatch(out, /iceberg_scan\('/);
    const row = await streamStats(result.path, ID_COLUMNS);
    assertEquals([row.n, row.ids, row.s], [
      records,
      records,
      records * (records + 1) / 2,
    ]);
    // A second demo run replaces the first: counts stay exact.
    await runDemo({
      lake,
      records: 500,
      latencyMs: 1,
      write: () => {},
      progress: false,
    });
    const again = await streamStats(result.path, ID_COLUMNS);
    assertEquals([again.n, again.ids, again.s], [500, 500, 500 * 501 / 2]);
  });
});
