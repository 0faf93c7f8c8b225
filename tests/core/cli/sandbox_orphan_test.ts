// The sandboxed pull's child never outlives the CLI: killed with the CLI's
// process group it dies in the same instant, and a CLI killed alone leaves
// it to exit on its own. Every wait is on an event (a request count, a
// process gone), bounded by a number of polls, never a time window.
import assert from "node:assert/strict";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { ROOT, waitUntil } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

/** A process's state letter, parent and group from /proc; undefined once it is gone. */
async function proc(
  pid: number,
): Promise<{ state: string; ppid: number; pgrp: number } | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // The command name may hold spaces and parentheses: fields follow the last ")".
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(
      " ",
    );
    return { state: state!, ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** Gone, or dead and waiting to be reaped (a zombie runs nothing). */
async function gone(pid: number): Promise<boolean> {
  const p = await proc(pid);
  return p === undefined || p.state === "Z";
}

/** The live children of `pid`. */
async function children(pid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const p = await proc(Number(e.name));
    if (p?.ppid === pid && p.state !== "Z") out.push(Number(e.name));
  }
  return out;
}

/** Start a sandboxed `pull demo` in a session (and process group) of its own. */
function startPull(url: string, lake: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
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
      "4",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Wait until the CLI's child is pulling; its pid. */
async function pullingChild(
  cli: Deno.ChildProcess,
  server: { stats: { requests: number } },
): Promise<number> {
  await waitUntil(() => server.stats.requests >= 20, 20_000);
  assert.ok(server.stats.requests >= 20, "the sandboxed child started pulling");
  const [child, ...more] = await children(cli.pid);
  assert.ok(child !== undefined && more.length === 0, "one child pulls");
  return child;
}

Deno.test("sandbox: the child is in the CLI's process group and dies when the group is killed", async () => {
  // Slow enough that the pull is far from done when the group dies.
  await using server = await startApiServer({
    records: 100_000,
    latencyMs: 50,
    capacity: 4,
  });
  await withTempDir("inlet-orphan-", async (lake) => {
    const cli = startPull(server.url, lake);
    const child = await pullingChild(cli, server);
    assert.equal((await proc(child))?.pgrp, cli.pid, "the child's group");
    Deno.kill(-cli.pid, "SIGKILL");
    await cli.status;
    await waitUntil(() => gone(child));
    assert.ok(await gone(child), "the child outlived its group");
    assert.ok(server.stats.requests < 2000, "the child stopped early");
  });
});

Deno.test("sandbox: a child whose parent alone is killed with SIGKILL exits instead of pulling on", async () => {
  await using server = await startApiServer({
    records: 100_000,
    latencyMs: 50,
    capacity: 4,
  });
  await withTempDir("inlet-orphan-", async (lake) => {
    const cli = startPull(server.url, lake);
    const child = await pullingChild(cli, server);
    cli.kill("SIGKILL");
    await cli.status;
    // It notices its parent is gone (its stdin closes) and exits.
    await waitUntil(() => gone(child));
    assert.ok(await gone(child), "the child pulls on alone");
    // A process that is gone sends nothing more: the count is final.
    assert.ok(
      server.stats.requests < 2000,
      `the child stopped early (${server.stats.requests} of 2000 pages)`,
    );
  });
});
