import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import {
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  pageNumberPaginator,
} from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import {
  type Fault,
  startApiServer,
} from "../../../core/testing/api_server.ts";
import {
  cursorStream,
  hasMoreStream,
  offsetStream,
  testConnector,
} from "../../_connectors.ts";
import {
  columnTypes,
  duck,
  globStats,
  ID_COLUMNS,
  sqlString,
  streamStats,
  sumTo,
} from "../../_duckdb.ts";
import { committedFiles } from "../../_files.ts";
import { withTempDir } from "../../_lake.ts";

function connector(baseUrl: string, stream: StreamDef) {
  return testConnector(baseUrl, { items: stream });
}

async function visibleFiles(dir: string): Promise<string[]> {
  // The files a reader sees: those the stream's table lists (asserted to
  // be the very ones in its data folder).
  return await committedFiles(dir);
}

const styles: Array<[string, StreamDef]> = [
  ["offset with total (fan-out)", offsetStream(50)],
  ["offset without total (window)", {
    path: "/offset/items",
    params: { limit: 50, total: "false" },
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator({ limit: 50 }),
  }],
  ["page number with total pages", {
    path: "/pages/items",
    params: { per_page: 40 },
    recordsPath: "data",
    primaryKey: "id",
    paginator: pageNumberPaginator({ size: 40, totalPagesPath: "total_pages" }),
  }],
  ["cursor in the body", cursorStream(70)],
  ["has_more + last id", hasMoreStream(100)],
  ["next URL in the body", {
    path: "/next/items",
    recordsPath: "results",
    primaryKey: "id",
    paginator: nextUrlPaginator({ path: "next" }),
  }],
  ["Link header", {
    path: "/link/items",
    params: { per_page: 100 },
    primaryKey: "id",
    paginator: linkHeaderPaginator(),
  }],
];

for (const [name, stream] of styles) {
  Deno.test(`pull: ${name}: every record exactly once, read back by DuckDB`, async () => {
    const records = 1234;
    const server = await startApiServer({ records });
    try {
      await withTempDir("inlet-lake-", async (lake) => {
        const summary = await pull(connector(server.url, stream), {
          lake,
          concurrency: 8,
        });
        assertEquals(summary.status, "ok", summary.errors.join("\n"));
        assertEquals(summary.records, records);
        const got = await streamStats(`${lake}/t/items`);
        assertEquals(got, { n: records, ids: records, s: sumTo(records) });
      });
    } finally {
      await server.close();
    }
  });
}

