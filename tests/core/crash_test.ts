/**
 * The crash test: a pull in a subprocess is killed with SIGKILL at 10 random
 * moments (spread from a few ms, while it starts, to late in a run, while it
 * writes files and commits) and restarted each time; then it runs to the end
 * and DuckDB must find every record exactly once. Set `INLET_CRASH_SEED` to
 * replay a schedule; the seed is printed.
 *
 * A second part crashes an in-process pull at every single storage step
 * (each file write, close, commit entry and rename) and checks the same.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { CommitLog } from "../../core/commit_log.ts";
import { LocalStorage } from "../../core/local_storage.ts";
import { pull } from "../../core/pull.ts";
import {
  type ApiServer,
  startApiServer,
} from "../../core/testing/api_server.ts";
import type { Connector } from "../../core/connector.ts";
import type { StreamDef } from "../../core/types.ts";
import { BASE_S } from "../../core/testing/_records.ts";
import { pullArgs, runCliChild, spawnCli } from "../_cli.ts";
import {
  cursorStream,
  offsetStream,
  stripeLikeStream,
  testConnector,
} from "../_connectors.ts";
import { ID_COLUMNS, streamStats, sumTo, viewStats } from "../_duckdb.ts";
import { withTempDir } from "../_lake.ts";
import { crash } from "./_crash_cli.ts";
import { CrashingStorage, isCrash } from "./_crashing_storage.ts";

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Kill delays in ms: one in each of `n` log-spaced bands between `lo` and
 * `hi` (start-up, first pages, many commits in), jittered and shuffled, so
 * the schedule always spans the run and its sum stays bounded.
 */
