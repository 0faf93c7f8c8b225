import assert from "node:assert/strict";
import {
  encoderThreads,
  WorkerEncoder,
  workersAvailable,
} from "../../../core/lake/_parquet_encoder.ts";
import { ParquetWriter } from "../../../core/lake/parquet_writer.ts";
import type { Row } from "../../../core/connector/types.ts";
import { duck, sqlString } from "../../_duckdb.ts";
import { withStorage } from "../../_lake.ts";

Deno.test("parquet encoder: many files at once share a few threads, and every thread ends with its files", async () => {
  await withStorage("inlet_encoder_", async (lake, dir) => {
    const files = 12;
    const writers = await Promise.all(
      Array.from(
        { length: files },
        async (_, f) =>
          await ParquetWriter.create(await lake.create(`f${f}.parquet`), {
            stream: `s/t${f}`,
            rowGroupSize: 64,
          }),
      ),
    );
    // Pages of every file interleaved, as concurrent streams write them.
    for (let page = 0; page < 10; page++) {
      await Promise.all(
        writers.map((w, f) =>
          w.write(Array.from({ length: 25 }, (_, i) => ({
            id: page * 25 + i + 1,
            file: f,
          })))
        ),
      );
    }
    assert.ok(encoderThreads() >= 1);
    assert.ok(
      encoderThreads() <= Math.max(1, navigator.hardwareConcurrency - 1),
      `${encoderThreads()} threads for ${files} files`,
    );
    await Promise.all(writers.map((w) => w.close()));
    assert.equal(encoderThreads(), 0, "no thread outlives its files");
    const rows = await duck(
      `SELECT file, count(*) AS n, sum(id) AS s FROM read_parquet(${
        sqlString(`${dir}/*.parquet`)
      }) GROUP BY file ORDER BY file`,
    );
    assert.deepEqual(
      rows,
      Array.from({ length: files }, (_, f) => ({
        file: BigInt(f),
        n: 250n,
        s: 31375n,
      })),
    );
  });
});

Deno.test("parquet encoder: a file that fails on a shared thread fails alone", async () => {
  const written: Uint8Array[] = [];
  const sink = {
    write(chunk: Uint8Array) {
      written.push(chunk);
      return Promise.resolve();
    },
  };
  const good = new WorkerEncoder(sink, "ZSTD");
  const bad = new WorkerEncoder({ write: () => Promise.resolve() }, "ZSTD");
  const rows: Row[] = [{ id: 1 }, { id: 2 }];
  const schema = [{ name: "id", type: "INT64" }] as const;
  good.add(rows, schema, true);
  // A list where the schema says a whole number: it cannot be encoded.
  bad.add([{ id: [1, 2] }], schema, true);
  const [g, b] = await Promise.allSettled([
    good.group([{ name: "id", type: "INT64" }]),
    bad.group([{ name: "id", type: "INT64" }]),
  ]);
  assert.equal(g.status, "fulfilled");
  assert.equal(b.status, "rejected");
  await assert.rejects(bad.finish([{ name: "id", type: "INT64" }]));
  await good.finish([{ name: "id", type: "INT64" }]);
  await bad.dispose();
  const bytes = new Uint8Array(written.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of written) {
    bytes.set(c, at);
    at += c.length;
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  assert.equal(magic, "PAR1");
  assert.equal(new TextDecoder().decode(bytes.subarray(-4)), "PAR1");
  assert.equal(encoderThreads(), 0);
});

Deno.test("parquet encoder: workers are checked once; a worker module that cannot start answers false", async () => {
  assert.equal(await workersAvailable(), true);
  const missing = new URL("./_no_such_worker.ts", import.meta.url);
  assert.equal(await workersAvailable(missing), false);
  // A module that loads but throws before it is ready.
  const dir = await Deno.makeTempDir();
  try {
    const broken = new URL(`file://${dir}/broken_worker.ts`);
    await Deno.writeTextFile(broken, 'throw new Error("cannot start");\n');
    assert.equal(await workersAvailable(broken), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(encoderThreads(), 0, "the probes leave no thread running");
});
