/**
 * A pull against a source that sheds load the way several large APIs do
 * (`429`, `Retry-After: 1`, `retry-after-ms: 20`): it waits what the source
 * asks, as often as it asks while the run makes progress, and lands every
 * record; with no progress at all it fails after the stall timeout, saying so.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { streamStats, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const RECORDS = 1000;
const SHED = { "retry-after": "1", "retry-after-ms": "20" };

/**
 * A proxy in front of the test API that answers a request whose query
 * holds `page` with 429 and `SHED`'s headers, `times` times. Written here
 * because no server on npm sheds with `retry-after-ms`: it checks our
 * reading of that header, not another implementation's.
 */
function startShedder(upstream: string, page: string, times: number) {
  const state = { shed: 0, passed: 0 };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.search.includes(page) && state.shed < times) {
        state.shed++;
        return Response.json({ error: "overloaded" }, {
          status: 429,
          headers: SHED,
        });
      }
      state.passed++;
      const res = await fetch(`${upstream}${url.pathname}${url.search}`);
      return new Response(res.body, {
        status: res.status,
        headers: res.headers,
      });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    state,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("pushback pull: a page shed with 429 far more than 6 times lands with every record", async () => {
  await using api = await startApiServer({ records: RECORDS });
  // 40 sheds of the same page, while the other pages succeed.
  await using shedder = startShedder(api.url, "offset=500", 40);
  await withTempDir("inlet-pushback-", async (lake) => {
    const summary = await pull(
      testConnector(shedder.url, { items: offsetStream(50) }),
      { lake, concurrency: 4 },
    );
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    assertEquals(shedder.state.shed, 40);
    const s = summary.streams[0]!;
    assertEquals(s.throttled, 40);
    assertEquals(await streamStats(`${lake}/t/items`), {
      n: RECORDS,
      ids: RECORDS,
      s: sumTo(RECORDS),
    });
  });
});

Deno.test("pushback pull: a source that throttles with no progress fails after stallTimeoutMs, naming the page", async () => {
  await using api = await startApiServer({ records: RECORDS });
  await using shedder = startShedder(api.url, "offset=500", Infinity);
  await withTempDir("inlet-pushback-", async (lake) => {
    const summary = await pull(
      testConnector(shedder.url, { items: offsetStream(50) }),
      { lake, concurrency: 4, stallTimeoutMs: 300 },
    );
    assertEquals(summary.status, "failed");
    const error = summary.errors.join("\n");
    assertMatch(
      error,
      /Cannot fetch page 11 of "t\/items": no progress for \d+ms, the source kept answering 429 .* at http:\/\/127\.0\.0\.1:\d+\/offset\/items\?.*offset=500/,
    );
    assert(shedder.state.shed > 6, `shed ${shedder.state.shed} times`);
  });
});
