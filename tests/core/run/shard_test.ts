// `--shard i/n`: each shard pulls only its lanes, into the same lake, with
// its own commit log; together the shards land exactly what one unsharded
// pull lands, and a shard that stopped resumes only its own lanes.
import assert from "node:assert/strict";
import github from "../../../connectors/github.ts";
import { defineConnector } from "../../../core/connector/connector.ts";
import { HttpClient } from "../../../core/http/http.ts";
import { readStates } from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { newStreamStats } from "../../../core/paging/paginate.ts";
import { pull, type RunSummary } from "../../../core/run/pull.ts";
import { runStream } from "../../../core/run/stream_run.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { startGitHubServer } from "../../../core/testing/github_server.ts";
import { startStripeServer } from "../../../core/testing/stripe_server.ts";
import { events, pullArgs, runCliChild, runTask } from "../../_cli.ts";
import { stripeLikeStream } from "../../_connectors.ts";
import { profile } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const KEY = "sk_test_shard0123456789";
// The stripe connector's partitions: created from 2011-01-01 to now, in 8.
const STRIPE_EPOCH = 1293840000;
const SPACING = 97; // seconds between the stripe server's `created` steps

/**
 * A `start` for the stripe server whose objects straddle a partition edge,
 * with the edge half a step away from any object. Sharded, an open range is
 * cut every 30 days from its start: this is cell 100's lower edge.
 */
function straddlingStart(): number {
  return STRIPE_EPOCH + 100 * 30 * 86_400 - 50 * SPACING - 48;
}

function runEnd(stderr: string): RunSummary {
  const end = events(stderr).find((e) => e.type === "run_end");
  assert.ok(end, `no run_end event in:\n${stderr}`);
  return end.summary as RunSummary;
}

function records(summary: RunSummary, stream: string): number {
  return summary.streams.find((s) => s.stream === stream)?.records ?? -1;
}

Deno.test("shard: stripe --shard 1/2 and 2/2 through the CLI land exactly the unsharded pull, with two state scopes", async () => {
  await using stripe = startStripeServer({
    charges: 300,
    customers: 200,
    apiKey: KEY,
    start: straddlingStart(),
  });
  const env = { STRIPE_API_KEY: KEY };
  const args = (lake: string, ...extra: string[]) =>
    pullArgs("stripe", stripe.baseUrl, lake, "--log-format", "json", ...extra);
  await withTempDir("inlet-shard-whole-", async (whole) => {
    await withTempDir("inlet-shard-split-", async (split) => {
      const one = await runCliChild(args(whole), { env });
      assert.equal(one.code, 0, one.stderr);

      const s1 = await runCliChild(args(split, "--shard", "1/2"), { env });
      assert.equal(s1.code, 0, s1.stderr);
      const s2 = await runCliChild(args(split, "--shard", "2/2"), { env });
      assert.equal(s2.code, 0, s2.stderr);

      const first = runEnd(s1.stderr), second = runEnd(s2.stderr);
      const totals: Array<[string, number]> = [
        ["charges", 300],
        ["customers", 200],
      ];
      for (const [stream, total] of totals) {
        const a = records(first, stream);
        const b = records(second, stream);
        // Both shards had work: the data straddles a partition edge.
        assert.ok(a > 0 && b > 0, `${stream}: shard 1 ${a}, shard 2 ${b}`);
        // No record was pulled by both shards.
        assert.equal(a + b, total, `${stream}: ${a} + ${b}`);
        const sumOf = stream === "charges" ? "amount" : "created";
        const expected = await profile(
          `${whole}/stripe/${stream}`,
          "id",
          sumOf,
        );
        const got = await profile(`${split}/stripe/${stream}`, "id", sumOf);
        assert.equal(expected.count, total);
        assert.equal(expected.distinct, total);
        assert.deepEqual(got, expected, stream);
      }

      // `deno task state` shows each shard's own state.
      const state = await runTask(["state", "stripe", "--lake", split]);
      assert.equal(state.code, 0, state.stderr);
      for (const stream of ["charges", "customers"]) {
        for (const scope of ["shard-1-of-2", "shard-2-of-2"]) {
          assert.match(
            state.stdout,
            new RegExp(`^stripe/${stream} \\[${scope}\\]  version \\d+`, "m"),
          );
        }
      }
      assert.doesNotMatch(state.stdout, /^stripe\/charges {2}version/m);
      const storage = new LocalStorage(split);
      const { default: stripeConnector } = await import(
        "../../../connectors/stripe.ts"
      );
      const reports = await readStates(storage, stripeConnector);
      assert.equal(reports.length, 4);
      for (const r of reports) {
        assert.equal((r.state as { sweep?: string }).sweep, "complete");
      }
    });
  });
});

