import assert from "node:assert/strict";
import { defineConnector } from "../../core/connector.ts";
import { cursorPaginator } from "../../core/paginators.ts";
import { pull } from "../../core/pull.ts";
import { startApiServer } from "../../core/testing/api_server.ts";
import { BASE_S, createdOf } from "../../core/testing/_records.ts";
import type { RangePartition } from "../../core/types.ts";
import { duck, sqlString } from "../_duckdb.ts";

const sumTo = (n: number) => n * (n + 1) / 2;

/**
 * A Stripe-like stream over the test API's `/stripe/items` (newest first,
 * three records per `created` second), paged by `starting_after`.
 */
function stripeLike(
  baseUrl: string,
  page: number,
  partition: Partial<RangePartition>,
) {
  return defineConnector({
    name: "t",
    baseUrl,
    hosts: ["127.0.0.1"],
    streams: {
      items: {
        path: "/stripe/items",
        recordsPath: "data",
        primaryKey: "id",
        partition: {
          kind: "unix",
          gteParam: "created[gte]",
          ltParam: "created[lt]",
          start: BASE_S,
          field: "created",
          order: "desc",
          ...partition,
        },
        paginator: cursorPaginator({
          cursorParam: "starting_after",
          cursorFrom: "lastRecord",
          recordField: "id",
          hasMorePath: "has_more",
          limitParam: "limit",
          limit: page,
        }),
      },
    },
  });
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

async function lakeStats(lake: string) {
  const [row] = await duck(
    `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s,
       count(DISTINCT created) AS seconds
     FROM read_parquet(${sqlString(`${lake}/t/items/*.parquet`)})`,
  );
  return {
    n: Number(row!.n),
    ids: Number(row!.ids),
    s: Number(row!.s),
    seconds: Number(row!.seconds),
  };
}

async function withLake(fn: (lake: string) => Promise<void>): Promise<void> {
  const lake = await Deno.makeTempDir({ prefix: "inlet-partition-" });
  try {
    await fn(lake);
  } finally {
    await Deno.remove(lake, { recursive: true });
  }
}

Deno.test("partitions: many ranges, some empty, every record exactly once", async () => {
  const records = 1500;
  await using server = await startApiServer({ records });
  await withLake(async (lake) => {
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
  await withLake(async (lake) => {
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
  await withLake(async (lake) => {
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
