import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { runDemo } from "../../core/demo.ts";
import { duck, sqlString } from "../_duckdb.ts";

Deno.test("demo: pulls the sample API and reports the speed-up over a sequential pull", async () => {
  const lake = await Deno.makeTempDir({ prefix: "inlet-demo-" });
  let out = "";
  try {
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
    const [row] = await duck(
      `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s FROM read_parquet(${
        sqlString(`${result.path}/*.parquet`)
      })`,
    );
    assertEquals([Number(row!.n), Number(row!.ids), Number(row!.s)], [
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
    const [again] = await duck(
      `SELECT count(*) AS n FROM read_parquet(${
        sqlString(`${result.path}/*.parquet`)
      })`,
    );
    assertEquals(Number(again!.n), 500);
  } finally {
    await Deno.remove(lake, { recursive: true });
  }
});