// The server numbers repositories from 1296269 in the order it is given them.
const REPOS = ["octo/alpha", "octo/beta"];

/** The repository a GitHub request is about: `/repos/o/n/...` or `/repositories/<id>/...`. */
function repoOf(path: string): string {
  const m = /^\/(?:repos\/([^/]+\/[^/]+)|repositories\/(\d+))\//.exec(path);
  assert.ok(m, `unexpected request ${path}`);
  const name = m[1] ?? REPOS[Number(m[2]) - 1296269];
  assert.ok(name, `unknown repository in ${path}`);
  return name;
}

Deno.test("shard: a stopped github shard resumes only its own lanes; the shards' union equals the unsharded pull", async () => {
  await using gh = startGitHubServer({
    repos: {
      [REPOS[0]!]: { issues: 430, pulls: 120, commits: 330, stargazers: 210 },
      [REPOS[1]!]: { issues: 380, pulls: 90, commits: 260, stargazers: 150 },
    },
    rateLimit: { authenticated: 1_000_000, anonymous: 1_000_000 },
  });
  const base = {
    baseUrl: gh.url,
    options: { repo: ["octo/beta", "octo/alpha"] },
    env: () => undefined,
    concurrency: 4,
  } as const;
  const requests = (from: number) =>
    gh.requests.slice(from).map((r) => `${r.path}?page=${r.query.page ?? "1"}`);

  await withTempDir("inlet-gh-whole-", async (whole) => {
    await withTempDir("inlet-gh-split-", async (split) => {
      const one = await pull(github, { ...base, lake: whole });
      assert.equal(one.status, "ok", one.errors.join("\n"));

      // Shard 1 stops gracefully at its first checkpoint.
      const stop = new AbortController();
      let at = gh.requests.length;
      const stopped = await pull(github, {
        ...base,
        lake: split,
        shard: { index: 1, count: 2 },
        fileRecords: 100,
        stop: stop.signal,
        onEvent: (e) => {
          if (e.type === "commit") stop.abort();
        },
      });
      assert.equal(stopped.status, "stopped", stopped.errors.join("\n"));
      const firstRun = requests(at);
      const storage = new LocalStorage(split);
      const mid = await readStates(storage, github);
      assert.ok(mid.every((r) => r.scope === "shard-1-of-2"));
      const running = mid.filter((r) =>
        (r.state as { sweep?: string }).sweep === "running"
      );
      assert.ok(running.length > 0, "some stream of shard 1 is unfinished");
      // Shard 1 owns one repository: lanes are sorted, every 2nd from the 1st.
      for (const r of running) {
        const lanes = Object.keys(
          (r.state as { lanes: Record<string, unknown> }).lanes,
        );
        assert.deepEqual(lanes, ["repo=octo/alpha"], r.stream);
      }

      at = gh.requests.length;
      const other = await pull(github, {
        ...base,
        lake: split,
        shard: { index: 2, count: 2 },
      });
      assert.equal(other.status, "ok", other.errors.join("\n"));
      const shard2 = requests(at);
      const shard1Repos = new Set(firstRun.map(repoOf));
      const shard2Repos = new Set(shard2.map(repoOf));
      assert.deepEqual([...shard2Repos], ["octo/beta"]);
      for (const r of shard2Repos) {
        assert.ok(!shard1Repos.has(r), `both shards asked about ${r}`);
      }
      const shard2Versions = (await readStates(storage, github))
        .filter((r) => r.scope === "shard-2-of-2")
        .map((r) => `${r.stream} ${r.version}`);
      assert.equal(shard2Versions.length, 4);

      // The re-run of shard 1 continues where it stopped: its own repository
      // only, no page fetched twice, shard 2's state untouched.
      at = gh.requests.length;
      const resumed = await pull(github, {
        ...base,
        lake: split,
        shard: { index: 1, count: 2 },
      });
      assert.equal(resumed.status, "ok", resumed.errors.join("\n"));
      const rerun = requests(at);
      assert.ok(rerun.length > 0);
      for (const r of rerun) {
        assert.ok(shard1Repos.has(repoOf(r)), `shard 1 re-run asked ${r}`);
      }
      const again = rerun.filter((r) => firstRun.includes(r));
      assert.deepEqual(again, [], "pages fetched again after the resume");
      assert.equal(
        stopped.records + resumed.records + other.records,
        one.records,
      );
      const after = await readStates(storage, github);
      assert.deepEqual(
        after.filter((r) => r.scope === "shard-2-of-2").map((r) =>
          `${r.stream} ${r.version}`
        ),
        shard2Versions,
      );
      assert.ok(
        after.every((r) =>
          (r.state as { sweep?: string }).sweep === "complete"
        ),
      );

      const keys: Record<string, [string, string]> = {
        issues: ["id", "number"],
        pulls: ["id", "number"],
        commits: ["repo || '/' || sha", "length(sha)"],
        stargazers: ["repo || '/' || id", "id"],
      };
      for (const [stream, [key, sumOf]] of Object.entries(keys)) {
        const expected = await profile(`${whole}/github/${stream}`, key, sumOf);
        const got = await profile(`${split}/github/${stream}`, key, sumOf);
        assert.ok(expected.count > 0, stream);
        assert.equal(expected.count, expected.distinct, stream);
        assert.deepEqual(got, expected, stream);
      }
    });
  });
});

