import assert from "node:assert/strict";
import {
  CommitConflictError,
  type CommitEntry,
  CommitLog,
  newRunId,
} from "../../../core/lake/commit_log.ts";
import { ConfigError } from "../../../core/connector/errors.ts";
import type { LocalStorage } from "../../../core/lake/local_storage.ts";
import { ParquetWriter } from "../../../core/lake/parquet_writer.ts";
import { duck, sqlString } from "../../_duckdb.ts";
import { withStorage } from "../../_lake.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const RUN_A = "20261124T041300.000Z-aaaa";
const RUN_B = "20261124T051300.000Z-bbbb";
const LOG1 = "demo/items/_log/00000000000000000001.json";

function log(lake: LocalStorage, runId = RUN_A): CommitLog {
  return new CommitLog(lake, "demo/items", {
    runId,
    now: () => Date.UTC(2026, 10, 24, 4, 13, 5),
  });
}

async function stage(
  lake: LocalStorage,
  l: CommitLog,
  name: string,
  text = name,
) {
  const staged = l.stagingPath(name);
  await lake.put(staged, enc.encode(text));
  return { staged, records: 1, bytes: text.length };
}

Deno.test("CommitLog.commit: entry written, files moved, state and files() follow", async () => {
  await withStorage("inlet_commit_", async (lake) => {
    const l = log(lake);
    await l.recover();
    assert.equal(await l.latest(), undefined);
    assert.deepEqual(await l.files(), []);

    // Commit b before a: final names follow commit order, not staging names.
    const e1 = await l.commit({
      add: [await stage(lake, l, "b.parquet")],
      state: { page: 1 },
    });
    const e2 = await l.commit({
      add: [
        await stage(lake, l, "a.ndjson.zst"),
        await stage(lake, l, "c.parquet"),
      ],
      state: { page: 3 },
      meta: { schema: [] },
    });
    assert.equal(e1.version, 1);
    assert.equal(e2.version, 2);
    const files = await l.files();
    assert.deepEqual(files, [
      `demo/items/${RUN_A}-000001.parquet`,
      `demo/items/${RUN_A}-000002.ndjson.zst`,
      `demo/items/${RUN_A}-000003.parquet`,
    ]);
    assert.deepEqual([...files].sort(), files, "names sort in commit order");
    assert.equal(dec.decode(await lake.get(files[0]!)), "b.parquet");
    assert.equal(dec.decode(await lake.get(files[1]!)), "a.ndjson.zst");
    assert.deepEqual(await lake.list("demo/items/_staging/"), []);
    assert.deepEqual((await l.latest())?.state, { page: 3 });

    const stored = JSON.parse(
      dec.decode(await lake.get("demo/items/_log/00000000000000000002.json")),
    ) as CommitEntry;
    assert.deepEqual(stored, {
      version: 2,
      runId: RUN_A,
      committedAt: "2026-11-24T04:13:05.000Z",
      add: [
        {
          path: files[1],
          staged: `demo/items/_staging/${RUN_A}/a.ndjson.zst`,
          records: 1,
          bytes: 12,
        },
        {
          path: files[2],
          staged: `demo/items/_staging/${RUN_A}/c.parquet`,
          records: 1,
          bytes: 9,
        },
      ],
      remove: [],
      state: { page: 3 },
      meta: { schema: [] },
    });

    // A later run reads the same log and continues its own numbering.
    const l2 = log(lake, RUN_B);
    await l2.recover();
    assert.deepEqual((await l2.entries()).map((e) => e.version), [1, 2]);
    const e3 = await l2.commit({
      add: [await stage(lake, l2, "x.parquet")],
      state: { page: 4 },
    });
    assert.equal(e3.add[0]?.path, `demo/items/${RUN_B}-000001.parquet`);
    const all = await l2.files();
    assert.deepEqual([...all].sort(), all);
  });
});

Deno.test("CommitLog.commit: a state-only commit and a replace (remove) commit", async () => {
  await withStorage("inlet_commit_", async (lake) => {
    const l = log(lake);
    await l.commit({ add: [await stage(lake, l, "1.parquet")], state: 1 });
    await l.commit({ add: [], state: 2 });
    const old = await l.files();
    await assert.rejects(
      l.commit({ add: [], remove: ["demo/items/nope.parquet"], state: 3 }),
      TypeError,
    );
    const e = await l.commit({
      add: [await stage(lake, l, "2.parquet")],
      remove: old,
      state: 3,
    });
    assert.equal(e.version, 3);
    assert.deepEqual(await l.files(), [`demo/items/${RUN_A}-000002.parquet`]);
    assert.equal(await lake.get(old[0]!), undefined, "removed file deleted");
    assert.deepEqual(
      (await lake.list("demo/items/")).filter((p) => !p.includes("/_")),
      [`demo/items/${RUN_A}-000002.parquet`],
    );
  });
});

