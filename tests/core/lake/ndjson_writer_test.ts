import assert from "node:assert/strict";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import {
  type NdjsonCompression,
  NdjsonWriter,
} from "../../../core/lake/ndjson_writer.ts";
import type { Row } from "../../../core/connector/types.ts";
import { duck, sqlString } from "../../_duckdb.ts";
import { withStorage } from "../../_lake.ts";

function rows(from: number, count: number): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    id: from + i,
    title: `item ${from + i}`,
    tags: ["a", "b"],
    nested: { n: from + i },
  }));
}

const cases: Array<[NdjsonCompression, string, (b: Uint8Array) => Uint8Array]> =
  [
    ["zstd", "ndjson.zst", (b) => zstdDecompressSync(b)],
    ["gzip", "ndjson.gz", (b) => gunzipSync(b)],
    ["none", "ndjson", (b) => b],
  ];

for (const [compression, extension, decompress] of cases) {
  Deno.test(`NdjsonWriter (${compression}): many chunks, DuckDB read_json reads them all`, async () => {
    await withStorage("inlet_ndjson_", async (lake, dir) => {
      assert.equal(NdjsonWriter.extension(compression), extension);
      const path = `demo/items/part.${extension}`;
      const w = await NdjsonWriter.create(await lake.create(path), {
        compression,
        chunkBytes: 4096,
      });
      for (let b = 0; b < 50; b++) await w.write(rows(b * 100 + 1, 100));
      assert.deepEqual(await lake.list(""), [], "invisible until closed");
      const { records, bytes } = await w.close();
      assert.equal(records, 5000);
      const raw = (await lake.get(path))!;
      assert.equal(bytes, raw.byteLength);
      const lines = new TextDecoder().decode(decompress(raw)).split("\n");
      assert.equal(lines.pop(), "", "ends with a newline");
      assert.equal(lines.length, 5000);
      assert.deepEqual(JSON.parse(lines[4999]!), rows(5000, 1)[0]);
      const [agg] = await duck(`
        SELECT count(*) AS n, sum(id) AS s, count(DISTINCT id) AS d, max(nested.n) AS m
        FROM read_json(${
        sqlString(`${dir}/${path}`)
      }, format = 'newline_delimited')`);
      assert.deepEqual(agg, { n: 5000n, s: 12_502_500n, d: 5000n, m: 5000n });
    });
  });
}