function killSchedule(
  random: () => number,
  n: number,
  lo: number,
  hi: number,
): number[] {
  const edge = (i: number) => lo * Math.pow(hi / lo, i / n);
  const out = Array.from(
    { length: n },
    (_, i) => Math.round(edge(i) + random() * (edge(i + 1) - edge(i))),
  );
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Tally {
  /** Commit entries in the stream's log. */
  entries: number;
  /** Committed files not moved to their final names yet (killed mid-commit). */
  rollForward: number;
  /** Complete staged files no entry lists (killed before the commit). */
  orphans: number;
  /** Half-written temporary files (killed inside a file write). */
  partial: number;
}

async function walk(dir: string, out: string[] = []): Promise<string[]> {
  try {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p, out);
      else out.push(p);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

/** What a kill left behind in one stream's folder. */
async function inspect(lake: string, stream: string): Promise<Tally> {
  const dir = `${lake}/${stream}`;
  const files = await walk(dir);
  const staged = new Set<string>();
  let entries = 0;
  for (const f of files.filter((f) => f.startsWith(`${dir}/_log/`)).sort()) {
    if (f.endsWith(".tmp")) continue;
    entries++;
    const e = JSON.parse(await Deno.readTextFile(f));
    for (const a of e.add) if (!a.held) staged.add(`${lake}/${a.staged}`);
  }
  const t: Tally = { entries, rollForward: 0, orphans: 0, partial: 0 };
  for (const f of files) {
    const name = f.slice(f.lastIndexOf("/") + 1);
    if (name.startsWith(".") && name.endsWith(".tmp")) t.partial++;
    else if (f.includes("/_staging/")) {
      if (staged.has(f)) t.rollForward++;
      else t.orphans++;
    }
  }
  return t;
}

/** Rows a plain glob sees; no key may ever be visible twice. */
function visible(lake: string, stream: string) {
  return streamStats(`${lake}/${stream}`);
}

interface CrashRun {
  label: string;
  /** The CLI's entry script, relative to the project root. */
  entry: string;
  /** Arguments of the CLI. */
  args: string[];
  lake: string;
  streams: string[];
  seed: number;
}

/** Kill the pull 10 times, restart it each time, then let it finish. */
async function crashAndRestart(run: CrashRun): Promise<string[]> {
  const random = prng(run.seed);
  const delays = killSchedule(random, 10, 5, 1500);
  const log: string[] = [];
  for (const [k, delay] of delays.entries()) {
    const child = spawnCli(run.args, { entry: run.entry });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const alive = await Promise.race([
      new Promise<boolean>((r) => timer = setTimeout(() => r(true), delay)),
      child.status.then(() => false),
    ]);
    clearTimeout(timer);
    if (alive) child.kill("SIGKILL");
    const out = await child.output();
    assert(
      alive,
      `${run.label}: run ${
        k + 1
      } ended (code ${out.code}) before its kill at ${delay} ms:\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
    assertEquals(out.signal, "SIGKILL");
    const parts: string[] = [];
    for (const s of run.streams) {
      const t = await inspect(run.lake, s);
      const v = await visible(run.lake, s);
      // At every instant a reader sees each key at most once.
      assertEquals(v.ids, v.n, `${s} after kill ${k + 1}: duplicate keys`);
      const mid = [
        t.partial ? `${t.partial} half-written` : "",
        t.rollForward ? `${t.rollForward} committed, not moved` : "",
        t.orphans ? `${t.orphans} staged, uncommitted` : "",
      ].filter(Boolean).join(", ");
      parts.push(
        `${s}: ${t.entries} commits, ${v.n} rows${mid ? `, ${mid}` : ""}`,
      );
    }
    log.push(`kill ${k + 1} at ${delay} ms: ${parts.join("; ")}`);
  }
  const last = await runCliChild(run.args, { entry: run.entry });
  assertEquals(
    last.code,
    0,
    `${run.label}: the final run failed:\n${last.stderr}`,
  );
  return log;
}

function seed(): number {
  const given = Deno.env.get("INLET_CRASH_SEED");
  return given !== undefined
    ? Number(given)
    : Math.floor(Math.random() * 2 ** 31);
}

Deno.test("crash: core/cli.ts pull demo (offset fan-out) killed by SIGKILL 10 times, then exact", async () => {
  const records = 25_000;
  const s = seed();
  console.log(`INLET_CRASH_SEED=${s}`);
  await using server = await startApiServer({ records, latencyMs: 20 });
  await withTempDir("inlet-crash-", async (lake) => {
    const log = await crashAndRestart({
      label: "demo",
      entry: "core/cli.ts",
      args: pullArgs(
        "demo",
        server.url,
        lake,
        "--concurrency",
        "2",
        "--checkpoint-records",
        "100",
      ),
      lake,
      streams: ["demo/items"],
      seed: s,
    });
    console.log(log.join("\n"));
    assertEquals(await visible(lake, "demo/items"), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
    const { default: demo } = await import("../../connectors/demo.ts");
    assertEquals(
      await viewStats(lake, demo, "items", ID_COLUMNS),
      { n: records, ids: records, s: sumTo(records) },
    );
    assertEquals(
      (await walk(`${lake}/demo/items/_staging`)).filter((f) =>
        !f.endsWith(".tmp")
      ),
      [],
      "no staged file is left",
    );
  });
});

Deno.test("crash: cursor chain, split partitions, fan-out and a dependent stream killed 10 times, then exact", async () => {
  const records = 2_000;
  const s = seed();
  console.log(`INLET_CRASH_SEED=${s}`);
  await using server = await startApiServer({ records, latencyMs: 10 });
  const streams = ["fanout", "cursor", "partitioned", "details"];
  await withTempDir("inlet-crash-", async (lake) => {
    const log = await crashAndRestart({
      label: "crash",
      entry: "tests/core/_crash_cli.ts",
      args: pullArgs(
        "crash",
        server.url,
        lake,
        "--concurrency",
        "8",
        "--checkpoint-records",
        "20",
      ),
      lake,
      streams: streams.map((n) => `crash/${n}`),
      seed: s,
    });
    console.log(log.join("\n"));
    for (const name of streams) {
      assertEquals(
        await visible(lake, `crash/${name}`),
        { n: records, ids: records, s: sumTo(records) },
        name,
      );
      assertEquals(
        await viewStats(lake, crash, name, ID_COLUMNS),
        { n: records, ids: records, s: sumTo(records) },
        `${name} through deno task query`,
      );
    }
  });
});

// ---- Every storage step ------------------------------------------------

const STEP_RECORDS = 120;

interface StepCase {
  stream: StreamDef;
  /** A clean run before the crashing one (the old set of a replace, a bookmark). */
  before?: (server: ApiServer) => void;
  /** Change the source between the clean run and the crashing one. */
  change?: (server: ApiServer) => void;
  /** What a reader must see in the end. */
  check: (lake: string, connector: Connector, stream: string) => Promise<void>;
}

async function exactlyOnce(lake: string, connector: Connector, stream: string) {
  assertEquals(
    await viewStats(lake, connector, stream, ID_COLUMNS),
    { n: STEP_RECORDS, ids: STEP_RECORDS, s: sumTo(STEP_RECORDS) },
  );
}

const stepCases: Record<string, StepCase> = {
  fanout: {
    stream: offsetStream(20),
    check: async (lake, c, s) => {
      await exactlyOnce(lake, c, s);
      // The plain glob, too: nothing twice, nothing missing.
      assertEquals(await visible(lake, `steps/${s}`), {
        n: STEP_RECORDS,
        ids: STEP_RECORDS,
        s: sumTo(STEP_RECORDS),
      });
    },
  },
  cursor: {
    stream: cursorStream(30),
    check: exactlyOnce,
  },
  partitioned: {
    stream: stripeLikeStream(25, { end: BASE_S + 200, partitions: 3 }),
    check: exactlyOnce,
  },
  replaced: {
    stream: offsetStream(20, { writeDisposition: "replace" }),
    before: () => {},
    change: (server) => {
      for (let id = 1; id <= STEP_RECORDS; id++) {
        server.updateRecord(id, { name: `new-${id}` });
      }
    },
    check: async (lake, c, s) => {
      await exactlyOnce(lake, c, s);
      // Only the new set, whether the crash came before or after the swap.
      const { n } = await viewStats(lake, c, s, {
        n: "count(*) FILTER (WHERE name LIKE 'new-%')",
      });
      assertEquals(n, STEP_RECORDS);
    },
  },
  merged: {
    stream: offsetStream(20, {
      path: "/updated/items",
      writeDisposition: "merge",
      incremental: { cursorField: "updated_at", param: "since" },
    }),
    before: () => {},
    change: (server) => {
      for (let id = 1; id <= STEP_RECORDS; id += 3) {
        server.updateRecord(id, { name: `v2-${id}` });
      }
    },
    check: async (lake, c, s) => {
      await exactlyOnce(lake, c, s);
      const { v2 } = await viewStats(lake, c, s, {
        v2: "count(*) FILTER (WHERE name LIKE 'v2-%')",
      });
      assertEquals(v2, STEP_RECORDS / 3);
    },
  },
};

function stepConnector(baseUrl: string): Connector {
  return testConnector(
    baseUrl,
    Object.fromEntries(
      Object.entries(stepCases).map(([k, v]) => [k, v.stream]),
    ),
    "steps",
  );
}

Deno.test("crash: a pull crashed at every storage step resumes to exactly the data", async () => {
  for (const [stream, t] of Object.entries(stepCases)) {
    const options = {
      streams: [stream],
      concurrency: 3,
      fileRecords: 30,
    };
    // How many storage steps the crashing run takes (a probe run).
    let steps = 0;
    {
      await using server = await startApiServer({ records: STEP_RECORDS });
      const c = stepConnector(server.url);
      await withTempDir("inlet-steps-", async (dir) => {
        if (t.before) await pull(c, { ...options, lake: dir });
        t.change?.(server);
        const probe = new CrashingStorage(new LocalStorage(dir), Infinity);
        await pull(c, { ...options, lake: probe });
        steps = probe.steps;
      });
    }
    assert(steps > 10, `${stream}: only ${steps} storage steps`);
    let crashes = 0;
    for (let at = 0; at < steps; at++) {
      await using server = await startApiServer({ records: STEP_RECORDS });
      const c = stepConnector(server.url);
      await withTempDir("inlet-steps-", async (dir) => {
        let cleanVersion = 0;
        if (t.before) {
          const clean = await pull(c, { ...options, lake: dir });
          assertEquals(clean.status, "ok", clean.errors.join("\n"));
          cleanVersion = (await new CommitLog(
            new LocalStorage(dir),
            `steps/${stream}`,
            { runId: "reader" },
          ).latest())!.version;
        }
        t.change?.(server);
        const crashing = new CrashingStorage(new LocalStorage(dir), at);
        try {
          await pull(c, { ...options, lake: crashing });
        } catch (err) {
          // The run summary's write is a storage step too.
          if (!isCrash(err)) throw err;
        }
        // A crash after the final commit (writing the run summary) left a
        // complete run: a restart would be a new sweep, appending again.
        const log = new CommitLog(new LocalStorage(dir), `steps/${stream}`, {
          runId: "reader",
        });
        const latest = await log.latest();
        const done = latest !== undefined && latest.version > cleanVersion &&
          (latest.state as { sweep?: string } | null)?.sweep === "complete";
        if (crashing.crashed) crashes++;
        if (crashing.crashed && !done) {
          const summary = await pull(c, { ...options, lake: dir });
          assertEquals(summary.status, "ok", summary.errors.join("\n"));
        }
        // What the next run's start does anyway: roll committed files forward.
        await log.recover();
        try {
          await t.check(dir, c, stream);
        } catch (err) {
          throw new Error(`${stream}, crashed at step ${at} of ${steps}`, {
            cause: err,
          });
        }
      });
    }
    console.log(`${stream}: crashed at ${crashes} of ${steps} storage steps`);
    assert(crashes >= steps - 2, `${stream}: only ${crashes} crashes`);
  }
});
