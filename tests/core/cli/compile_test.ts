import assert, {
  deepEqual as assertEquals,
  throws as assertThrows,
} from "node:assert/strict";
import {
  compileArgs,
  type CompileConnector,
  type CompileIo,
  compilePlan,
  denoCompileIo,
  diagnoseCompileFailure,
  runCompile,
} from "../../../core/cli/compile.ts";
import { defineConnector } from "../../../core/connector/connector.ts";
import { singlePaginator } from "../../../core/paging/paginators.ts";
import { ConfigError } from "../../../core/connector/errors.ts";
import { runDeno } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

const stream = { path: "/x", primaryKey: "id", paginator: singlePaginator() };

const github = defineConnector({
  name: "github",
  baseUrl: "https://api.github.com",
  auth: { type: "bearer", env: "GITHUB_TOKEN", optional: true },
  streams: { issues: stream },
});
const stripe: CompileConnector = {
  name: "stripe",
  baseUrl: "https://api.stripe.com/v1",
  auth: { type: "bearer", env: "STRIPE_API_KEY" },
  streams: { charges: stream },
};
const pokeapi: CompileConnector = {
  name: "pokeapi",
  baseUrl: "https://pokeapi.co/api/v2",
  hosts: ["pokeapi.co", "raw.githubusercontent.com"],
  streams: { pokemon: stream },
};
const local: CompileConnector = {
  name: "local",
  baseUrl: "http://127.0.0.1:8787/api",
  streams: { items: stream },
};
const all = [github, stripe, pokeapi, local];