// Shards plan their lanes independently, and a range partition without an
// end ends "now": two shards that plan 40 s apart (matrix jobs starting at
// different times, or one shard resuming an old sweep while the other starts
// a new one) cut the range at different edges, and the records between the
// two edges are pulled twice or never.
Deno.test({
  name:
    "shard: shards that plan at different times still cover the range exactly once",
  fn: async () => {
    // Records carry created = 1704067200 + floor(id / 3), three per second.
    await using server = await startApiServer({ records: 900 });
    const start = 1704067200 - 200;
    const connector = defineConnector({
      name: "drift",
      baseUrl: server.url,
      streams: {
        items: stripeLikeStream(100, { start }),
      },
    });
    // "now" puts three of the eight edges among the records; shard 2 plans
    // 40 s later, when those edges have moved 15, 20 and 25 s.
    const planned = (start + 666) * 1000;
    await withTempDir("inlet-shard-drift-", async (lake) => {
      const storage = new LocalStorage(lake);
      let landed = 0;
      for (const [index, skew] of [[1, 0], [2, 40_000]] as const) {
        const r = await runStream({
          connector,
          name: "items",
          storage,
          runId: `20260101T00000${index}Z-00000${index}`,
          http: new HttpClient(),
          baseUrl: server.url,
          stats: newStreamStats(),
          poolWidth: 4,
          shard: { index, count: 2, streamIndex: 0 },
          now: () => planned + skew,
        });
        assert.ok(r.complete);
        landed += r.records;
      }
      const got = await profile(`${lake}/drift/items`, "id", "id");
      assert.equal(got.distinct, 900, "records never pulled");
      assert.equal(landed, 900, "records pulled by both shards");
    });
  },
});