Deno.test("CommitLog.commit: bad requests are refused before anything is written", async () => {
  await withStorage("inlet_commit_", async (lake) => {
    const l = log(lake);
    const other = log(lake, RUN_B);
    const theirs = await stage(lake, other, "t.parquet");
    await assert.rejects(l.commit({ add: [theirs], state: 1 }), TypeError);
    await assert.rejects(
      l.commit({
        add: [{
          staged: l.stagingPath("missing.parquet"),
          records: 1,
          bytes: 1,
        }],
        state: 1,
      }),
      /staged file ".*missing\.parquet" is missing/,
    );
    const mine = await stage(lake, l, "m.parquet");
    await assert.rejects(l.commit({ add: [mine, mine], state: 1 }), TypeError);
    await assert.rejects(
      l.commit({ add: [{ ...mine, records: -1 }], state: 1 }),
      TypeError,
    );
    assert.deepEqual(await lake.list("demo/items/_log/"), []);
    assert.throws(() => l.stagingPath("../x"), TypeError);
    assert.throws(() => l.stagingPath("a/b"), TypeError);
    assert.throws(
      () => new CommitLog(lake, "../x", { runId: RUN_A }),
      TypeError,
    );
    assert.throws(
      () => new CommitLog(lake, "demo/items", { runId: "a/b" }),
      TypeError,
    );
  });
});

Deno.test("CommitLog: concurrent commits of one version, the second run gets CommitConflictError", async () => {
  await withStorage("inlet_commit_", async (lake) => {
    const a = log(lake, RUN_A);
    const b = log(lake, RUN_B);
    await a.recover();
    await b.recover(); // both have read the (empty) log
    const sa = await stage(lake, a, "a.parquet");
    const sb = await stage(lake, b, "b.parquet");
    await a.commit({ add: [sa], state: "a" });
    const err = await b.commit({ add: [sb], state: "b" }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof CommitConflictError, String(err));
    assert.equal(err.version, 1);
    assert.match(err.message, /concurrent commit/);
    assert.equal((await a.latest())?.state, "a");
    assert.deepEqual(
      await b.files(),
      [`demo/items/${RUN_A}-000001.parquet`],
      "b's file never became visible",
    );
    // a's first commit fenced b off (b read the log before it), so a
    // deleted b's staged file, which b can never commit.
    assert.equal(await lake.get(sb.staged), undefined);
    // b's view is stale: it must not commit again; a new run starts from the log as it is.
    await assert.rejects(
      b.commit({ add: [], state: "b" }),
      CommitConflictError,
    );
    const c = log(lake, "20261124T061300.000Z-cccc");
    await c.recover();
    assert.equal((await c.commit({ add: [], state: "c" })).version, 2);
  });
});

