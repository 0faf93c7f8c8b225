/**
 * A run handed a record the Parquet encoder cannot take (nested 3,000
 * deep): the run fails naming stream, page and URL, the lake holds exactly
 * what its state says, and once the source is fixed every record lands once.
 */
import assert from "node:assert/strict";
import { readStates } from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { ID_COLUMNS, streamStats, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const RECORDS = 300;

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

Deno.test("pull: a record nested 3,000 deep fails the run naming stream, page and URL; nothing short lands", async () => {
  await using api = await startApiServer({ records: RECORDS });
  let spoil = true;
  const proxy = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const res = await fetch(`${api.url}${url.pathname}${url.search}`);
      const body = await res.json() as { items: Record<string, unknown>[] };
      if (spoil && url.searchParams.get("offset") === "100") {
        body.items[1]!.deep = nested(3000);
      }
      return Response.json(body, { status: res.status });
    },
  );
  try {
    const base = `http://127.0.0.1:${proxy.addr.port}`;
    const c = testConnector(base, { items: offsetStream(50) });
    await withTempDir("inlet-deep-", async (lake) => {
      const stats = () => streamStats(`${lake}/t/items`, ID_COLUMNS);
      const failed = await pull(c, { lake, concurrency: 2, fileRecords: 100 });
      assert.equal(failed.status, "failed");
      const error = failed.errors[0] ?? "";
      assert.match(error, /Cannot write page 3 of "t\/items"/);
      assert.match(error, /\/offset\/items\?.*offset=100/);
      const got = await stats();
      assert.equal(got.ids, got.n);
      const [report] = await readStates(new LocalStorage(lake), c);
      assert.equal(
        (report?.state as { records?: number })?.records ?? 0,
        got.n,
      );

      spoil = false;
      const fixed = await pull(c, { lake, concurrency: 2, fileRecords: 100 });
      assert.equal(fixed.status, "ok", fixed.errors.join("\n"));
      assert.deepEqual(await stats(), {
        n: RECORDS,
        ids: RECORDS,
        s: sumTo(RECORDS),
      });
    });
  } finally {
    await proxy.shutdown();
  }
});
