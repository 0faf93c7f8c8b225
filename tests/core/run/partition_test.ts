import assert from "node:assert/strict";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { BASE_S, createdOf } from "../../../core/testing/_records.ts";
import type { RangePartition } from "../../../core/connector/types.ts";
import { stripeLikeStream, testConnector } from "../../_connectors.ts";
import { ID_COLUMNS, streamStats, sumTo } from "../../_duckdb.ts";
import { withStorage, withTempDir } from "../../_lake.ts";
import { newRunId } from "../../../core/lake/stream_table.ts";
import type { HttpRequest, HttpResponse } from "../../../core/http/http.ts";
import {
  type JsonFetcher,
  newStreamStats,
} from "../../../core/paging/paginate.ts";
import { runStream } from "../../../core/run/stream_run.ts";

/**
 * A Stripe-like stream over the test API's `/stripe/items` (newest first,
 * three records per `created` second), paged by `starting_after`.
 */
function stripeLike(
  baseUrl: string,
  page: number,
  partition: Partial<RangePartition>,
) {
  return testConnector(baseUrl, { items: stripeLikeStream(page, partition) });
}

/** A fetch that records each range asked for and the records each answer held. */
function observingFetch() {
  const ranges = new Set<string>();
  let fetched = 0;
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    ranges.add(
      `${url.searchParams.get("created[gte]")},${
        url.searchParams.get("created[lt]")
      }`,
    );
    const res = await fetch(input, init);
    const body = await res.clone().json().catch(() => undefined);
    if (Array.isArray(body?.data)) fetched += body.data.length;
    return res;
  };
  return {
    fetch: wrapped,
    ranges,
    get fetched() {
      return fetched;
    },
  };
}

/** Rows, distinct ids, their sum and the distinct `created` seconds landed. */
function lakeStats(lake: string) {
  return streamStats(`${lake}/t/items`, {
    ...ID_COLUMNS,
    seconds: "count(DISTINCT created)",
  });
}

Deno.test("partitions: many ranges, some empty, every record exactly once", async () => {
  const records = 1500;
  await using server = await startApiServer({ records });
  await withTempDir("inlet-partition-", async (lake) => {
    const seen = observingFetch();
    const summary = await pull(
      stripeLike(server.url, 10, {
        // A day before the data and up to now: the outer partitions are empty.
        start: BASE_S - 86_400,
        partitions: 13,
      }),
      { lake, concurrency: 4, fetch: seen.fetch },
    );
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.equal(summary.records, records);
    assert.ok(seen.ranges.size >= 13, `ranges asked: ${seen.ranges.size}`);
    const got = await lakeStats(lake);
    assert.deepEqual(got, {
      n: records,
      ids: records,
      s: sumTo(records),
      seconds: createdOf(records) - createdOf(1) + 1,
    });
  });
});

Deno.test("partitions: a dense range splits at a shared second, no gap and no overlap", async () => {
  const records = 2000;
  await using server = await startApiServer({ records });
  await withTempDir("inlet-partition-", async (lake) => {
    const seen = observingFetch();
    // One partition, and a concurrency that wants ten lanes: the lane must
    // split, and with 7 records a page most splits fall inside a second
    // whose other records are still to come.
    const summary = await pull(
      stripeLike(server.url, 7, {
        end: createdOf(records) + 1,
        partitions: 1,
      }),
      { lake, concurrency: 6, fetch: seen.fetch },
    );
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.equal(summary.records, records);
    assert.ok(seen.ranges.size > 4, `ranges asked: ${seen.ranges.size}`);
    // The half holding the boundary second asked for it again, and skipped
    // the records of it that had landed: more came than landed.
    assert.ok(
      seen.fetched > records,
      `fetched ${seen.fetched} for ${records} records: no split re-read a second`,
    );
    assert.deepEqual(await lakeStats(lake), {
      n: records,
      ids: records,
      s: sumTo(records),
      seconds: createdOf(records) - createdOf(1) + 1,
    });
  });
});

Deno.test("partitions: splits under adaptive concurrency, pages of one record", async () => {
  const records = 600;
  await using server = await startApiServer({
    records,
    latencyMs: 2,
    capacity: 8,
  });
  await withTempDir("inlet-partition-", async (lake) => {
    const seen = observingFetch();
    const summary = await pull(
      stripeLike(server.url, 1, {
        end: createdOf(records) + 1,
        partitions: 2,
      }),
      { lake, fetch: seen.fetch },
    );
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.ok(seen.ranges.size > 2, `ranges asked: ${seen.ranges.size}`);
    assert.deepEqual(await lakeStats(lake), {
      n: records,
      ids: records,
      s: sumTo(records),
      seconds: createdOf(records) - createdOf(1) + 1,
    });
  });
});

