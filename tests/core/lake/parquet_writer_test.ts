import assert from "node:assert/strict";
import { SchemaError } from "../../../core/connector/errors.ts";
import type { LocalStorage } from "../../../core/lake/local_storage.ts";
import {
  ParquetWriter,
  type ParquetWriterOptions,
  SchemaChange,
} from "../../../core/lake/parquet_writer.ts";
import type { FileSink } from "../../../core/lake/storage.ts";
import type { Row } from "../../../core/connector/types.ts";
import { columnTypes, duck, sqlString } from "../../_duckdb.ts";
import { withStorage } from "../../_lake.ts";

async function writeFile(
  lake: LocalStorage,
  path: string,
  batches: Row[][],
  options: Partial<ParquetWriterOptions> = {},
) {
  const w = await ParquetWriter.create(await lake.create(path), {
    stream: "demo/items",
    ...options,
  });
  for (const b of batches) await w.write(b);
  return await w.close();
}

Deno.test("ParquetWriter: DuckDB reads every column type back", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    const rows: Row[] = [
      {
        id: 1,
        score: 1,
        title: "first",
        ok: true,
        at: "2024-01-02T03:04:05.123456Z",
        tags: ["a", "b"],
        nums: [1, 2, 3],
        extra: { deep: { x: 1 } },
        mixed: [1, "a"],
      },
      {
        id: 2,
        score: 2.5,
        title: null,
        ok: false,
        at: "2024-01-02T04:04:05+01:00",
        tags: [],
        nums: null,
        extra: null,
        mixed: null,
      },
      { id: 3 },
    ];
    const summary = await writeFile(lake, "t.parquet", [rows]);
    assert.equal(summary.records, 3);
    const file = `${dir}/t.parquet`;
    assert.deepEqual(await columnTypes(file), {
      id: "BIGINT",
      score: "DOUBLE",
      title: "VARCHAR",
      ok: "BOOLEAN",
      at: "TIMESTAMP WITH TIME ZONE",
      tags: "VARCHAR[]",
      nums: "BIGINT[]",
      // A nested object is a struct (it was JSON text before Iceberg structs).
      extra: "STRUCT(deep STRUCT(x BIGINT))",
      mixed: "JSON",
    });
    const back = await duck(`
      SELECT id, score, title, ok, epoch_us("at") AS at_us, tags, nums, extra.deep.x::VARCHAR AS x, mixed::VARCHAR AS mixed
      FROM read_parquet(${sqlString(file)}) ORDER BY id`);
    assert.deepEqual(back, [
      {
        id: 1n,
        score: 1,
        title: "first",
        ok: true,
        at_us: BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1000n + 123456n,
        tags: ["a", "b"],
        nums: [1n, 2n, 3n],
        x: "1",
        mixed: '[1,"a"]',
      },
      {
        id: 2n,
        score: 2.5,
        title: null,
        ok: false,
        at_us: BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1000n,
        tags: [],
        nums: null,
        x: null,
        mixed: null,
      },
      {
        id: 3n,
        score: null,
        title: null,
        ok: null,
        at_us: null,
        tags: null,
        nums: null,
        x: null,
        mixed: null,
      },
    ]);
  });
});

Deno.test("ParquetWriter: several row groups, exact count and sum", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    const batches: Row[][] = [];
    for (let b = 0; b < 21; b++) {
      batches.push(
        Array.from(
          { length: 50 },
          (_, i) => ({ id: b * 50 + i + 1, name: `n${b * 50 + i}` }),
        ),
      );
    }
    const { records } = await writeFile(lake, "g.parquet", batches, {
      rowGroupSize: 100,
    });
    assert.equal(records, 1050);
    const file = sqlString(`${dir}/g.parquet`);
    const [agg] = await duck(
      `SELECT count(*) AS n, sum(id) AS s, count(DISTINCT id) AS d FROM read_parquet(${file})`,
    );
    assert.deepEqual(agg, { n: 1050n, s: 551775n, d: 1050n });
    const [meta] = await duck(
      `SELECT count(DISTINCT row_group_id) AS groups, min(compression) AS codec FROM parquet_metadata(${file})`,
    );
    assert.deepEqual(meta, { groups: 11n, codec: "ZSTD" });
  });
});