function flag(args: string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

Deno.test("one connector's binary allows only its hosts and its secrets", () => {
  const args = compileArgs(github, all, { out: "dist" });
  assertEquals(flag(args, "--allow-net"), "api.github.com");
  assertEquals(
    flag(args, "--allow-env"),
    "AWS_*,CLICOLOR_FORCE,FORCE_COLOR,GITHUB_TOKEN,INLET_*,NO_COLOR",
  );
  assertEquals(args[0], "compile");
  assertEquals(args.at(-1), "core/cli/cli.ts");
  assertEquals(args[args.indexOf("--output") + 1], "dist/inlet-github");
  assert(args.includes("--allow-read") && args.includes("--allow-write"));
  assertEquals(args[args.indexOf("--include") + 1], "connectors/mod.ts");
  for (
    const wide of [
      "-A",
      "--allow-all",
      "--allow-net",
      "--allow-env",
      "--allow-run",
      "--allow-ffi",
    ]
  ) {
    assert(!args.includes(wide), `${wide} must not be granted`);
  }

  const stripeArgs = compileArgs(stripe, all);
  assertEquals(flag(stripeArgs, "--allow-net"), "api.stripe.com");
  assertEquals(
    flag(stripeArgs, "--allow-env"),
    "AWS_*,CLICOLOR_FORCE,FORCE_COLOR,INLET_*,NO_COLOR,STRIPE_API_KEY",
  );
  assert(!stripeArgs.some((a) => a.includes("GITHUB_TOKEN")));
});

Deno.test("the all-in-one binary allows the union, sorted and without duplicates", () => {
  const plan = compilePlan(undefined, [...all, { ...local, name: "local2" }], {
    out: "out/",
  });
  assertEquals(plan.name, "inlet");
  assertEquals(plan.output, "out/inlet");
  assertEquals(plan.hosts, [
    "127.0.0.1:8787",
    "api.github.com",
    "api.stripe.com",
    "pokeapi.co",
    "raw.githubusercontent.com",
  ]);
  assertEquals(plan.env, [
    "AWS_*",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "GITHUB_TOKEN",
    "INLET_*",
    "NO_COLOR",
    "STRIPE_API_KEY",
  ]);
  assertEquals(flag(plan.args, "--allow-net"), plan.hosts.join(","));
});

Deno.test("declared hosts replace the base URL's host; the base URL's port is kept", () => {
  assertEquals(compilePlan(pokeapi, all).hosts, [
    "pokeapi.co",
    "raw.githubusercontent.com",
  ]);
  assertEquals(compilePlan(local, all).hosts, ["127.0.0.1:8787"]);
});

Deno.test("the S3 endpoint, extra hosts and variables, includes, entry and target are honoured", () => {
  const plan = compilePlan(github, all, {
    s3Endpoint: "https://minio.internal:9000/",
    allowNet: ["proxy.internal"],
    allowEnv: ["NO_COLOR", "HTTPS_PROXY"],
    include: ["core/worker.ts", "connectors/mod.ts"],
    entry: "core/main.ts",
    target: "x86_64-pc-windows-msvc",
  });
  assertEquals(plan.hosts, [
    "api.github.com",
    "minio.internal:9000",
    "proxy.internal",
  ]);
  assertEquals(plan.env, [
    "AWS_*",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "GITHUB_TOKEN",
    "HTTPS_PROXY",
    "INLET_*",
    "NO_COLOR",
  ]);
  assertEquals(plan.output, "dist/inlet-github-x86_64-pc-windows-msvc.exe");
  assertEquals(plan.args.slice(-9), [
    "--include",
    "core/worker.ts",
    "--include",
    "connectors/mod.ts",
    "--target",
    "x86_64-pc-windows-msvc",
    "--output",
    "dist/inlet-github-x86_64-pc-windows-msvc.exe",
    "core/main.ts",
  ]);
});

Deno.test("a connector without hosts gets no --allow-net at all (an empty list would allow every host)", () => {
  const offline: CompileConnector = { ...local, name: "offline", hosts: [] };
  const args = compileArgs(offline, [offline]);
  assert(!args.some((a) => a.startsWith("--allow-net")));
});

Deno.test("bad input: unknown connector, unknown target, bad host, bad endpoint", () => {
  assertThrows(
    () => compileArgs({ ...local, name: "nope" }, all),
    (e: unknown) =>
      e instanceof ConfigError &&
      /known connectors: github, local, pokeapi, stripe/.test(e.message),
  );
  assertThrows(
    () => compileArgs(github, all, { target: "riscv64-linux" }),
    RangeError,
  );
  assertThrows(
    () =>
      compileArgs({ ...local, hosts: ["http://x/y"] }, [{
        ...local,
        hosts: ["http://x/y"],
      }]),
    ConfigError,
  );
  assertThrows(
    () => compileArgs(github, all, { s3Endpoint: "not a url" }),
    ConfigError,
  );
});

// What `deno compile` printed on a machine that cannot reach dl.deno.land
// (deno 2.9.6, colours on), verbatim.
const OFFLINE_STDERR = "\x1b[0m\x1b[32mCheck\x1b[0m hello.ts\n" +
  "\x1b[0m\x1b[32mCompile\x1b[0m hello.ts to hello\n" +
  "\x1b[0m\x1b[32mDownload\x1b[0m https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip\n" +
  "\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file '/tmp/hello_compile/hello.tmp-8e73b561df543d0d'\n" +
  "\n" +
  "Caused by:\n" +
  "    0: Setting up base binary.\n" +
  "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known\n" +
  "    2: client error (Connect)\n" +
  "    3: dns error\n" +
  "    4: failed to lookup address information: Name or service not known\n" +
  "\n" +
  "Stack backtrace:\n" +
  "   0: <unknown>\n";

Deno.test("diagnoseCompileFailure recognises the runtime download failure, and nothing else", () => {
  const m = diagnoseCompileFailure(OFFLINE_STDERR);
  assertEquals(m, {
    url:
      "https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
    host: "dl.deno.land",
    version: "2.9.6",
    target: "x86_64-unknown-linux-gnu",
    reason:
      "client error (Connect): dns error: failed to lookup address information: Name or service not known",
  });
  const local = diagnoseCompileFailure(
    "error: Writing deno compile executable to temporary file 'x'\n\nCaused by:\n    0: Could not find denort at '/opt/denort'\n    1: No such file or directory (os error 2)\n",
  );
  assert(local?.reason.includes("/opt/denort"));
  // A download that did happen, then an unrelated failure, is not a missing runtime.
  assertEquals(
    diagnoseCompileFailure(
      "Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip\nerror: Permission denied (os error 13) writing 'dist/inlet'\n",
    ),
    undefined,
  );
  assertEquals(
    diagnoseCompileFailure(
      "TS2307 [ERROR]: Cannot find module 'x'.\nerror: Type checking failed.",
    ),
    undefined,
  );
});

function fakeIo(results: Record<string, { code: number; stderr?: string }>) {
  const calls: string[][] = [];
  let out = "";
  let err = "";
  const io: CompileIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: (n) => (n === "INLET_S3_ENDPOINT" ? "http://s3.test:9000" : undefined),
    deno: (args) => {
      calls.push(args);
      const r = results[args[0]!] ?? { code: 0 };
      return Promise.resolve({
        code: r.code,
        stdout: "",
        stderr: r.stderr ?? "",
      });
    },
  };
  return { io, calls, out: () => out, err: () => err };
}

