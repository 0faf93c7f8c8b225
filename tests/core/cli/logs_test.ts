// What a pull prints: `--log-format json` (one event per line on stderr),
// the text format's closing table, and the exit codes the README documents.
import assert from "node:assert/strict";
import type { LoggedRequest } from "../../../core/testing/_serve.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import {
  startStripeServer,
  type StripeFault,
} from "../../../core/testing/stripe_server.ts";
import {
  events,
  pullArgs,
  runCliChild,
  runTask,
  spawnCli,
} from "../../_cli.ts";
import { committedFiles } from "../../_files.ts";
import { withTempDir } from "../../_lake.ts";

const KEY = "sk_test_logsSecret0123456789abcdef";
const TYPES = new Set([
  "run_start",
  "retry",
  "throttle",
  "limit",
  "commit",
  "stream_error",
  "run_end",
]);

/**
 * A stripe pull through the CLI child against a local Stripe server, and
 * what that server answered (`served`).
 */
async function stripePull(
  lake: string,
  faults: StripeFault[],
  extra: string[] = [],
) {
  await using stripe = startStripeServer({
    charges: 400,
    customers: 100,
    apiKey: KEY,
    faults,
  });
  const run = await runCliChild(
    pullArgs("stripe", stripe.baseUrl, lake, ...extra),
    { env: { STRIPE_API_KEY: KEY } },
  );
  return { ...run, served: stripe.requests };
}

/**
 * A stream's run counters as the server and the lake tell them: requests
 * answered (retries included), pages (200s), body bytes sent, and the data
 * files both on disk and added by the commit log.
 */
async function observed(lake: string, stream: string, served: LoggedRequest[]) {
  const mine = served.filter((r) => r.path === `/v1/${stream}`);
  return {
    requests: mine.length,
    pages: mine.filter((r) => r.status === 200).length,
    bytes: mine.reduce((n, r) => n + r.bytes!, 0),
    files: (await committedFiles(`${lake}/stripe/${stream}`)).length,
  };
}

// customers fails for good; charges gets a 503 and a 429 once each.
const FAULTS: StripeFault[] = [
  { path: "/v1/customers", status: 400 },
  { path: "/v1/charges", status: 503, times: 1 },
  { path: "/v1/charges", status: 429, times: 1 },
];

async function filesText(dir: string): Promise<string> {
  let text = "";
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) text += await filesText(path);
    else text += new TextDecoder().decode(await Deno.readFile(path));
  }
  return text;
}

