import assert from "node:assert/strict";
import { compileArgs } from "../../../core/cli/compile_plan.ts";
import { pullV8FlagsArg } from "../../../core/cli/pull_v8_flags.ts";
import { runSandboxed } from "../../../core/cli/sandbox.ts";
import { ROOT } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";
import { probeConnector } from "./_sandbox_probe.ts";

const probe = new URL("./_young_gen_probe.ts", import.meta.url).pathname;

/** The probe's largest new space in a sandboxed child, MiB. */
async function childNewSpaceMiB(
  childEnv?: Record<string, string>,
): Promise<number> {
  return await withTempDir("inlet-v8-flags-", async (lake) => {
    let out = "";
    const code = await runSandboxed("probe", [], {
      connector: probeConnector({ hosts: ["127.0.0.1:9"] }),
      lake,
      root: ROOT,
      entry: probe,
      stdout: (c) => out += new TextDecoder().decode(c),
      ...(childEnv ? { childEnv } : {}),
    });
    assert.equal(code, 0, out);
    return JSON.parse(out.trim().split("\n").at(-1)!).newSpaceMiB;
  });
}

Deno.test("v8 flags: the pull task, the bench, a compiled binary and the sandboxed child all run with them", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const task = (config.tasks.pull.command as string).split(" ");
  assert.equal(task[0], "deno");
  assert.equal(task[1], "run");
  assert(task.includes(pullV8FlagsArg()), config.tasks.pull.command);
  // The bench pulls in its own process too: as the pull task would.
  const bench = (config.tasks.bench.command as string).split(" ");
  assert(bench.includes(pullV8FlagsArg()), config.tasks.bench.command);
  const gh = { name: "gh", baseUrl: "https://api.github.com", streams: {} };
  assert(compileArgs(gh, [gh], { out: "dist" }).includes(pullV8FlagsArg()));
});

Deno.test("v8 flags: a sandboxed pull's young generation stays at 16 MiB, where V8's default grows it to 32", async () => {
  // The probe is the control too: without the flags it must pass the cap.
  const env = Deno.env.toObject();
  delete env.DENO_V8_FLAGS;
  const plain = await new Deno.Command(Deno.execPath(), {
    args: ["run", probe],
    env,
    clearEnv: true,
  }).output();
  assert(plain.success, new TextDecoder().decode(plain.stderr));
  const unlimited = JSON.parse(new TextDecoder().decode(plain.stdout))
    .newSpaceMiB;
  assert(unlimited > 16, `V8's default new space: ${unlimited} MiB`);
  assert((await childNewSpaceMiB()) <= 16);
});

Deno.test("v8 flags: the caller's DENO_V8_FLAGS come after inlet's, so they win", async () => {
  const mib = await childNewSpaceMiB({
    DENO_V8_FLAGS: "--max-semi-space-size=2",
  });
  // 2 MiB semi-spaces: a new space of 4–5 MiB, well under inlet's 16.
  assert(mib <= 8, `new space ${mib} MiB`);
});