Deno.test("runCompile: prints the permissions, checks the graph, then fails clearly without the runtime", async () => {
  const f = fakeIo({ compile: { code: 1, stderr: OFFLINE_STDERR } });
  const code = await runCompile(
    ["--connector", "github", "--out", "bin"],
    all,
    f.io,
  );
  assertEquals(code, 1);
  assertEquals(f.calls.map((c) => c[0]), ["check", "compile"]);
  assertEquals(f.calls[0], ["check", "core/cli/cli.ts"]);
  assert(
    f.out().includes(
      "bin/inlet-github\n  --allow-net=api.github.com,s3.test:9000\n  --allow-env=AWS_*,CLICOLOR_FORCE,FORCE_COLOR,GITHUB_TOKEN,INLET_*,NO_COLOR\n",
    ),
  );
  assert(
    f.out().includes("checked: type check and module graph of core/cli/cli.ts"),
  );
  assert(f.err().includes("denort 2.9.6 for x86_64-unknown-linux-gnu"));
  assert(
    f.err().includes(
      "the runtime cannot be fetched from https://dl.deno.land/",
    ),
  );
  assert(f.err().includes("DENORT_BIN"));
});

Deno.test("runCompile: a failed type check builds nothing; --each builds every binary", async () => {
  const broken = fakeIo({
    check: { code: 1, stderr: "TS2307 [ERROR]: Cannot find module\n" },
  });
  assertEquals(await runCompile([], all, broken.io), 1);
  assertEquals(broken.calls.length, 1);
  assert(broken.err().includes("TS2307"));

  const ok = fakeIo({});
  assertEquals(
    await runCompile(
      ["--each", "--target", "aarch64-apple-darwin"],
      all,
      ok.io,
    ),
    0,
  );
  assertEquals(
    ok.calls.filter((c) => c[0] === "compile").map((c) =>
      c[c.indexOf("--output") + 1]
    ),
    [
      "dist/inlet-aarch64-apple-darwin",
      "dist/inlet-github-aarch64-apple-darwin",
      "dist/inlet-stripe-aarch64-apple-darwin",
      "dist/inlet-pokeapi-aarch64-apple-darwin",
      "dist/inlet-local-aarch64-apple-darwin",
    ],
  );

  const other = fakeIo({ compile: { code: 1, stderr: "error: disk full\n" } });
  assertEquals(await runCompile([], all, other.io), 1);
  assert(
    other.err().includes("disk full") &&
      other.err().includes("deno compile failed"),
  );
});

Deno.test("runCompile: bad usage exits 2 and runs nothing", async () => {
  for (
    const args of [
      ["--bogus"],
      ["--connector", "nope"],
      ["--target", "mips"],
      ["--each", "--connector", "github"],
      ["positional"],
    ]
  ) {
    const f = fakeIo({});
    assertEquals(await runCompile(args, all, f.io), 2, args.join(" "));
    assertEquals(f.calls.length, 0);
  }
  const help = fakeIo({});
  assertEquals(await runCompile(["--help"], all, help.io), 0);
  assert(help.out().includes("--connector <name>"));
});

Deno.test("deno compile on this machine: a working binary, or the missing runtime named", async () => {
  await withTempDir("inlet_compile_", async (dir) => {
    const entry = `${dir}/hello.ts`;
    await Deno.writeTextFile(entry, 'console.log("hello from inlet");\n');
    let out = "";
    let err = "";
    // The real `deno`, bounded in time: a download that hangs fails the test.
    const io: CompileIo = {
      ...denoCompileIo(),
      out: (t) => void (out += t),
      err: (t) => void (err += t),
      deno: (args) =>
        runDeno(args, { env: { NO_COLOR: "1" }, timeoutMs: 180_000 }),
    };
    const code = await runCompile(
      ["--entry", entry, "--out", dir, "--connector", "local"],
      all,
      io,
    );
    assert(
      out.includes(`checked: type check and module graph of ${entry}`),
      out + err,
    );
    if (code === 0) {
      const bin = `${dir}/inlet-local${
        Deno.build.os === "windows" ? ".exe" : ""
      }`;
      const run = await new Deno.Command(bin, { stdout: "piped" }).output();
      assertEquals(new TextDecoder().decode(run.stdout), "hello from inlet\n");
    } else {
      assertEquals(code, 1, err);
      assert(err.includes("the runtime cannot be fetched"), err);
      assert(/denort \d+\.\d+\.\d+ for [\w-]+/.test(err), err);
    }
  });
});
