/**
 * A run handed a record the Parquet encoder cannot take (a `score`, a
 * DOUBLE column, that a double would round): the run fails naming stream,
 * page, record and URL, the lake holds exactly what its state says, and
 * once the source is fixed every record lands once.
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

// 2^53 + 1: the HTTP layer hands it over as a bigint, every digit kept.
const INEXACT = "9007199254740993";

Deno.test("pull: a record the encoder cannot take fails the run naming stream, page, record and URL; nothing short lands", async () => {
  await using api = await startApiServer({ records: RECORDS });
  let spoil = true;
  const proxy = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const res = await fetch(`${api.url}${url.pathname}${url.search}`);
      const body = await res.json() as { items: Record<string, unknown>[] };
      if (spoil && url.searchParams.get("offset") === "100") {
        body.items[1]!.score = "__inexact__";
      }
      const text = JSON.stringify(body).replace('"__inexact__"', INEXACT);
      return new Response(text, {
        status: res.status,
        headers: { "content-type": "application/json" },
      });
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
      assert.match(error, /Cannot write record 2 of page 3 of "t\/items"/);
      assert.match(error, /not exact as a DOUBLE/);
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