Deno.test("ParquetWriter: SNAPPY and UNCOMPRESSED are readable too", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    for (const codec of ["SNAPPY", "UNCOMPRESSED"] as const) {
      await writeFile(lake, `${codec}.parquet`, [[{ id: 1 }, { id: 2 }]], {
        codec,
      });
      const file = sqlString(`${dir}/${codec}.parquet`);
      const [meta] = await duck(
        `SELECT min(compression) AS c FROM parquet_metadata(${file})`,
      );
      assert.equal(meta?.c, codec);
      const [agg] = await duck(
        `SELECT sum(id) AS s FROM read_parquet(${file})`,
      );
      assert.equal(agg?.s, 3n);
    }
  });
});

/** A sink that records the size of every chunk it is handed. */
function measuring(sink: FileSink, chunks: number[]): FileSink {
  return {
    get bytesWritten() {
      return sink.bytesWritten;
    },
    write(chunk) {
      chunks.push(chunk.byteLength);
      return sink.write(chunk);
    },
    close: () => sink.close(),
    abort: () => sink.abort(),
  };
}

Deno.test("ParquetWriter: 200k rows stream out a row group at a time; memory does not grow", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    const chunks: number[] = [];
    const w = await ParquetWriter.create(
      measuring(await lake.create("big.parquet"), chunks),
      {
        stream: "demo/items",
        rowGroupSize: 10_000,
      },
    );
    let peakAfterTwoGroups = 0;
    for (let b = 0; b < 200; b++) {
      const rows = Array.from({ length: 1000 }, (_, i) => {
        const id = b * 1000 + i + 1;
        return {
          id,
          title: `item ${id} ${"x".repeat(id % 50)}`,
          score: id / 7,
          at: "2024-01-02T03:04:05Z",
        };
      });
      await w.write(rows);
      if (b === 19) peakAfterTwoGroups = w.peakBufferBytes;
    }
    const { records, bytes } = await w.close();
    assert.equal(records, 200_000);
    assert.ok(
      chunks.length >= 20,
      `bytes went out per row group (${chunks.length} chunks)`,
    );
    assert.ok(peakAfterTwoGroups > 0);
    // Later groups are no bigger than the first ones, so the buffer must not have grown.
    assert.ok(
      w.peakBufferBytes <= 2 * peakAfterTwoGroups,
      `peak buffer ${w.peakBufferBytes} vs ${peakAfterTwoGroups} after two groups`,
    );
    assert.ok(
      w.peakBufferBytes * 5 < bytes,
      `peak buffer ${w.peakBufferBytes} vs file ${bytes}`,
    );
    const [agg] = await duck(
      `SELECT count(*) AS n, sum(id) AS s, count(DISTINCT id) AS d FROM read_parquet(${
        sqlString(`${dir}/big.parquet`)
      })`,
    );
    assert.deepEqual(agg, { n: 200_000n, s: 20_000_100_000n, d: 200_000n });
  });
});

Deno.test("ParquetWriter: before the first row group, types widen freely", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    await writeFile(lake, "w.parquet", [[{ id: 1, v: null }], [{
      id: 2.5,
      v: "x",
      later: true,
    }]]);
    assert.deepEqual(await columnTypes(`${dir}/w.parquet`), {
      id: "DOUBLE",
      v: "VARCHAR",
      later: "BOOLEAN",
    });
  });
});

Deno.test("ParquetWriter: a new column after the schema is fixed is a SchemaChange; roll to a new file", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    const opts = { stream: "demo/items", rowGroupSize: 2 };
    const w = await ParquetWriter.create(await lake.create("a.parquet"), opts);
    await w.write([{ id: 1 }, { id: 2 }]);
    await w.write([{ id: 3, gone: null }]); // a new all-null field needs no new file
    const rows = [{ id: 4, note: "new" }, { id: 5.5 }];
    const err = await w.write(rows).then(() => undefined, (e) => e);
    assert.ok(err instanceof SchemaChange, String(err));
    assert.deepEqual(err.schema, [{ name: "id", type: "DOUBLE" }, {
      name: "note",
      type: "STRING",
    }]);
    assert.deepEqual(err.changes, [
      '"id" INT64 -> DOUBLE',
      'new column "note" (STRING)',
    ]);
    assert.match(err.message, /"demo\/items"/);
    assert.equal(w.records, 3, "none of the rejected rows were taken");
    assert.equal((await w.close()).records, 3);

    const w2 = await ParquetWriter.create(await lake.create("b.parquet"), {
      ...opts,
      schema: err.schema,
    });
    await w2.write(rows);
    await w2.close();
    const a = await duck(
      `SELECT id FROM read_parquet(${
        sqlString(`${dir}/a.parquet`)
      }) ORDER BY id`,
    );
    assert.deepEqual(a.map((r) => r.id), [1n, 2n, 3n]);
    assert.deepEqual(await columnTypes(`${dir}/b.parquet`), {
      id: "DOUBLE",
      note: "VARCHAR",
    });
    const b = await duck(
      `SELECT id, note FROM read_parquet(${
        sqlString(`${dir}/b.parquet`)
      }) ORDER BY id`,
    );
    assert.deepEqual(b, [{ id: 4, note: "new" }, { id: 5.5, note: null }]);
  });
});

