/**
 * The crash test: a pull in a subprocess is killed with SIGKILL at points of
 * its progress, read from its `--log-format json` events (after its first
 * records, before its first commit; right after a commit; with a commit's
 * files written and its table metadata version not; with the version made
 * and the version hint not moved) and restarted each time; then it runs to
 * the end and an Iceberg reader must find every record the server holds
 * exactly once. One run per paging shape: every paginator kind resumes
 * after a SIGKILL.
 *
 * A second part crashes an in-process pull at every single storage step
 * (each file write, close, manifest, metadata version and hint) and checks
 * the same.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { StreamTable } from "../../../core/lake/stream_table.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { pull } from "../../../core/run/pull.ts";
import {
  type ApiServer,
  startApiServer,
} from "../../../core/testing/api_server.ts";
import type { Connector } from "../../../core/connector/connector.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import { BASE_S } from "../../../core/testing/_records.ts";
import { pullArgs, runCliChild } from "../../_cli.ts";
import {
  cursorStream,
  offsetStream,
  stripeLikeStream,
  testConnector,
} from "../../_connectors.ts";
import { ID_COLUMNS, streamStats, sumTo, viewStats } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";
import { crash, shapes } from "./_crash_cli.ts";
import { inspect, landed, type Phase, PHASES } from "./_crash_lake.ts";
import { CrashingStorage, isCrash } from "./_crashing_storage.ts";
import { type KillPoint, runToKill } from "./_kill_child.ts";
import { apiRecords, hnRecords, totals } from "./_server_truth.ts";

const CRASH_CLI = "tests/core/run/_crash_cli.ts";

/** Rows an Iceberg reader sees; no key may ever be visible twice. */
function visible(lake: string, stream: string) {
  return streamStats(`${lake}/${stream}`);
}

/** One stream of a group: its paginator kind and what it should hold. */
interface Shape {
  /** The paginator kind, for messages. */
  kind: string;
  /** A numeric field whose sum is checked. */
  value: string;
  /** What the server holds, read over HTTP. */
  truth: (server: ApiServer) => Promise<Array<Record<string, unknown>>>;
}

/** A connector the crash CLI knows, pulled in one child, stream by stream. */
interface Group {
  connector: Connector;
  streams: Record<string, Shape>;
}

const RECORDS = 300;
const api = (kind: string): Shape => ({
  kind,
  value: "score",
  truth: apiRecords,
});
const hn = (kind: string): Shape => ({ kind, value: "time", truth: hnRecords });

/** Every paginator kind, in two children (one per connector). */
const GROUPS: Record<string, Group> = {
  "offset fan-out, cursor, partitioned cursor and single (dependent)": {
    connector: crash,
    streams: {
      fanout: api("offset fan-out"),
      cursor: api("cursor"),
      partitioned: api("partitioned cursor"),
      details: hn("single (dependent)"),
    },
  },
  "page number, next URL, Link header and id range": {
    connector: shapes,
    streams: {
      pages: api("page number"),
      next: api("next URL"),
      link: api("Link header"),
      hn: hn("id range"),
    },
  },
};

/**
 * Each kill's point, in order: every phase at least once, with commits
 * left for the ones after it.
 */
const KILLS: KillPoint[] = ["open", "staged:2", "between:2", "hinting:1"];

/** The phase each kind of hold point leaves a stream in. */
const HELD_AT: Record<string, Phase> = {
  open: "before its first commit",
  between: "between commits",
  staged: "staged, before its commit",
  hinting: "committed, hint not moved",
};

/** What the kills of one group did, per stream. */
interface KillReport {
  phases: Map<string, Map<Phase, number>>;
  log: string[];
}

