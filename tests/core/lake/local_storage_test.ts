import assert from "node:assert/strict";
import { withStorage } from "../../_lake.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("LocalStorage.create: nothing visible before close, whole file after", async () => {
  await withStorage("inlet_storage_", async (lake, dir) => {
    const sink = await lake.create("demo/items/a.parquet");
    await sink.write(enc.encode("hello "));
    await sink.write(enc.encode("world"));
    assert.equal(sink.bytesWritten, 11);
    assert.deepEqual(await lake.list(""), []);
    assert.equal(await lake.get("demo/items/a.parquet"), undefined);
    const onDisk = await names(`${dir}/demo/items`);
    assert.equal(onDisk.length, 1);
    assert.match(
      onDisk[0]!,
      /^\.a\.parquet\.[0-9a-f]{16}\.tmp$/,
      "a hidden temp in the same folder",
    );
    await sink.close();
    assert.deepEqual(await names(`${dir}/demo/items`), ["a.parquet"]);
    assert.equal(
      dec.decode(await lake.get("demo/items/a.parquet")),
      "hello world",
    );
    await assert.rejects(sink.write(enc.encode("x")), /closed/);
    await sink.abort(); // after close: no-op, the file stays
    assert.deepEqual(await lake.list("demo/"), ["demo/items/a.parquet"]);
  });
});

Deno.test("LocalStorage.create: abort leaves nothing, not even the temp file", async () => {
  await withStorage("inlet_storage_", async (lake, dir) => {
    const sink = await lake.create("demo/items/a.parquet");
    await sink.write(enc.encode("partial"));
    await sink.abort();
    await sink.abort();
    assert.deepEqual(await names(`${dir}/demo/items`), []);
    await assert.rejects(sink.close(), /aborted/);
  });
});

Deno.test("LocalStorage.create: replaces an existing file only on close", async () => {
  await withStorage("inlet_storage_", async (lake) => {
    await lake.put("x/a.txt", enc.encode("old"));
    const sink = await lake.create("x/a.txt");
    await sink.write(enc.encode("new"));
    assert.equal(dec.decode(await lake.get("x/a.txt")), "old");
    await sink.close();
    assert.equal(dec.decode(await lake.get("x/a.txt")), "new");
  });
});

Deno.test("LocalStorage.putIfAbsent: exactly one of two writers wins", async () => {
  await withStorage("inlet_storage_", async (lake, dir) => {
    const path = "demo/items/_log/00000000000000000001.json";
    const results = await Promise.all([
      lake.putIfAbsent(path, enc.encode("first")),
      lake.putIfAbsent(path, enc.encode("second")),
    ]);
    assert.deepEqual(results.filter((r) => r).length, 1);
    const winner = results[0] ? "first" : "second";
    assert.equal(dec.decode(await lake.get(path)), winner);
    assert.equal(await lake.putIfAbsent(path, enc.encode("third")), false);
    assert.equal(dec.decode(await lake.get(path)), winner);
    assert.deepEqual(await names(`${dir}/demo/items/_log`), [
      "00000000000000000001.json",
    ]);
  });
});

Deno.test("LocalStorage.put and get: replace atomically; missing file is undefined", async () => {
  await withStorage("inlet_storage_", async (lake, dir) => {
    assert.equal(await lake.get("nope/x.json"), undefined);
    await lake.put("a/b/c.json", enc.encode("1"));
    await lake.put("a/b/c.json", enc.encode("2"));
    assert.equal(dec.decode(await lake.get("a/b/c.json")), "2");
    assert.deepEqual(await names(`${dir}/a/b`), ["c.json"]);
  });
});

Deno.test("LocalStorage.list: recursive, sorted, prefix as an object store matches it", async () => {
  await withStorage("inlet_storage_", async (lake) => {
    for (
      const p of [
        "d/items/b.parquet",
        "d/items/a.parquet",
        "d/items/_log/1.json",
        "d/items2/z.parquet",
        "e/x",
      ]
    ) {
      await lake.put(p, enc.encode(p));
    }
    const open = await lake.create("d/items/c.parquet"); // a temp file in the folder
    try {
      assert.deepEqual(await lake.list("d/items/"), [
        "d/items/_log/1.json",
        "d/items/a.parquet",
        "d/items/b.parquet",
      ]);
      assert.deepEqual(await lake.list("d/items"), [
        "d/items/_log/1.json",
        "d/items/a.parquet",
        "d/items/b.parquet",
        "d/items2/z.parquet",
      ]);
      assert.deepEqual(await lake.list("d/items/a"), ["d/items/a.parquet"]);
      assert.deepEqual(await lake.list("missing/"), []);
      assert.equal((await lake.list("")).length, 5);
    } finally {
      await open.abort();
    }
  });
});

Deno.test("LocalStorage.move: creates folders, is idempotent, fails when neither side exists", async () => {
  await withStorage("inlet_storage_", async (lake) => {
    await lake.put("s/_staging/run/a.parquet", enc.encode("data"));
    await lake.move("s/_staging/run/a.parquet", "s/deep/er/a.parquet");
    assert.equal(dec.decode(await lake.get("s/deep/er/a.parquet")), "data");
    assert.equal(await lake.get("s/_staging/run/a.parquet"), undefined);
    await lake.move("s/_staging/run/a.parquet", "s/deep/er/a.parquet"); // again: already done
    await assert.rejects(lake.move("s/none", "s/none2"), Deno.errors.NotFound);
  });
});

Deno.test("LocalStorage.delete: removes; a missing file is fine", async () => {
  await withStorage("inlet_storage_", async (lake) => {
    await lake.put("a.txt", enc.encode("x"));
    await lake.delete("a.txt");
    await lake.delete("a.txt");
    assert.deepEqual(await lake.list(""), []);
  });
});

Deno.test("LocalStorage: paths that could leave the root are TypeErrors", async () => {
  await withStorage("inlet_storage_", async (lake) => {
    for (
      const bad of [
        "../x",
        "a/../../x",
        "/etc/passwd",
        "a//b",
        "a/./b",
        "",
        "a\\b",
        "a/",
      ]
    ) {
      await assert.rejects(lake.create(bad), TypeError, bad);
      await assert.rejects(lake.put(bad, enc.encode("")), TypeError, bad);
      await assert.rejects(
        lake.putIfAbsent(bad, enc.encode("")),
        TypeError,
        bad,
      );
      await assert.rejects(lake.get(bad), TypeError, bad);
      await assert.rejects(lake.delete(bad), TypeError, bad);
      await assert.rejects(lake.move("ok", bad), TypeError, bad);
    }
    await assert.rejects(lake.list("../"), TypeError);
    await assert.rejects(lake.list("/abs"), TypeError);
    assert.deepEqual(await lake.list(""), []);
  });
});
