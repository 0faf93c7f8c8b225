// Every task answers --help and --version with the permissions deno.json
// gives it, run from a folder holding a lake: nothing is created or deleted.
import assert from "node:assert/strict";
import { VERSION } from "../../../core/cli/version.ts";
import { ROOT, runDeno } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

const COMMANDS = [
  "pull",
  "list",
  "state",
  "query",
  "compact",
  "expire",
  "demo",
  "new",
  "compile",
];

/** The `deno run` argv of task `name` as deno.json defines it, then `extra`. */
async function taskArgs(name: string, extra: string[]): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)) as {
    tasks: Record<string, { command: string }>;
  };
  const words = config.tasks[name]!.command.split(" ");
  assert.deepEqual(words.slice(0, 2), ["deno", "run"], name);
  const at = words.findIndex((w) => /^core\/\w+\/\w+\.ts$/.test(w));
  return [
    "run",
    // From another folder, as a user's task would not be: the lake is ./lake there.
    `--config=${ROOT}/deno.json`,
    ...words.slice(2, at),
    `${ROOT}/${words[at]}`,
    ...words.slice(at + 1),
    ...extra,
  ];
}

/** Every path under `dir`, sorted. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      out.push(`${d}/${e.name}`.slice(dir.length));
      if (e.isDirectory) await walk(`${d}/${e.name}`);
    }
  };
  await walk(dir);
  return out.sort();
}

Deno.test("cli help: every command answers --help and --version without touching the folder it runs in", async () => {
  await withTempDir("inlet-help-", async (dir) => {
    await Deno.mkdir(`${dir}/lake/demo/items`, { recursive: true });
    await Deno.writeTextFile(`${dir}/lake/demo/items/keep.parquet`, "data");
    const before = await tree(dir);
    for (const name of COMMANDS) {
      for (const flag of ["--help", "--version"]) {
        const r = await runDeno(await taskArgs(name, [flag]), {
          cwd: dir,
          env: { NO_COLOR: "1" },
        });
        const what = `${name} ${flag}`;
        assert.deepEqual(await tree(dir), before, `${what} touched ${dir}`);
        assert.equal(r.code, 0, `${what}: ${r.stderr}`);
        if (flag === "--help") assert.match(r.stdout, /usage/i, what);
        else assert.equal(r.stdout, `${VERSION}\n`, what);
      }
    }
  });
});
