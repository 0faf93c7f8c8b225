// The sandboxed child shares the CLI's process group, so a terminal's
// Ctrl-C (SIGINT to the whole group) reaches it twice: directly, and passed
// on by the CLI. One press must still be one graceful stop, not an abort;
// a signal sent to the CLI alone must still reach the child once.
import assert from "node:assert/strict";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { events, ROOT } from "../../_cli.ts";
import { streamStats } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

/** A sandboxed, JSON-logging `pull demo` in a process group of its own, signalled after its first commit. */
async function stopped(
  url: string,
  lake: string,
  kill: (pid: number) => void,
): Promise<{ code: number; stderr: string }> {
  const cli = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      `${ROOT}/core/cli/cli.ts`,
      "pull",
      "demo",
      "--base-url",
      url,
      "--lake",
      lake,
      "--concurrency",
      "2",
      "--checkpoint-every",
      "1s",
      "--log-format",
      "json",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const guard = setTimeout(() => {
    try {
      Deno.kill(-cli.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, 120_000);
  let stderr = "";
  let sent = false;
  try {
    for await (const chunk of cli.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      if (!sent && stderr.includes('"type":"commit"')) {
        sent = true;
        kill(cli.pid);
      }
    }
    return { code: (await cli.status).code, stderr };
  } finally {
    clearTimeout(guard);
  }
}

for (
  const [what, kill] of [
    [
      "SIGINT to the process group (Ctrl-C)",
      (pid: number) => Deno.kill(-pid, "SIGINT"),
    ],
    ["SIGINT to the CLI alone", (pid: number) => Deno.kill(pid, "SIGINT")],
  ] as const
) {
  Deno.test(`sandbox: ${what} stops the child gracefully once; what landed is committed`, async () => {
    await using api = await startApiServer({
      records: 100_000,
      latencyMs: 20,
      capacity: 2,
    });
    await withTempDir("inlet-sandbox-sig-", async (lake) => {
      const r = await stopped(api.url, lake, kill);
      assert.equal(r.code, 130, r.stderr);
      const all = events(
        r.stderr.split("\n").filter((l) => l.startsWith("{")).join("\n"),
      );
      assert.deepEqual(
        all.filter((e) => e.type === "signal").map((e) => e.action),
        ["stop"],
        "one stop and no abort",
      );
      const end = all.at(-1);
      assert.equal(end?.type, "run_end");
      const summary = end?.summary as { status: string; records: number };
      assert.equal(summary.status, "stopped");
      assert.ok(summary.records > 0 && summary.records < 100_000);
      const { n, ids } = await streamStats(`${lake}/demo/items`, {
        n: "count(*)",
        ids: "count(DISTINCT id)",
      });
      assert.deepEqual({ n, ids }, {
        n: summary.records,
        ids: summary.records,
      });
    });
  });
}
