/**
 * A page of an offset or page-number fan-out (a total is known, every page
 * planned at once) that comes back short or empty while the total says more
 * follow is a gap: the run must fail naming that page, not end "ok" with
 * fewer records. Found by the fuzz test (tests/core/run/fuzz_test.ts).
 */
import assert from "node:assert/strict";
import { pull } from "../../../core/run/pull.ts";
import {
  type FuzzPaging,
  startFuzzServer,
} from "../../../core/testing/fuzz_server.ts";
import { withTempDir } from "../../_lake.ts";
import { fuzzConnector } from "../run/_fuzz_connector.ts";

for (const paging of ["offset_total", "page_total"] as FuzzPaging[]) {
  Deno.test(`fan-out gap: ${paging}, page 2 of 3 empty while the total says 30, fails naming it`, async () => {
    await using server = startFuzzServer({
      paging,
      pageSize: 10,
      records: Array.from({ length: 30 }, (_, i) => `{"id":${i + 1}}`),
      emptyPages: [1],
    });
    await withTempDir("inlet-gap-", async (lake) => {
      const summary = await pull(fuzzConnector({ paging, pageSize: 10 }), {
        lake,
        baseUrl: server.url,
        concurrency: 1,
      });
      assert.equal(
        summary.status,
        "failed",
        `ok with ${summary.records} of 30`,
      );
      assert.match(summary.errors[0] ?? "", /page 2\b/);
    });
  });
}