Deno.test("ParquetWriter: an all-null column that gets values later is a SchemaChange", async () => {
  await withStorage("inlet_parquet_", async (lake) => {
    const w = await ParquetWriter.create(await lake.create("n.parquet"), {
      stream: "s/t",
      rowGroupSize: 1,
    });
    await w.write([{ id: 1, v: null }]);
    await assert.rejects(
      w.write([{ id: 2, v: 7 }]),
      (e: unknown) =>
        e instanceof SchemaChange && e.changes[0] === '"v" NULL -> INT64',
    );
    await w.write([{ id: 2, v: null }]);
    assert.equal((await w.close()).records, 2);
  });
});

Deno.test("ParquetWriter: an incompatible type is a SchemaError naming field and stream", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    const w = await ParquetWriter.create(
      await lake.create("demo/items/e.parquet"),
      {
        stream: "demo/items",
        rowGroupSize: 2,
      },
    );
    await w.write([{ id: 1, score: 1.5 }]);
    await assert.rejects(
      w.write([{ id: 2, score: "high" }]),
      (e: unknown) =>
        e instanceof SchemaError &&
        e.message === 'field "score" was DOUBLE, now STRING in "demo/items"',
    );
    await w.write([{ id: 2, score: 2 }, { id: 3, score: 3 }]); // fixed now
    await assert.rejects(
      w.write([{ id: 4, score: false }]),
      /field "score" was DOUBLE, now BOOLEAN in "demo\/items"/,
    );
    assert.equal(w.records, 3);
    await w.abort();
    assert.deepEqual(await lake.list(""), []);
    const left: string[] = [];
    for await (const e of Deno.readDir(`${dir}/demo/items`)) left.push(e.name);
    assert.deepEqual(left, [], "abort removes the temp file");
  });
});

Deno.test("ParquetWriter: abort leaves nothing; a closed writer refuses writes", async () => {
  await withStorage("inlet_parquet_", async (lake) => {
    const w = await ParquetWriter.create(await lake.create("x.parquet"), {
      stream: "s/t",
      rowGroupSize: 1,
    });
    await w.write([{ id: 1 }, { id: 2 }]);
    await w.abort();
    await w.abort();
    assert.deepEqual(await lake.list(""), []);
    await assert.rejects(w.write([{ id: 3 }]), /aborted/);
    await assert.rejects(w.close(), /aborted/);
    const w2 = await ParquetWriter.create(await lake.create("y.parquet"), {
      stream: "s/t",
    });
    await w2.write([{ id: 1 }]);
    await w2.close();
    await assert.rejects(w2.write([{ id: 2 }]), /closed/);
  });
});