Deno.test("NdjsonWriter: compressed bytes stream out before close, in bounded chunks", async () => {
  await withStorage("inlet_ndjson_", async (lake) => {
    const chunks: number[] = [];
    const sink = await lake.create("a.ndjson.zst");
    const w = await NdjsonWriter.create({
      get bytesWritten() {
        return sink.bytesWritten;
      },
      write: (c) => (chunks.push(c.byteLength), sink.write(c)),
      close: () => sink.close(),
      abort: () => sink.abort(),
    }, { chunkBytes: 64 * 1024 });
    // Random text barely compresses, so ~4 MB in means ~2 MB out.
    const hex = (n: number) =>
      Array.from(
        crypto.getRandomValues(new Uint8Array(n)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
    for (let b = 0; b < 200; b++) {
      await w.write(
        Array.from(
          { length: 10 },
          (_, i) => ({ id: b * 10 + i, blob: hex(1000) }),
        ),
      );
    }
    const before = chunks.length;
    assert.ok(before > 0, "output reached the sink before close");
    await w.close();
    assert.ok(
      Math.max(...chunks) <= 256 * 1024,
      `largest chunk ${Math.max(...chunks)}`,
    );
    const text = new TextDecoder().decode(
      zstdDecompressSync((await lake.get("a.ndjson.zst"))!),
    );
    assert.equal(
      text.split("\n").length,
      2001,
      "one frame: a first-frame-only reader still sees every line",
    );
  });
});

for (const compression of ["zstd", "gzip"] as const) {
  Deno.test(`NdjsonWriter (${compression}): a chunk's compressed bytes reach the sink in one write, every line intact`, async () => {
    await withStorage("inlet_ndjson_", async (lake) => {
      const path = `a.${NdjsonWriter.extension(compression)}`;
      const sink = await lake.create(path);
      const writes: number[] = [];
      const chunkBytes = 256 * 1024;
      const w = await NdjsonWriter.create({
        get bytesWritten() {
          return sink.bytesWritten;
        },
        write: (c) => (writes.push(c.byteLength), sink.write(c)),
        close: () => sink.close(),
        abort: () => sink.abort(),
      }, { compression, chunkBytes });
      // Random text barely compresses: each chunk is well over 16 KiB out.
      let raw = 0;
      for (let b = 0; b < 100; b++) {
        const rows = Array.from({ length: 10 }, (_, i) => ({
          id: b * 10 + i,
          blob: crypto.getRandomValues(new Uint8Array(1000)).toHex(),
        }));
        raw += rows.reduce((n, r) => n + JSON.stringify(r).length + 1, 0);
        await w.write(rows);
      }
      assert.equal((await w.close()).records, 1000);
      // A write per chunk handed over, and at most one for the stream's end.
      assert.ok(
        writes.length <= Math.ceil(raw / chunkBytes) + 1,
        `${writes.length} writes for ${raw} bytes in chunks of ${chunkBytes}`,
      );
      const bytes = (await lake.get(path))!;
      const text = new TextDecoder().decode(
        compression === "zstd" ? zstdDecompressSync(bytes) : gunzipSync(bytes),
      );
      const lines = text.split("\n");
      assert.equal(lines.pop(), "");
      assert.deepEqual(
        lines.map((l) => JSON.parse(l).id),
        Array.from({ length: 1000 }, (_, i) => i),
      );
    });
  });
}

Deno.test("NdjsonWriter: a failing sink fails the writer instead of hanging it", async () => {
  await withStorage("inlet_ndjson_", async (lake) => {
    const sink = await lake.create("f.ndjson.gz");
    let aborted = false;
    const w = await NdjsonWriter.create({
      bytesWritten: 0,
      write: () => Promise.reject(new Error("disk full")),
      close: () => sink.close(),
      abort: () => (aborted = true, sink.abort()),
    }, { compression: "gzip", chunkBytes: 1 });
    const hex = () => crypto.randomUUID().repeat(100);
    const err = await (async () => {
      for (let i = 0; i < 1000; i++) await w.write([{ id: i, blob: hex() }]);
      await w.close();
    })().then(() => undefined, (e) => e);
    assert.match(String(err), /disk full/);
    await w.abort();
    assert.ok(aborted);
    assert.deepEqual(await lake.list(""), []);
  });
});

Deno.test("NdjsonWriter: a record that cannot be serialized takes none of its batch", async () => {
  await withStorage("inlet_ndjson_", async (lake) => {
    const w = await NdjsonWriter.create(await lake.create("a.ndjson"), {
      compression: "none",
    });
    await w.write([{ id: 1 }]);
    const loop: Row = { id: 3 };
    loop.self = loop;
    await assert.rejects(w.write([{ id: 2 }, loop]), TypeError);
    await assert.rejects(w.write([null as unknown as Row]), TypeError);
    assert.equal(w.records, 1);
    await w.close();
    assert.equal(
      new TextDecoder().decode(await lake.get("a.ndjson")),
      '{"id":1}\n',
    );
  });
});

Deno.test("NdjsonWriter: abort leaves nothing; closed writers refuse writes; bad options reject", async () => {
  await withStorage("inlet_ndjson_", async (lake, dir) => {
    const w = await NdjsonWriter.create(await lake.create("demo/a.ndjson.gz"), {
      compression: "gzip",
      chunkBytes: 1,
    });
    await w.write(rows(1, 10));
    await w.abort();
    assert.deepEqual(await lake.list(""), []);
    const left: string[] = [];
    for await (const e of Deno.readDir(`${dir}/demo`)) left.push(e.name);
    assert.deepEqual(left, []);
    await assert.rejects(w.write(rows(1, 1)), /aborted/);
    const sink = await lake.create("b.ndjson");
    try {
      await assert.rejects(
        NdjsonWriter.create(sink, { compression: "brotli" as "zstd" }),
        TypeError,
      );
      await assert.rejects(
        NdjsonWriter.create(sink, { chunkBytes: 0 }),
        RangeError,
      );
    } finally {
      await sink.abort();
    }
  });
});