Deno.test("CommitLog: commits from one instance run one at a time", async () => {
  await withStorage("inlet_commit_", async (lake) => {
    const l = log(lake);
    const staged = await Promise.all(
      Array.from({ length: 8 }, (_, i) => stage(lake, l, `${i}.parquet`)),
    );
    const entries = await Promise.all(
      staged.map((s, i) => l.commit({ add: [s], state: i })),
    );
    assert.deepEqual(entries.map((e) => e.version), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal((await l.files()).length, 8);
  });
});

Deno.test("CommitLog.recover: rolls forward an entry whose move never happened", async () => {
  await withStorage("inlet_commit_", async (lake) => {
    // A run that crashed right after writing its entry: files still staged.
    const staged = `demo/items/_staging/${RUN_A}/part-1.parquet`;
    const removedStaged = `demo/items/_staging/${RUN_A}/part-0.parquet`;
    const final = `demo/items/${RUN_A}-000002.parquet`;
    const gone = `demo/items/${RUN_A}-000001.parquet`;
    await lake.put(staged, enc.encode("data"));
    await lake.put(removedStaged, enc.encode("old"));
    await lake.put(gone, enc.encode("old")); // removed by entry 2, deletion never happened
    const entry = (version: number, add: unknown[], remove: string[]) =>
      enc.encode(
        JSON.stringify({
          version,
          runId: RUN_A,
          committedAt: "2026-11-24T04:13:05Z",
          add,
          remove,
          state: { v: version },
        }),
      );
    await lake.put(
      LOG1,
      entry(
        1,
        [{ path: gone, staged: removedStaged, records: 1, bytes: 3 }],
        [],
      ),
    );
    await lake.put(
      "demo/items/_log/00000000000000000002.json",
      entry(2, [{ path: final, staged, records: 1, bytes: 4 }], [gone]),
    );
    const l = log(lake, RUN_B);
    assert.deepEqual(await l.files(), [final]);
    await l.recover();
    assert.equal(dec.decode(await lake.get(final)), "data");
    assert.equal(await lake.get(gone), undefined);
    assert.deepEqual(await lake.list("demo/items/_staging/"), []);
    await l.recover(); // idempotent
    assert.deepEqual(
      (await lake.list("demo/items/")).filter((p) => !p.includes("/_")),
      [final],
    );
    assert.deepEqual((await l.latest())?.state, { v: 2 });
  });
});

Deno.test("CommitLog: the first commit deletes orphans and temp files of dead runs, keeps this run's own staged files", async () => {
  await withStorage("inlet_commit_", async (lake, dir) => {
    const dead = log(lake, RUN_A);
    const orphan = await stage(lake, dead, "orphan.parquet");
    // A write and a commit entry the dead run never finished.
    const partial =
      `${dir}/demo/items/_staging/${RUN_A}/.x.parquet.0123456789abcdef.tmp`;
    await Deno.writeTextFile(partial, "half");
    await Deno.mkdir(`${dir}/demo/items/_log`, { recursive: true });
    const entryTemp = `${dir}/demo/items/_log/.${
      LOG1.split("/").at(-1)
    }.0123456789abcdef.tmp`;
    await Deno.writeTextFile(entryTemp, "{");
    const me = log(lake, RUN_B);
    const mine = await stage(lake, me, "mine.parquet");
    const myPartial =
      `${dir}/demo/items/_staging/${RUN_B}/.y.parquet.0123456789abcdef.tmp`;
    await Deno.writeTextFile(myPartial, "mine, still being written");
    await me.recover();
    // Recovery alone deletes nothing staged: a live run may still own it.
    assert.deepEqual(await lake.list("demo/items/_staging/"), [
      orphan.staged,
      mine.staged,
    ]);
    await me.commit({ add: [mine], state: null });
    assert.equal((await me.files()).length, 1);
    assert.equal(await lake.get(orphan.staged), undefined);
    const left = [];
    for await (const e of Deno.readDir(`${dir}/demo/items/_staging`)) {
      left.push(e.name);
    }
    assert.deepEqual(left, [RUN_B], "the dead run's folder is gone");
    assert.equal(
      await Deno.readTextFile(myPartial),
      "mine, still being written",
    );
    await assert.rejects(Deno.stat(partial), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(entryTemp), Deno.errors.NotFound);
  });
});

Deno.test("CommitLog: a corrupt or hand-edited entry is an error naming the file, and recover changes nothing", async () => {
  const good = {
    version: 1,
    runId: RUN_A,
    committedAt: "2026-11-24T04:13:05Z",
    add: [],
    remove: [],
    state: null,
  };
  const cases: Array<[string, string, RegExp]> = [
    [LOG1, "{not json", /not valid JSON/],
    [LOG1, "[]", /not a JSON object/],
    [
      LOG1,
      JSON.stringify({ ...good, version: 2 }),
      /"version" is 2 but the file name says 1/,
    ],
    [LOG1, JSON.stringify({ ...good, add: [{ path: "x" }] }), /"add\[0\]"/],
    [
      LOG1,
      JSON.stringify({
        ...good,
        add: [{
          path: "../../etc/passwd",
          staged: "demo/items/_staging/r/x",
          records: 1,
          bytes: 1,
        }],
      }),
      /not a data file/,
    ],
    [LOG1, JSON.stringify({ ...good, remove: [1] }), /"remove"/],
    [
      LOG1,
      JSON.stringify({
        ...good,
        add: [{
          path: "demo/items/x.parquet",
          staged: "demo/items/_staging/../../../x",
          records: 1,
          bytes: 1,
        }],
      }),
      /"add\[0\].staged"/,
    ],
    [
      LOG1,
      JSON.stringify({ ...good, remove: ["other/stream/x.parquet"] }),
      /"remove\[0\]" .* is not a data file/,
    ],
    [LOG1, JSON.stringify({ ...good, state: undefined }), /"state" is missing/],
    [
      LOG1,
      JSON.stringify({ ...good, committedAt: "yesterday" }),
      /"committedAt"/,
    ],
    [
      "demo/items/_log/00000000000000000002.json",
      JSON.stringify({ ...good, version: 2 }),
      /expected version 1 here/,
    ],
    ["demo/items/_log/1.json", JSON.stringify(good), /not a commit entry name/],
  ];
  for (const [path, text, reason] of cases) {
    await withStorage("inlet_commit_", async (lake, dir) => {
      await lake.put(path, enc.encode(text));
      const orphan = `demo/items/_staging/${RUN_A}/x.parquet`;
      await lake.put(orphan, enc.encode("x"));
      const l = log(lake, RUN_B);
      for (
        const op of [
          () => l.recover(),
          () => l.latest(),
          () => l.files(),
          () => l.commit({ add: [], state: 1 }),
        ]
      ) {
        await assert.rejects(op(), (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.ok(err.message.includes(`${dir}/${path}`), err.message);
          assert.match(err.message, reason);
          return true;
        });
      }
      assert.equal(dec.decode(await lake.get(orphan)), "x", "nothing changed");
      assert.equal(dec.decode(await lake.get(path)), text);
    });
  }
});

Deno.test("CommitLog + DuckDB: a *.parquet glob sees exactly the committed files", async () => {
  await withStorage("inlet_commit_", async (lake, dir) => {
    const l = log(lake);
    let next = 1;
    const writeStaged = async (name: string, n: number) => {
      const staged = l.stagingPath(name);
      const w = await ParquetWriter.create(await lake.create(staged), {
        stream: "demo/items",
      });
      await w.write(Array.from({ length: n }, () => ({ id: next++ })));
      const { records, bytes } = await w.close();
      return { staged, records, bytes };
    };
    const glob = sqlString(`${dir}/demo/items/*.parquet`);
    const count = async () =>
      (await duck(
        `SELECT count(*) AS n, sum(id) AS s FROM read_parquet(${glob})`,
      ))[0];

    const f1 = await writeStaged("f1.parquet", 100);
    const f2 = await writeStaged("f2.parquet", 50);
    await l.commit({ add: [f1], state: 1 });
    assert.deepEqual(await count(), { n: 100n, s: 5050n });
    const open = await lake.create(l.stagingPath("f3.parquet")); // being written
    const half = await lake.create("demo/items/half.parquet"); // even a direct write is invisible until close
    await half.write(enc.encode("PAR1"));
    assert.deepEqual(await count(), { n: 100n, s: 5050n });
    await l.commit({ add: [f2], state: 2 });
    assert.deepEqual(await count(), { n: 150n, s: 11325n });
    await open.abort();
    await half.abort();
    const records = (await l.entries()).flatMap((e) => e.add).reduce(
      (n, f) => n + f.records,
      0,
    );
    assert.equal(records, 150);
  });
});

Deno.test("newRunId: UTC start time to the millisecond, then 4 hex digits; sorts by time", () => {
  const a = newRunId({
    now: Date.UTC(2026, 10, 24, 4, 13, 0, 5),
    random: () => 0,
  });
  const b = newRunId({
    now: Date.UTC(2026, 10, 24, 4, 13, 0, 6),
    random: () => 0.99999,
  });
  assert.equal(a, "20261124T041300.005Z-0000");
  assert.equal(b, "20261124T041300.006Z-ffff");
  assert.ok(a < b);
  assert.match(newRunId(), /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}$/);
});