Deno.test("logs: --log-format json prints one event per line: start, retries, throttles, limits, commits, stream errors, end", async () => {
  await withTempDir("inlet-logs-json-", async (lake) => {
    const r = await stripePull(lake, FAULTS, [
      "--log-format",
      "json",
      "--checkpoint-records",
      "100",
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(r.served.every((q) => q.bytes !== undefined), "all answered");
    const all = events(r.stderr); // throws on any line that is not JSON
    let last = 0;
    for (const e of all) {
      assert.ok(TYPES.has(String(e.type)), `unknown event ${e.type}`);
      assert.match(String(e.at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const at = Date.parse(String(e.at));
      assert.ok(at >= last, "events are in time order");
      last = at;
    }
    const of = (type: string) => all.filter((e) => e.type === type);

    assert.equal(all[0]?.type, "run_start");
    assert.equal(all[0]?.connector, "stripe");
    assert.deepEqual(all[0]?.streams, ["charges", "customers"]);
    assert.equal(all[0]?.lake, lake);
    assert.equal(all.at(-1)?.type, "run_end");
    assert.equal(of("run_start").length, 1);
    assert.equal(of("run_end").length, 1);

    const retries = of("retry");
    assert.deepEqual(retries.map((e) => e.status).sort(), [429, 503]);
    for (const e of retries) {
      assert.match(String(e.url), /\/v1\/charges\?/);
      assert.equal(e.attempt, 1);
      assert.ok(Number(e.delayMs) >= 0);
    }
    assert.equal(of("throttle").length, 1);
    assert.equal(of("throttle")[0]?.status, 429);
    // Adaptive concurrency (the default) backs off on the 503 and the 429.
    const limits = of("limit");
    assert.ok(limits.length > 0, "no limit change was logged");
    for (const e of limits) {
      assert.match(String(e.host), /^127\.0\.0\.1:\d+$/);
      assert.ok(Number.isInteger(e.limit) && Number(e.limit) >= 1);
    }

    const commits = of("commit");
    assert.ok(commits.length >= 4, `${commits.length} commits`);
    assert.ok(commits.every((e) => e.stream === "stripe/charges"));
    // One commit after another, versions in order with none skipped.
    const versions = commits.map((e) => Number(e.version));
    versions.forEach((v, i) => i > 0 && assert.equal(v, versions[i - 1]! + 1));
    assert.equal(commits.at(-1)?.sweep, "complete");
    assert.equal(commits.reduce((n, e) => n + Number(e.records), 0), 400);

    const errors = of("stream_error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.stream, "stripe/customers");
    assert.match(
      String(errors[0]?.error),
      /Cannot fetch page 1 of "stripe\/customers": status 400 at http:\/\/127\.0\.0\.1:\d+\/v1\/customers\?/,
    );

    const summary = all.at(-1)?.summary as {
      status: string;
      records: number;
      retries: number;
      errors: string[];
      streams: Array<Record<string, unknown>>;
    };
    assert.equal(summary.status, "failed");
    assert.equal(summary.records, 400);
    assert.equal(summary.retries, 2);
    assert.equal(summary.errors.length, 1);
    // The counters are the server's and the lake's, exactly: the charges'
    // two retried answers are requests and bytes, not pages; customers' one
    // 400 is a request and its body, no page and no file.
    for (const s of summary.streams) {
      const { stream, records, pages, requests, bytes, files } = s;
      assert.deepEqual(
        { pages, requests, bytes, files },
        await observed(lake, String(stream), r.served),
        String(stream),
      );
      assert.equal(records, stream === "charges" ? 400 : 0);
      assert.ok(Number(s.durationMs) >= 0);
    }
    const charges = summary.streams.find((s) => s.stream === "charges")!;
    assert.deepEqual([charges.retries, charges.throttled], [2, 1]);
    assert.ok(Number(charges.files) >= 4, "one file a checkpoint at least");
    // Never more in flight than the adaptive limit ever allowed.
    const peak = Math.max(...limits.map((e) => Number(e.limit)), 8);
    for (const s of summary.streams) {
      const m = Number(s.maxInFlight);
      assert.ok(
        m >= 1 && m <= peak,
        `${s.stream}: ${m} in flight, limit ${peak}`,
      );
    }

    // The key went out in every request's header, and nowhere else.
    assert.ok(!r.stderr.includes(KEY), "the secret is in the log");
    assert.ok(
      !(await filesText(lake)).includes(KEY),
      "the secret is in the lake",
    );
    // No text progress or table in JSON mode.
    assert.doesNotMatch(r.stderr, /\[inlet\]|^stream\s+records/m);
  });
});

/** The closing table's rows by stream, cells split on the column gaps. */
function table(stderr: string): {
  head: string[];
  rows: Map<string, string[]>;
} {
  const lines = stderr.split("\n");
  const at = lines.findIndex((l) => /^stream\s+records\s/.test(l));
  assert.ok(at >= 0, `no summary table in:\n${stderr}`);
  const split = (l: string) => l.trim().split(/\s{2,}/);
  const rows = new Map<string, string[]>();
  for (const l of lines.slice(at + 1)) {
    if (!/^\S+\s{2,}[\d,]/.test(l)) break;
    const cells = split(l);
    rows.set(cells[0]!, cells);
  }
  return { head: split(lines[at]!), rows };
}

Deno.test("logs: the text format ends with a table per stream; exit 0 when every stream lands, 1 when one fails", async () => {
  await withTempDir("inlet-logs-text-", async (lake) => {
    const ok = await stripePull(lake, []);
    assert.equal(ok.code, 0, ok.stderr);
    const t = table(ok.stderr);
    assert.deepEqual(t.head, [
      "stream",
      "records",
      "pages",
      "retries",
      "429s",
      "MB in",
      "files",
      "s",
      "rec/s",
      "peak",
    ]);
    assert.deepEqual([...t.rows.keys()], ["charges", "customers"]);
    assert.equal(t.rows.get("charges")![1], "400");
    assert.equal(t.rows.get("customers")![1], "100");
    for (const cells of t.rows.values()) assert.equal(cells.length, 10);
    assert.match(
      ok.stderr,
      /^run \S+: ok, 500 records in \d+\.\d s -> .*\/stripe\/$/m,
    );
    assert.ok(!ok.stderr.includes(KEY));
  });
  await withTempDir("inlet-logs-text-", async (lake) => {
    const failed = await stripePull(lake, FAULTS);
    assert.equal(failed.code, 1, failed.stderr);
    const t = table(failed.stderr);
    const charges = t.rows.get("charges")!;
    assert.equal(charges[1], "400");
    assert.equal(charges[3], "2", "retries");
    assert.equal(charges[4], "1", "429s");
    assert.equal(t.rows.get("customers")![1], "0");
    assert.match(failed.stderr, /^run \S+: failed, 400 records/m);
    assert.match(
      failed.stderr,
      /^error: Cannot fetch page 1 of "stripe\/customers": status 400 at /m,
    );
    assert.ok(!failed.stderr.includes(KEY));
  });
});

Deno.test("logs: bad usage exits 2 with a message naming the flag", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--shard", "3/2"], /--shard must be i\/n with 1 <= i <= n, got "3\/2"/],
    [["--shard", "1"], /--shard must be i\/n/],
    [["--max-duration", "5x"], /--max-duration must look like 5h/],
    [["--log-format", "xml"], /--log-format.*xml/],
    [["--bogus"], /unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const r = await runCliChild(["pull", "stripe", "--no-sandbox", ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const unknown = await runCliChild(["pull", "nosuch"]);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /nosuch/);
  assert.match(unknown.stderr, /stripe/, "the known connectors are listed");
});

/** A demo pull long enough to be stopped: 2,000 pages at 20 ms, two at a time. */
async function longDemo<T>(
  fn: (args: (lake: string) => string[]) => Promise<T>,
): Promise<T> {
  await using api = await startApiServer({
    records: 100_000,
    latencyMs: 20,
    capacity: 2,
  });
  return await fn((lake) => [
    "pull",
    "demo",
    "--base-url",
    api.url,
    "--lake",
    lake,
    "--concurrency",
    "2",
    "--checkpoint-every",
    "1s",
  ]);
}

Deno.test("logs: --max-duration stops gracefully, commits, and exits 0; the state says where to continue", async () => {
  await longDemo((args) =>
    withTempDir("inlet-logs-max-", async (lake) => {
      const r = await runCliChild([
        ...args(lake),
        "--no-sandbox",
        "--max-duration",
        "2s",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^run \S+: stopped, [\d,]+ records/m);
      assert.match(
        r.stderr,
        /stopped at --max-duration: the next run continues/,
      );
      const state = await runTask(["state", "demo", "--lake", lake]);
      assert.equal(state.code, 0, state.stderr);
      assert.match(state.stdout, /"sweep": "running"/);
    })
  );
});

/** Start a pull child, signal it once its first event is out, and collect its output. */
async function signalled(
  args: string[],
  signal: Deno.Signal,
): Promise<{ code: number; stderr: string }> {
  const child = spawnCli(args);
  const guard = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, 60_000);
  let stderr = "";
  let sent = false;
  try {
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      stderr += chunk;
      // After the first commit: the run is under way and has data to land.
      if (!sent && stderr.includes('"type":"commit"')) {
        sent = true;
        child.kill(signal);
      }
    }
    return { code: (await child.status).code, stderr };
  } finally {
    clearTimeout(guard);
  }
}

for (
  const [signal, code, sandbox] of [
    ["SIGINT", 130, false],
    ["SIGTERM", 143, false],
    ["SIGTERM", 143, true],
  ] as const
) {
  Deno.test(`logs: ${signal}${sandbox ? " through the sandbox" : ""} lands what is in flight, commits and exits ${code}`, async () => {
    await longDemo((args) =>
      withTempDir("inlet-logs-sig-", async (lake) => {
        const r = await signalled([
          ...args(lake),
          ...(sandbox ? [] : ["--no-sandbox"]),
          "--log-format",
          "json",
        ], signal);
        assert.equal(r.code, code, r.stderr);
        // The CLI also prints a plain line when the signal arrives (see the
        // ignored test below); the events are every other line.
        const all = events(
          r.stderr.split("\n").filter((l) => l.startsWith("{")).join("\n"),
        );
        const end = all.at(-1);
        assert.equal(end?.type, "run_end");
        const summary = end?.summary as { status: string; records: number };
        assert.equal(summary.status, "stopped");
        const committed = all.filter((e) => e.type === "commit")
          .reduce((n, e) => n + Number(e.records), 0);
        assert.equal(
          committed,
          summary.records,
          "every landed record is committed",
        );
        assert.ok(summary.records > 0 && summary.records < 100_000);
      })
    );
  });
}

Deno.test({
  name: "logs: with --log-format json a signal is logged as an event too",
  fn: async () => {
    await longDemo((args) =>
      withTempDir("inlet-logs-sig-", async (lake) => {
        const r = await signalled([
          ...args(lake),
          "--no-sandbox",
          "--log-format",
          "json",
        ], "SIGINT");
        assert.equal(r.code, 130, r.stderr);
        const all = events(r.stderr); // every line is JSON
        const sig = all.find((e) => e.type === "signal");
        assert.equal(sig?.signal, "SIGINT");
        assert.equal(all.at(-1)?.type, "run_end");
      })
    );
  },
});
