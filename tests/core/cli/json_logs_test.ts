// `--log-format json` for log collectors: every line on stderr is one JSON
// object, in the two forms the README gives (`deno task -q pull`, and the
// task's own `deno run` command), a bad usage included. Plain `deno task`
// puts its banner first; that is why the README says `-q`.
import assert from "node:assert/strict";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { ROOT, runDeno } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

/** Each stderr line parsed, failing on the first that is not a JSON object. */
function jsonLines(stderr: string): Array<Record<string, unknown>> {
  const lines = stderr.split("\n");
  assert.equal(lines.pop(), "", "stderr ends with a newline");
  return lines.map((l, i) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      assert.fail(`stderr line ${i + 1} is not JSON: ${l}\n${stderr}`);
    }
    assert.ok(typeof v === "object" && v !== null && !Array.isArray(v), l);
    return v as Record<string, unknown>;
  });
}

/** The pull task's command from deno.json, as `deno` arguments. */
async function pullTaskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const [deno, ...args] = (config.tasks.pull.command as string).split(" ");
  assert.equal(deno, "deno");
  return args;
}

Deno.test("json logs: `deno task -q pull` and the task's `deno run` form print only JSON lines on stderr; plain `deno task` adds its banner", async () => {
  await using api = await startApiServer({ records: 300 });
  const forms: Array<[string, string[]]> = [
    ["deno task -q pull", ["task", "-q", "pull"]],
    ["deno run ... core/cli/cli.ts pull", await pullTaskArgs()],
  ];
  for (const [form, head] of forms) {
    await withTempDir("inlet-json-logs-", async (lake) => {
      const r = await runDeno([
        ...head,
        "demo",
        "--base-url",
        api.url,
        "--lake",
        lake,
        "--log-format",
        "json",
      ]);
      assert.equal(r.code, 0, `${form}: ${r.stderr}`);
      const events = jsonLines(r.stderr);
      assert.equal(events[0]!.type, "run_start", form);
      assert.equal(events.at(-1)!.type, "run_end", form);
      assert.ok(events.every((e) => typeof e.at === "string"), form);
    });
  }
  await withTempDir("inlet-json-logs-", async (lake) => {
    const r = await runDeno(
      ["task", "pull", "demo", "--base-url", api.url, "--lake", lake],
      { env: { NO_COLOR: "1" } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr.split("\n")[0]!, /^Task pull deno run /);
  });
});

Deno.test("json logs: a usage error is a JSON line too", async () => {
  const r = await runDeno([
    ...(await pullTaskArgs()),
    "no-such-connector",
    "--log-format",
    "json",
  ]);
  assert.equal(r.code, 2, r.stderr);
  const events = jsonLines(r.stderr);
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => e.type === "message"), r.stderr);
  assert.match(String(events[0]!.text), /no-such-connector/);
});
