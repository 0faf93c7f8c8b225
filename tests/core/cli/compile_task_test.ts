// `deno task compile` on the real CLI, and the permissions it bakes in: a
// binary runs with exactly its plan's --allow-* flags, so running the CLI
// under those flags shows what the binary can and cannot do.
import assert from "node:assert/strict";
import connectors from "../../../connectors/mod.ts";
import { compilePlan } from "../../../core/cli/compile.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { startS3Server } from "../../../core/testing/s3_server.ts";
import { type CliRun, ROOT, runDeno, runTask } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

/** Run the CLI as a binary of `plan` would: its --allow-* flags, never prompting. */
function asBinary(
  plan: { args: string[] },
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const allow = plan.args.filter((a) => a.startsWith("--allow-"));
  return runDeno(
    ["run", "--no-prompt", ...allow, `${ROOT}/core/cli/cli.ts`, ...args],
    // A clean environment, as on a server: only what the test names.
    { clearEnv: true, env: { PATH: Deno.env.get("PATH") ?? "", ...env } },
  );
}

Deno.test("compile task: the real CLI is checked, every permission list printed, then a binary or the missing runtime named", async () => {
  await withTempDir("inlet-compile-task-", async (dir) => {
    const res = await runTask(
      ["compile", "--each", "--out", dir],
      { INLET_S3_ENDPOINT: "https://s3.example.com" },
      300_000,
    );
    const dec = new TextDecoder();
    const out = res.stdout, err = res.stderr;
    for (
      const name of [
        "inlet",
        ...connectors.map((c) => `inlet-${c.name}`),
      ]
    ) {
      const plan = compilePlan(
        connectors.find((c) => `inlet-${c.name}` === name),
        connectors,
        { out: dir, s3Endpoint: "https://s3.example.com" },
      );
      assert.ok(
        out.includes(
          `${plan.output}\n  --allow-net=${
            plan.hosts.join(",")
          }\n  --allow-env=${plan.env.join(",")}\n`,
        ),
        `${name}'s permissions are not printed:\n${out}`,
      );
      assert.ok(plan.hosts.includes("s3.example.com"));
    }
    assert.match(
      out,
      /^checked: type check and module graph of core\/cli\/cli\.ts$/m,
    );
    if (res.code === 0) {
      const bin = `${dir}/inlet${Deno.build.os === "windows" ? ".exe" : ""}`;
      const list = await new Deno.Command(bin, {
        args: ["list"],
        stdout: "piped",
      }).output();
      assert.equal(list.code, 0);
      assert.match(dec.decode(list.stdout), /^hackernews /m);
    } else {
      // This machine cannot reach dl.deno.land: the message says so.
      assert.equal(res.code, 1, err);
      assert.match(
        err,
        /^error: Cannot build the binary: deno compile needs its runtime, denort \d+\.\d+\.\d+ for [\w-]+, and the runtime cannot be fetched from https:\/\/\S+denort-[\w-]+\.zip/m,
      );
      assert.match(
        err,
        /set DENORT_BIN to a local denort of the same version/,
      );
    }
  });
});

Deno.test("compile task: the baked permissions run list, help and a pull into a folder and into S3", async () => {
  await using api = await startApiServer({ records: 300 });
  await using s3 = await startS3Server();
  s3.bucket("lake");
  const plan = compilePlan(undefined, connectors, { s3Endpoint: s3.url });
  for (const args of [["list"], ["pull", "--help"], ["state", "--help"]]) {
    const r = await asBinary(plan, args, { NO_COLOR: "1" });
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  await withTempDir("inlet-compile-lake-", async (lake) => {
    const base = ["pull", "demo", "--no-sandbox", "--base-url", api.url];
    const local = await asBinary(plan, [...base, "--lake", lake]);
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stderr, /: ok, 300 records/);
    const remote = await asBinary(
      plan,
      [...base, "--lake", "s3://lake/bin"],
      s3.env,
    );
    assert.equal(remote.code, 0, remote.stderr);
    assert.ok(
      s3.keys("lake").some((k) =>
        /^bin\/demo\/items\/data\/.+\.parquet$/.test(k)
      ),
    );
  });
});

Deno.test("compile task: a one-connector binary cannot reach another host, nor read another secret", async () => {
  await using api = await startApiServer({ records: 10 });
  const hn = connectors.find((c) => c.name === "hackernews")!;
  const plan = compilePlan(hn, connectors);
  assert.deepEqual(plan.hosts, ["hacker-news.firebaseio.com"]);
  await withTempDir("inlet-compile-narrow-", async (lake) => {
    const r = await asBinary(plan, [
      "pull",
      "hackernews",
      "--no-sandbox",
      "--base-url",
      `${api.url}/v0`,
      "--lake",
      lake,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Requires net access to "127\.0\.0\.1:\d+"/);
    assert.equal(api.stats.requests, 0);
    // Its secrets list has no STRIPE_API_KEY: a stripe pull cannot read it.
    const stripe = await asBinary(
      plan,
      ["pull", "stripe", "--no-sandbox", "--lake", lake],
      { STRIPE_API_KEY: "sk_test_compile0123" },
    );
    assert.notEqual(stripe.code, 0);
    assert.match(stripe.stderr, /Requires env access to "STRIPE_API_KEY"/);
  });
});
