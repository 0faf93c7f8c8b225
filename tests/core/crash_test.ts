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
import { queryLake } from "../../core/query.ts";
import {
  type ApiServer,
  startApiServer,
} from "../../core/testing/api_server.ts";
import type { Connector } from "../../core/connector.ts";
import { defineConnector } from "../../core/connector.ts";
import { cursorPaginator, offsetPaginator } from "../../core/paginators.ts";
import type { StreamDef } from "../../core/types.ts";
import { BASE_S } from "../../core/testing/_records.ts";
import { duck, sqlString } from "../_duckdb.ts";
import { crash } from "./_crash_cli.ts";
import { CrashingStorage, isCrash } from "./_crashing_storage.ts";

const root = new URL("../../", import.meta.url).pathname;
const sumTo = (n: number) => n * (n + 1) / 2;

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
async function visible(lake: string, stream: string) {
  const glob = `${lake}/${stream}/*.parquet`;
  const top = `${lake}/${stream}/`;
  const files = await walk(`${lake}/${stream}`);
  if (
    !files.some((f) =>
      f.endsWith(".parquet") && !f.slice(top.length).includes("/")
    )
  ) {
    return { n: 0, ids: 0, s: 0 };
  }
  const [row] = await duck(
    `SELECT count(*) AS n, count(DISTINCT id) AS ids, coalesce(sum(id), 0) AS s
     FROM read_parquet(${sqlString(glob)}, union_by_name = true)`,
  );
  return { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) };
}