Deno.test("CommitLog: a long log is read several entries at a time, in order, and the first bad entry is the one named", async () => {
  await withStorage("inlet_log_", async (lake) => {
    const entry = (version: number) =>
      JSON.stringify({
        version,
        runId: RUN_A,
        committedAt: "2026-11-24T04:13:05Z",
        add: [],
        remove: [],
        state: { n: version },
      });
    const path = (v: number) =>
      `demo/items/_log/${String(v).padStart(20, "0")}.json`;
    for (let v = 1; v <= 60; v++) await lake.put(path(v), enc.encode(entry(v)));
    // Count reads in flight: a log read one entry at a time never has two.
    let inFlight = 0, most = 0;
    const get = lake.get.bind(lake);
    lake.get = async (p: string) => {
      most = Math.max(most, ++inFlight);
      try {
        await new Promise((r) => setTimeout(r, 1));
        return await get(p);
      } finally {
        inFlight--;
      }
    };
    const entries = await log(lake).entries();
    assert.deepEqual(
      entries.map((e) => (e.state as { n: number }).n),
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    assert.ok(most > 1, `at most ${most} read at once`);
    // Two bad entries: the earlier one is named, whichever is read first.
    await lake.put(path(20), enc.encode("{not json"));
    await lake.put(path(40), enc.encode("[]"));
    await assert.rejects(
      log(lake).entries(),
      (err: Error) =>
        err.message.includes("00000000000000000020.json") &&
        !err.message.includes("00000000000000000040.json"),
    );
    assert.equal(inFlight, 0, "no read left running after the error");
  });
});