/**
 * A source with many records per `created` value, answered in memory:
 * newest first (`created`, then `id`, descending), `starting_after` an id.
 * Ids run from `firstId + 1`, so two sources can serve disjoint ids.
 */
function denseSource(
  values: number[],
  perValue: number,
  firstId = 0,
): JsonFetcher {
  const all: Array<{ id: number; created: number }> = [];
  let id = firstId;
  for (const v of values) {
    for (let j = 0; j < perValue; j++) all.push({ id: ++id, created: v });
  }
  all.sort((a, b) => b.created - a.created || b.id - a.id);
  return {
    getJson(req: HttpRequest): Promise<HttpResponse> {
      const q = new URL(req.url).searchParams;
      const gte = Number(q.get("created[gte]")),
        lt = Number(q.get("created[lt]"));
      const limit = Number(q.get("limit") ?? 10);
      let rows = all.filter((r) => r.created >= gte && r.created < lt);
      const after = q.get("starting_after");
      if (after !== null) {
        rows = rows.slice(rows.findIndex((r) => r.id === Number(after)) + 1);
      }
      const data = rows.slice(0, limit);
      return Promise.resolve({
        url: req.url,
        status: 200,
        headers: new Headers(),
        body: { data, has_more: rows.length > limit },
        bytes: 0,
        attempts: 1,
      });
    },
  };
}

Deno.test({
  name:
    "partitions: splits inside a dense second (ten pages of it) still land every record once",
  fn: async () => {
    // Ten records per second: a second spans ten pages of one record.
    const source = denseSource([100, 101, 102, 103], 10);
    let fetches = 0;
    let served = 0;
    const http: JsonFetcher = {
      getJson: async (req) => {
        fetches++;
        const res = await source.getJson(req);
        served += (res.body as { data: unknown[] }).data.length;
        return res;
      },
    };
    const connector = testConnector("http://127.0.0.1:1", {
      items: {
        ...stripeLikeStream(1, { start: 100, end: 104, partitions: 1 }),
      },
    });
    await withStorage("inlet-partition-", async (storage, dir) => {
      const result = await runStream({
        connector,
        name: "items",
        storage,
        runId: newRunId(),
        http,
        baseUrl: "http://127.0.0.1:1",
        stats: newStreamStats(),
        poolWidth: 2,
        // The only lane is asked to split from its fifth page on, half way
        // through second 103; every later lane as soon as it has two pages.
        // A half that starts inside a second its parent partly landed skips
        // those records, and must go on skipping them if it splits again.
        targetLanes: () => fetches >= 5 ? 100 : 1,
      });
      assert.equal(result.records, 40, "records landed");
      assert.ok(served > 40, `served ${served}: no half re-read a second`);
      assert.deepEqual(await lakeStats(dir), {
        n: 40,
        ids: 40,
        s: sumTo(40),
        seconds: 4,
      });
    });
  },
});

Deno.test({
  name:
    "partitions: once the other lanes are done, the last dense one splits to keep the workers busy",
  // Finished lanes stay in the state; only lanes still paging count when
  // the engine decides whether to split.
  fn: async () => {
    // Eight partitions of ten seconds: seven hold a record each, the last
    // one hundred.
    const values = [100, 110, 120, 130, 140, 150, 160];
    const sparse = denseSource(values, 1);
    // Ids 8 to 107: the lake holds each of 1 to 107 once, or it is wrong.
    const dense = denseSource(
      Array.from({ length: 10 }, (_, i) => 170 + i),
      10,
      values.length,
    );
    const ranges = new Set<string>();
    const http: JsonFetcher = {
      getJson: (req) => {
        const q = new URL(req.url).searchParams;
        const gte = Number(q.get("created[gte]"));
        ranges.add(`${gte},${q.get("created[lt]")}`);
        return (gte >= 170 ? dense : sparse).getJson(req);
      },
    };
    const connector = testConnector("http://127.0.0.1:1", {
      items: stripeLikeStream(5, { start: 100, end: 180, partitions: 8 }),
    });
    await withStorage("inlet-partition-", async (storage, dir) => {
      const result = await runStream({
        connector,
        name: "items",
        storage,
        runId: newRunId(),
        http,
        baseUrl: "http://127.0.0.1:1",
        stats: newStreamStats(),
        poolWidth: 2,
        targetLanes: () => 8,
      });
      assert.ok(
        ranges.size > 8,
        `${ranges.size} ranges: the dense one never split`,
      );
      // The lake, not the engine's own counter: every id once, every second.
      assert.deepEqual(await lakeStats(dir), {
        n: 107,
        ids: 107,
        s: sumTo(107),
        seconds: values.length + 10,
      });
      assert.equal(result.records, 107);
    });
  },
});