interface CrashRun {
  label: string;
  /** Arguments of `deno run -A`. */
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
    const child = new Deno.Command(Deno.execPath(), {
      args: run.args,
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
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
  const last = await new Deno.Command(Deno.execPath(), {
    args: run.args,
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(
    last.code,
    0,
    `${run.label}: the final run failed:\n${
      new TextDecoder().decode(last.stderr)
    }`,
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
  const server = await startApiServer({ records, latencyMs: 20 });
  const lake = await Deno.makeTempDir({ prefix: "inlet-crash-" });
  try {
    const log = await crashAndRestart({
      label: "demo",
      args: [
        "run",
        "-A",
        `${root}core/cli.ts`,
        "pull",
        "demo",
        "--no-sandbox",
        "--base-url",
        server.url,
        "--lake",
        lake,
        "--concurrency",
        "2",
        "--checkpoint-records",
        "100",
      ],
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
    const [row] = await queryLake(
      lake,
      demo,
      "SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s FROM items",
    );
    assertEquals(
      { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) },
      { n: records, ids: records, s: sumTo(records) },
    );
    assertEquals(
      (await walk(`${lake}/demo/items/_staging`)).filter((f) =>
        !f.endsWith(".tmp")
      ),
      [],
      "no staged file is left",
    );
  } finally {
    await server.close();
    await Deno.remove(lake, { recursive: true });
  }
});

Deno.test("crash: cursor chain, split partitions, fan-out and a dependent stream killed 10 times, then exact", async () => {
  const records = 2_000;
  const s = seed();
  console.log(`INLET_CRASH_SEED=${s}`);
  const server = await startApiServer({ records, latencyMs: 10 });
  const lake = await Deno.makeTempDir({ prefix: "inlet-crash-" });
  const streams = ["fanout", "cursor", "partitioned", "details"];
  try {
    const log = await crashAndRestart({
      label: "crash",
      args: [
        "run",
        "-A",
        `${root}tests/core/_crash_cli.ts`,
        "pull",
        "crash",
        "--no-sandbox",
        "--base-url",
        server.url,
        "--lake",
        lake,
        "--concurrency",
        "8",
        "--checkpoint-records",
        "20",
      ],
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
      const [row] = await queryLake(
        lake,
        crash,
        `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s FROM ${name}`,
      );
      assertEquals(
        { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) },
        { n: records, ids: records, s: sumTo(records) },
        `${name} through deno task query`,
      );
    }
  } finally {
    await server.close();
    await Deno.remove(lake, { recursive: true });
  }
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
  const [row] = await queryLake(
    lake,
    connector,
    `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s FROM ${stream}`,
  );
  assertEquals(
    { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) },
    { n: STEP_RECORDS, ids: STEP_RECORDS, s: sumTo(STEP_RECORDS) },
  );
}

const stepCases: Record<string, StepCase> = {
  fanout: {
    stream: {
      path: "/offset/items",
      params: { limit: 20 },
      recordsPath: "items",
      primaryKey: "id",
      paginator: offsetPaginator({ limit: 20, totalPath: "total" }),
    },
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
    stream: {
      path: "/cursor/items",
      params: { limit: 30 },
      recordsPath: "data",
      primaryKey: "id",
      paginator: cursorPaginator({
        cursorParam: "cursor",
        cursorPath: "next_cursor",
      }),
    },
    check: exactlyOnce,
  },
  partitioned: {
    stream: {
      path: "/stripe/items",
      recordsPath: "data",
      primaryKey: "id",
      partition: {
        kind: "unix",
        gteParam: "created[gte]",
        ltParam: "created[lt]",
        start: BASE_S,
        end: BASE_S + 200,
        field: "created",
        partitions: 3,
        order: "desc",
      },
      paginator: cursorPaginator({
        cursorParam: "starting_after",
        cursorFrom: "lastRecord",
        hasMorePath: "has_more",
        limitParam: "limit",
        limit: 25,
      }),
    },
    check: exactlyOnce,
  },
  replaced: {
    stream: {
      path: "/offset/items",
      params: { limit: 20 },
      recordsPath: "items",
      primaryKey: "id",
      writeDisposition: "replace",
      paginator: offsetPaginator({ limit: 20, totalPath: "total" }),
    },
    before: () => {},
    change: (server) => {
      for (let id = 1; id <= STEP_RECORDS; id++) {
        server.updateRecord(id, { name: `new-${id}` });
      }
    },
    check: async (lake, c, s) => {
      await exactlyOnce(lake, c, s);
      // Only the new set, whether the crash came before or after the swap.
      const [row] = await queryLake(
        lake,
        c,
        `SELECT count(*) AS n FROM ${s} WHERE name LIKE 'new-%'`,
      );
      assertEquals(Number(row!.n), STEP_RECORDS);
    },
  },
  merged: {
    stream: {
      path: "/updated/items",
      params: { limit: 20 },
      recordsPath: "items",
      primaryKey: "id",
      writeDisposition: "merge",
      incremental: { cursorField: "updated_at", param: "since" },
      paginator: offsetPaginator({ limit: 20, totalPath: "total" }),
    },
    before: () => {},
    change: (server) => {
      for (let id = 1; id <= STEP_RECORDS; id += 3) {
        server.updateRecord(id, { name: `v2-${id}` });
      }
    },
    check: async (lake, c, s) => {
      await exactlyOnce(lake, c, s);
      const [row] = await queryLake(
        lake,
        c,
        `SELECT count(*) FILTER (WHERE name LIKE 'v2-%') AS v2 FROM ${s}`,
      );
      assertEquals(Number(row!.v2), STEP_RECORDS / 3);
    },
  },
};

function stepConnector(baseUrl: string): Connector {
  return defineConnector({
    name: "steps",
    baseUrl,
    hosts: ["127.0.0.1"],
    streams: Object.fromEntries(
      Object.entries(stepCases).map(([k, v]) => [k, v.stream]),
    ),
  });
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
      const dir = await Deno.makeTempDir({ prefix: "inlet-steps-" });
      try {
        if (t.before) await pull(c, { ...options, lake: dir });
        t.change?.(server);
        const probe = new CrashingStorage(new LocalStorage(dir), Infinity);
        await pull(c, { ...options, lake: probe });
        steps = probe.steps;
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    assert(steps > 10, `${stream}: only ${steps} storage steps`);
    let crashes = 0;
    for (let at = 0; at < steps; at++) {
      await using server = await startApiServer({ records: STEP_RECORDS });
      const c = stepConnector(server.url);
      const dir = await Deno.makeTempDir({ prefix: "inlet-steps-" });
      try {
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
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    console.log(`${stream}: crashed at ${crashes} of ${steps} storage steps`);
    assert(crashes >= steps - 2, `${stream}: only ${crashes} crashes`);
  }
});