Deno.test("ParquetWriter: all-null fields are left out; union_by_name takes types from files with values", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    await writeFile(lake, "s/a.parquet", [[{
      id: 1,
      v: null,
      t: null,
      l: [],
    }]]);
    await writeFile(lake, "s/b.parquet", [[{
      id: 2,
      v: 3,
      t: "2024-01-01T00:00:00Z",
      l: ["x"],
      n: "new",
    }]]);
    assert.deepEqual(await columnTypes(`${dir}/s/a.parquet`), {
      id: "BIGINT",
      l: "VARCHAR[]",
    });
    const glob = sqlString(`${dir}/s/*.parquet`);
    assert.deepEqual(
      await columnTypes(`${dir}/s/*.parquet`),
      {
        id: "BIGINT",
        l: "VARCHAR[]",
        v: "BIGINT",
        t: "TIMESTAMP WITH TIME ZONE",
        n: "VARCHAR",
      },
    );
    const rows = await duck(
      `SELECT id, v, epoch("t") AS t, l, n FROM read_parquet(${glob}, union_by_name = true) ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { id: 1n, v: null, t: null, l: [], n: null },
      { id: 2n, v: 3n, t: Date.UTC(2024, 0, 1) / 1000, l: ["x"], n: "new" },
    ]);
    // Only nulls at all: the columns are kept (as strings) so the file has columns.
    const s = await writeFile(lake, "o/only.parquet", [[{ a: null }, {
      a: null,
      b: null,
    }]]);
    assert.deepEqual(s.schema, [{ name: "a", type: "NULL" }, {
      name: "b",
      type: "NULL",
    }]);
    assert.deepEqual(await columnTypes(`${dir}/o/only.parquet`), {
      a: "VARCHAR",
      b: "VARCHAR",
    });
  });
});

Deno.test("ParquetWriter: an empty file closes only when it has columns", async () => {
  await withStorage("inlet_parquet_", async (lake, dir) => {
    const w = await ParquetWriter.create(await lake.create("e.parquet"), {
      stream: "s/t",
    });
    await assert.rejects(w.close(), /no columns/);
    await w.abort();
    assert.deepEqual(await lake.list(""), []);
    const w2 = await ParquetWriter.create(await lake.create("f.parquet"), {
      stream: "s/t",
      schema: [{ name: "id", type: "INT64" }],
    });
    assert.equal((await w2.close()).records, 0);
    const [agg] = await duck(
      `SELECT count(*) AS n FROM read_parquet(${
        sqlString(`${dir}/*.parquet`)
      })`,
    );
    assert.equal(agg?.n, 0n);
  });
});

Deno.test("ParquetWriter: bad options are RangeError/TypeError", async () => {
  await withStorage("inlet_parquet_", async (lake) => {
    const sink = await lake.create("z.parquet");
    try {
      await assert.rejects(
        ParquetWriter.create(sink, { stream: "s/t", rowGroupSize: 0 }),
        RangeError,
      );
      await assert.rejects(
        ParquetWriter.create(sink, { stream: "s/t", codec: "GZIP" as "ZSTD" }),
        TypeError,
      );
    } finally {
      await sink.abort();
    }
  });
});

Deno.test("ParquetWriter: the worker and the inline encoder write the same bytes", async () => {
  await withStorage("inlet_parquet_", async (lake) => {
    // Every column kind, pages that straddle row groups, a last short group.
    const batches: Row[][] = [];
    for (let b = 0; b < 13; b++) {
      batches.push(Array.from({ length: 37 }, (_, i) => {
        const id = b * 37 + i;
        return {
          id,
          score: id / 7,
          ok: id % 3 === 0,
          name: id % 5 === 0 ? null : `n${id}`,
          at: new Date(Date.UTC(2024, 0, 1, 0, 0, id)).toISOString(),
          tags: id % 4 === 0 ? [] : [`t${id % 3}`, "x"],
          meta: { rank: id, deep: { ok: id % 2 === 0 } },
        };
      }));
    }
    for (const codec of ["ZSTD", "SNAPPY"] as const) {
      const files: Uint8Array[] = [];
      for (const encoder of ["worker", "inline"] as const) {
        const path = `${encoder}-${codec}.parquet`;
        const { records } = await writeFile(lake, path, batches, {
          rowGroupSize: 100,
          codec,
          encoder,
        });
        assert.equal(records, 13 * 37);
        files.push((await lake.get(path))!);
      }
      assert.ok(files[0]!.length > 0);
      assert.deepEqual(files[0], files[1], `${codec}: same bytes`);
    }
  });
});

Deno.test("ParquetWriter: a sink that fails under the worker encoder fails close(), and abort() cleans up", async () => {
  await withStorage("inlet_parquet_", async (lake) => {
    const real = await lake.create("broken.parquet");
    let writes = 0;
    const sink: FileSink = {
      write(chunk) {
        if (++writes === 2) return Promise.reject(new Error("disk full"));
        return real.write(chunk);
      },
      close: () => real.close(),
      abort: () => real.abort(),
      get bytesWritten() {
        return real.bytesWritten;
      },
    };
    const w = await ParquetWriter.create(sink, {
      stream: "s/t",
      rowGroupSize: 10,
    });
    let failed: unknown;
    try {
      for (let b = 0; b < 10; b++) {
        await w.write(
          Array.from({ length: 10 }, (_, i) => ({ id: b * 10 + i })),
        );
      }
      await w.close();
    } catch (err) {
      failed = err;
    }
    assert.match(String(failed), /disk full/);
    await w.abort();
    assert.deepEqual(await lake.list(""), []);
  });
});