/** Kill a group's pull at each of {@linkcode KILLS}, then let it finish. */
async function killAndResume(
  group: Group,
  server: ApiServer,
  lake: string,
): Promise<KillReport> {
  const name = group.connector.name;
  const streams = Object.keys(group.streams).map((s) => `${name}/${s}`);
  const args = pullArgs(
    ...[name, server.url, lake, "--concurrency", "8"] as const,
    ...["--checkpoint-records", "20"],
  );
  const phases = new Map(
    streams.map((s) => [s, new Map<Phase, number>(PHASES.map((p) => [p, 0]))]),
  );
  const log: string[] = [];
  const done = new Set<string>();
  for (const [k, point] of KILLS.entries()) {
    const running = streams.filter((s) => !done.has(s));
    const before = await Promise.all(running.map((s) => inspect(lake, s)));
    const end = await runToKill(args, CRASH_CLI, point, running);
    assert(
      !end.timedOut,
      `run ${k + 1} never reached ${point}:\n${end.stderr}`,
    );
    for (const s of end.completed) done.add(s);
    if (!end.killed) {
      // It finished first: a restart now would be a new run, so stop here.
      assertEquals(end.code, 0, `run ${k + 1}:\n${end.stderr}`);
      log.push(`run ${k + 1} (${point}): ended by itself, not killed`);
      return { phases, log };
    }
    for (const [i, s] of running.entries()) {
      const after = await inspect(lake, s);
      const v = await visible(lake, s);
      // At every instant a reader sees each key at most once.
      assertEquals(v.ids, v.n, `${s} after kill ${k + 1}: duplicate keys`);
      if (!end.held.has(s)) {
        log.push(`kill ${k + 1} at ${point}: ${s} had completed`);
        continue;
      }
      const phase = landed(before[i]!, after);
      // The files alone must tell the phase the child held at.
      assertEquals(phase, HELD_AT[point.split(":")[0]!], `${s}, kill ${k + 1}`);
      const tally = phases.get(s)!;
      tally.set(phase, tally.get(phase)! + 1);
      log.push(
        `kill ${
          k + 1
        } at ${point}: ${s} ${phase}; ${after.dataCommits} commits, ${v.n} rows visible, ${after.orphans.size} written uncommitted, ${after.unhinted.size} committed unhinted, ${after.partial} half-written`,
      );
    }
  }
  const last = await runCliChild(args, { entry: CRASH_CLI });
  assertEquals(last.code, 0, `the final run failed:\n${last.stderr}`);
  return { phases, log };
}

/** Count, distinct keys, sum of keys and of the stream's value field. */
function columns(value: string) {
  return { ...ID_COLUMNS, v: `sum(${value})` };
}

for (const [title, group] of Object.entries(GROUPS)) {
  Deno.test(`crash: ${title}, each killed by SIGKILL on its progress events, then every record exactly once`, async () => {
    await using server = await startApiServer({
      records: RECORDS,
      latencyMs: 5,
    });
    await withTempDir("inlet-crash-", async (lake) => {
      const { phases, log } = await killAndResume(group, server, lake);
      console.log(log.join("\n"));
      for (
        const [stream, { kind, value, truth }] of Object.entries(group.streams)
      ) {
        const id = `${group.connector.name}/${stream}`;
        const tally = phases.get(id)!;
        console.log(
          `${kind} (${id}): ${
            [...tally].map(([p, n]) => `${n} ${p}`).join(", ")
          }`,
        );
        for (const p of PHASES) {
          assert(tally.get(p)! >= 1, `${kind}: no kill landed ${p}`);
        }
        const want = totals(await truth(server), value);
        assertEquals(want.n, RECORDS);
        assertEquals(
          await viewStats(lake, group.connector, stream, columns(value)),
          want,
          `${kind}: through deno task query`,
        );
        assertEquals(
          await streamStats(`${lake}/${id}`, columns(value)),
          want,
          `${kind}: an Iceberg reader`,
        );
        // No data file is left that the table does not list.
        assertEquals((await inspect(lake, id)).orphans.size, 0, kind);
      }
    });
  });
}

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
      // An Iceberg reader, too: nothing twice, nothing missing.
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
          cleanVersion = (await new StreamTable(
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
        const log = new StreamTable(new LocalStorage(dir), `steps/${stream}`, {
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
        // What the next run's start does anyway: load the table.
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