Deno.test("pull: column types come from the records", async () => {
  const server = await startApiServer({ records: 300 });
  try {
    await withTempDir("inlet-lake-", async (lake) => {
      await pull(connector(server.url, styles[0]![1]), { lake });
      const types = await columnTypes(`${lake}/t/items/data/*.parquet`);
      assertEquals(types.id, "BIGINT");
      assertEquals(types.name, "VARCHAR");
      assertEquals(types.score, "DOUBLE");
      assertEquals(types.active, "BOOLEAN");
      assertMatch(String(types.created_at), /^TIMESTAMP/);
      assertEquals(types.tags, "VARCHAR[]");
      const [row] = await duck(
        `SELECT meta, tags, created_at FROM read_parquet(${
          sqlString(`${lake}/t/items/data/*.parquet`)
        }) WHERE id = 7`,
      );
      // A nested object of a stable shape is a struct (an Iceberg struct),
      // not JSON text.
      assertMatch(String(types.meta), /^STRUCT\(/);
      assertEquals(row!.meta, { rank: 7n, source: "api" });
      assertEquals(
        (row!.created_at as Date).toISOString(),
        "2024-01-01T00:07:00.000Z",
      );
    });
  } finally {
    await server.close();
  }
});

Deno.test("pull: --limit stops at exactly that many records", async () => {
  const server = await startApiServer({ records: 1000 });
  try {
    await withTempDir("inlet-lake-", async (lake) => {
      const summary = await pull(connector(server.url, styles[0]![1]), {
        lake,
        limit: 123,
      });
      assertEquals(summary.records, 123);
      assertEquals(
        (await streamStats(`${lake}/t/items`)).n,
        123,
      );
    });
  } finally {
    await server.close();
  }
});

Deno.test("pull: NDJSON (zstd and gzip) lands readable by DuckDB", async () => {
  const server = await startApiServer({ records: 500 });
  try {
    for (const compression of ["zstd", "gzip"] as const) {
      await withTempDir("inlet-lake-", async (lake) => {
        const summary = await pull(connector(server.url, styles[0]![1]), {
          lake,
          format: "ndjson",
          compression,
        });
        assertEquals(summary.status, "ok");
        const ext = compression === "zstd" ? "zst" : "gz";
        const got = await globStats(
          `${lake}/t/items/archive/*.ndjson.${ext}`,
          ID_COLUMNS,
          "read_json_auto",
        );
        assertEquals(got, { n: 500, ids: 500, s: sumTo(500) });
      });
    }
  } finally {
    await server.close();
  }
});

Deno.test("pull: writes a run summary beside the data", async () => {
  const server = await startApiServer({ records: 200 });
  try {
    await withTempDir("inlet-lake-", async (lake) => {
      const summary = await pull(connector(server.url, styles[0]![1]), {
        lake,
      });
      const text = await Deno.readTextFile(
        `${lake}/t/_runs/${summary.runId}.json`,
      );
      const saved = JSON.parse(text);
      assertEquals(saved.records, 200);
      assertEquals(saved.pages, 4);
      assertEquals(saved.streams[0].requests, 4);
      assert(saved.durationMs >= 0);
    });
  } finally {
    await server.close();
  }
});

const badInputs: Array<[string, Fault, RegExp]> = [
  [
    "a page that is not JSON",
    // Every time: a body cut short once is retried (strict_input_test.ts).
    { kind: "malformed", path: "offset=1500", times: Infinity },
    /not JSON/,
  ],
  [
    "a 200 with an HTML body",
    { kind: "html", path: "offset=1500" },
    /not JSON/,
  ],
  [
    "a non-retryable 4xx",
    { kind: "status", status: 403, path: "offset=1500" },
    /status 403/,
  ],
];

for (const [name, fault, reason] of badInputs) {
  Deno.test(`pull: ${name} stops the stream with an error naming connector, stream and URL`, async () => {
    const server = await startApiServer({ records: 3000, faults: [fault] });
    try {
      await withTempDir("inlet-lake-", async (lake) => {
        const summary = await pull(connector(server.url, styles[0]![1]), {
          lake,
          concurrency: 2,
          fileRecords: 500,
        });
        assertEquals(summary.status, "failed");
        const [error] = summary.errors;
        assertMatch(error!, /"t\/items"/);
        assertMatch(error!, /offset=1500/);
        assertMatch(error!, reason);
        // Files committed before the bad page stay; nothing partial is visible.
        const files = await visibleFiles(`${lake}/t/items`);
        assert(files.length >= 1, "earlier checkpoints stay");
        assert(files.every((f) => f.endsWith(".parquet")), files.join(","));
        const got = await streamStats(`${lake}/t/items`);
        assertEquals(got.n % 500, 0);
        assert(got.n >= 500 && got.n <= 1500);
        assertEquals(got.ids, got.n);
      });
    } finally {
      await server.close();
    }
  });
}

Deno.test("pull: a missing records path names the path, the stream and the URL", async () => {
  const server = await startApiServer({ records: 100 });
  try {
    await withTempDir("inlet-lake-", async (lake) => {
      const summary = await pull(
        connector(server.url, { ...styles[0]![1], recordsPath: "rows" }),
        { lake },
      );
      assertEquals(summary.status, "failed");
      assertMatch(summary.errors[0]!, /records path "rows" is missing/);
      assertMatch(summary.errors[0]!, /"t\/items"/);
      assertMatch(summary.errors[0]!, /\/offset\/items\?/);
    });
  } finally {
    await server.close();
  }
});

Deno.test("pull: retries 5xx and dropped connections, then lands everything", async () => {
  const server = await startApiServer({
    records: 1000,
    faults: [
      { kind: "status", status: 502, path: "offset=200", times: 2 },
      { kind: "drop", path: "offset=400" },
      { kind: "status", status: 429, path: "offset=600", retryAfter: "0" },
    ],
  });
  try {
    await withTempDir("inlet-lake-", async (lake) => {
      const summary = await pull(connector(server.url, styles[0]![1]), {
        lake,
        concurrency: 4,
      });
      assertEquals(summary.status, "ok", summary.errors.join("\n"));
      // Deno's fetch may itself resend a request whose pooled connection was
      // dropped before any answer, so the drop is not always one of ours.
      assert(summary.retries >= 3, `retries: ${summary.retries}`);
      assertEquals(server.stats.dropped, 1);
      assertEquals(server.stats.byStatus[502], 2);
      const got = await streamStats(`${lake}/t/items`);
      assertEquals(got, { n: 1000, ids: 1000, s: sumTo(1000) });
    });
  } finally {
    await server.close();
  }
});

Deno.test("pull: an unknown stream is a ConfigError listing the streams", async () => {
  const server = await startApiServer({ records: 10 });
  try {
    await withTempDir("inlet-lake-", async (lake) => {
      let message = "";
      try {
        await pull(connector(server.url, styles[0]![1]), {
          lake,
          streams: ["nope"],
        });
      } catch (err) {
        message = (err as Error).message;
      }
      assertMatch(message, /no stream "nope"; its streams: items/);
    });
  } finally {
    await server.close();
  }
});
