/**
 * Bad input during a run: the run stops with an error naming the connector,
 * the stream and the URL, the state stays at the last durable page, and a
 * run after the fault is fixed lands every record exactly once.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { readStates } from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import {
  cursorStream,
  hasMoreStream,
  offsetStream,
  testConnector,
} from "../../_connectors.ts";
import { ID_COLUMNS, streamStats, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const RECORDS = 600;

const fanout = offsetStream(50);
const chain = cursorStream(50);
const hasMore = hasMoreStream(50);

/**
 * A proxy in front of the test API that spoils the body of the requests
 * `spoil` picks (while `on`), so a fault can be fixed between runs.
 */
function startProxy(
  upstream: string,
  spoil: (url: URL, body: Record<string, unknown>) => boolean,
) {
  const state = { on: true };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const res = await fetch(`${upstream}${url.pathname}${url.search}`);
      const body = await res.json();
      if (state.on) spoil(url, body);
      return Response.json(body, { status: res.status });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    fix: () => state.on = false,
    close: () => server.shutdown(),
  };
}

/** Rows, distinct ids, their sum, the lowest and highest id landed (all 0 before any). */
function lakeStats(lake: string) {
  return streamStats(`${lake}/t/items`, {
    ...ID_COLUMNS,
    lo: "min(id)",
    hi: "max(id)",
  });
}

// Faults the test API injects itself; fixed by starting it again without them.
Deno.test("bad input: a page that is not JSON stops the run at the last durable page; the next run lands the rest once", async () => {
  const c = (url: string) => testConnector(url, { items: fanout });
  await withTempDir("inlet-bad-", async (lake) => {
    {
      await using api = await startApiServer({
        records: RECORDS,
        faults: [{ kind: "malformed", path: "offset=300", times: Infinity }],
      });
      const failed = await pull(c(api.url), {
        lake,
        concurrency: 4,
        fileRecords: 100,
      });
      assertEquals(failed.status, "failed");
      const error = failed.errors[0]!;
      assertMatch(error, /"t\/items"/);
      assertMatch(error, /not JSON/);
      assert(error.includes(`${api.url}/offset/items?`), error);
      assertMatch(error, /offset=300/);
      // Pages after the bad one may have been fetched; none is durable.
      const got = await lakeStats(lake);
      assertEquals(got.lo, got.n === 0 ? 0 : 1);
      assertEquals(got.hi, got.n);
      assertEquals(got.ids, got.n);
      assert(got.n <= 300, `committed past the bad page: ${got.n}`);
      const [report] = await readStates(new LocalStorage(lake), c(api.url));
      const state = report!.state as {
        records: number;
        lanes: { main: { position: { page: number } } };
      };
      assertEquals(state.records, got.n);
      assert(state.lanes.main.position.page < 6);
    }
    {
      await using api = await startApiServer({ records: RECORDS });
      const fixed = await pull(c(api.url), {
        lake,
        concurrency: 4,
        fileRecords: 100,
      });
      assertEquals(fixed.status, "ok", fixed.errors.join("\n"));
      assertEquals(await lakeStats(lake), {
        n: RECORDS,
        ids: RECORDS,
        s: sumTo(RECORDS),
        lo: 1,
        hi: RECORDS,
      });
    }
  });
});

const proxied: Array<{
  name: string;
  stream: StreamDef;
  spoil: (url: URL, body: Record<string, unknown>) => boolean;
  reason: RegExp;
  url: RegExp;
  before: number;
}> = [
  {
    name: "a cursor that repeats",
    stream: chain,
    // The 5th page sends back the cursor it was asked with.
    spoil: (url, body) => {
      const cursor = url.searchParams.get("cursor");
      if (cursor !== btoa("after:200")) return false;
      body.next_cursor = cursor;
      return true;
    },
    reason:
      /cursor repeats: cursor=YWZ0ZXI6MjAw came back with 50 records from the page it was sent to/,
    url: /\/cursor\/items\?.*cursor=YWZ0ZXI6MjAw/,
    before: 250,
  },
  {
    name: "an empty page with has_more=true",
    stream: hasMore,
    // Newest first: the page after id 401 comes back empty but "has more".
    spoil: (url, body) => {
      if (url.searchParams.get("starting_after") !== "401") return false;
      body.data = [];
      body.has_more = true;
      return true;
    },
    reason: /empty page with has_more=true/,
    url: /\/stripe\/items\?.*starting_after=401/,
    before: 200,
  },
];

for (const t of proxied) {
  Deno.test(`bad input: ${t.name} stops the run naming connector, stream and URL; fixed, the next run lands the rest once`, async () => {
    await using api = await startApiServer({ records: RECORDS });
    const proxy = startProxy(api.url, t.spoil);
    const c = testConnector(proxy.url, { items: t.stream });
    await withTempDir("inlet-bad-", async (lake) => {
      const failed = await pull(c, { lake, concurrency: 4, fileRecords: 100 });
      assertEquals(failed.status, "failed");
      const error = failed.errors[0]!;
      assertMatch(error, /"t\/items"/);
      assertMatch(error, t.reason);
      assertMatch(error, t.url);
      assert(error.includes(proxy.url), error);
      const got = await lakeStats(lake);
      assertEquals(got.ids, got.n);
      assert(got.n <= t.before, `committed past the bad page: ${got.n}`);
      const [report] = await readStates(new LocalStorage(lake), c);
      assertEquals((report!.state as { records: number }).records, got.n);

      proxy.fix();
      const fixed = await pull(c, { lake, concurrency: 4, fileRecords: 100 });
      assertEquals(fixed.status, "ok", fixed.errors.join("\n"));
      assertEquals(await lakeStats(lake), {
        n: RECORDS,
        ids: RECORDS,
        s: sumTo(RECORDS),
        lo: 1,
        hi: RECORDS,
      });
    }).finally(() => proxy.close());
  });
}

Deno.test("bad input: a field that changes type mid-stream is a SchemaError naming field, stream and URL, even in a new file", async () => {
  await using api = await startApiServer({ records: RECORDS });
  const c = testConnector(api.url, { items: fanout });
  await withTempDir("inlet-bad-", async (lake) => {
    // Page 8 (offset 350) is all strings, and a checkpoint closed the file
    // before it: only the stream's schema so far knows "score" is a number.
    for (let id = 351; id <= 400; id++) {
      api.updateRecord(id, { score: `high-${id}` });
    }
    const failed = await pull(c, { lake, concurrency: 4, fileRecords: 50 });
    assertEquals(failed.status, "failed");
    const error = failed.errors[0]!;
    assertMatch(error, /field "score" was DOUBLE, now STRING in "t\/items"/);
    assertMatch(
      error,
      /at http:\/\/127\.0\.0\.1:\d+\/offset\/items\?.*offset=350/,
    );
    const got = await lakeStats(lake);
    assertEquals(got, {
      n: 350,
      ids: 350,
      s: sumTo(350),
      lo: 1,
      hi: 350,
    });

    for (let id = 351; id <= 400; id++) {
      api.updateRecord(id, { score: id * 1.5 });
    }
    const fixed = await pull(c, { lake, concurrency: 4, fileRecords: 50 });
    assertEquals(fixed.status, "ok", fixed.errors.join("\n"));
    assertEquals(await lakeStats(lake), {
      n: RECORDS,
      ids: RECORDS,
      s: sumTo(RECORDS),
      lo: 1,
      hi: RECORDS,
    });
  });
});
