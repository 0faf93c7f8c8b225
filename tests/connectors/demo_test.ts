import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { runDemo } from "../../core/demo.ts";
import { ID_COLUMNS, streamStats } from "../_duckdb.ts";
import { withTempDir } from "../_lake.ts";

Deno.test("demo: pulls the sample API and reports the speed-up over a sequential pull", async () => {
  let out = "";
  await withTempDir("inlet-demo-", async (lake) => {
    const result = await runDemo({
      lake,
      records: 5000,
      latencyMs: 5,
      capacity: 8,
      write: (t) => out += t,
      progress: false,
    });
    assertEquals(result.records, 5000);
    assert(result.sequentialSeconds > 0);
    assertMatch(out, /sequential pull takes about/);
    assertMatch(out, /read_parquet\(/);
    const row = await streamStats(result.path, ID_COLUMNS);
    assertEquals([row.n, row.ids, row.s], [
      5000,
      5000,
      5000 * 5001 / 2,
    ]);
    // A second demo run replaces the first: counts stay exact.
    await runDemo({
      lake,
      records: 500,
      latencyMs: 1,
      write: () => {},
      progress: false,
    });
    const again = await streamStats(result.path, { n: ID_COLUMNS.n });
    assertEquals(again.n, 500);
  });
});
