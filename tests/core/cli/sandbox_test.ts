import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import github from "../../../connectors/github.ts";
import stripe from "../../../connectors/stripe.ts";
import { defineConnector } from "../../../core/connector/connector.ts";
import { linkHeaderPaginator } from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { runSandboxed, sandboxArgs } from "../../../core/cli/sandbox.ts";
import { startGitHubServer } from "../../../core/testing/github_server.ts";
import { readStream } from "../../../core/testing/kit.ts";
import { startStripeServer } from "../../../core/testing/stripe_server.ts";
import { ROOT } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";
import { probeConnector } from "./_sandbox_probe.ts";

const probe = new URL("./_sandbox_probe.ts", import.meta.url).pathname;
const roomy = { authenticated: 1_000_000, anonymous: 1_000_000 };
const dec = new TextDecoder();

async function runProbe(
  lake: string,
  baseUrl: string,
  declared: { hosts: string[]; secrets?: string[] },
  extra: string[] = [],
  childEnv?: Record<string, string>,
) {
  let out = "";
  const code = await runSandboxed("probe", [
    "--base-url",
    baseUrl,
    "--lake",
    lake,
    ...extra,
  ], {
    connector: probeConnector(declared),
    lake,
    root: ROOT,
    baseUrl,
    entry: probe,
    stdout: (c) => out += dec.decode(c),
    stderr: (c) => out += dec.decode(c),
    ...(childEnv ? { childEnv } : {}),
  });
  return { code, out };
}

Deno.test("sandbox: a connector that reaches an undeclared host fails with a permission error", async () => {
  // Server A's Link header sends the client on to server B, another port.
  await using b = startGitHubServer({
    repos: { "octo/hello": { issues: 120 } },
    rateLimit: roomy,
  });
  await using a = startGitHubServer({
    repos: { "octo/hello": { issues: 120 } },
    rateLimit: roomy,
    linkBaseUrl: b.url,
  });
  await withTempDir("inlet-sandbox-", async (lake) => {
    const denied = await runProbe(lake, a.url, {
      hosts: [`127.0.0.1:${a.port}`],
    });
    assert.equal(denied.code, 1, denied.out);
    assert.match(
      denied.out,
      // The probe prints its summary as JSON, so the quotes come escaped.
      new RegExp(
        `Requires net access to \\\\?"127\\.0\\.0\\.1:${b.port}\\\\?"`,
      ),
    );
    assert.equal(
      a.requests.length,
      1,
      "the first page came from the declared host",
    );
    assert.equal(b.requests.length, 0, "nothing reached the undeclared host");
  });
  // The control: the same pull allowed every port of the host lands everything,
  // so the failure above is the sandbox's doing and nothing else.
  await withTempDir("inlet-sandbox-", async (lake) => {
    const allowed = await runProbe(lake, a.url, { hosts: ["127.0.0.1"] });
    assert.equal(allowed.code, 0, allowed.out);
    assert.match(allowed.out, /"status":"ok","records":120/);
    assert.ok(b.requests.length > 0);
  });
});

Deno.test("sandbox: the github connector, sent to another host by a Link header, is stopped", async () => {
  await using b = startGitHubServer({
    repos: { "octo/hello": { issues: 120 } },
    rateLimit: roomy,
  });
  await using a = startGitHubServer({
    repos: { "octo/hello": { issues: 120 } },
    rateLimit: roomy,
    linkBaseUrl: b.url,
  });
  await withTempDir("inlet-sandbox-", async (lake) => {
    let out = "";
    const args = [
      "--repo",
      "octo/hello",
      "--stream",
      "issues",
      "--base-url",
      a.url,
      "--lake",
      lake,
    ];
    const code = await runSandboxed("github", args, {
      connector: github,
      lake,
      root: ROOT,
      baseUrl: a.url,
      childEnv: { NO_COLOR: "1" },
      stdout: (c) => out += dec.decode(c),
      stderr: (c) => out += dec.decode(c),
    });
    assert.equal(code, 1, out);
    assert.match(
      out,
      // The probe prints its summary as JSON, so the quotes come escaped.
      new RegExp(
        `Requires net access to \\\\?"127\\.0\\.0\\.1:${b.port}\\\\?"`,
      ),
    );
    assert.equal(b.requests.length, 0);
  });
});

Deno.test("sandbox: reading an undeclared environment variable fails with a permission error", async () => {
  await using gh = startGitHubServer({
    repos: { "octo/hello": { issues: 7 } },
    rateLimit: roomy,
  });
  const env = { PROBE_SECRET: "probe-value-123" };
  await withTempDir("inlet-sandbox-", async (lake) => {
    const denied = await runProbe(
      lake,
      gh.url,
      { hosts: [`127.0.0.1:${gh.port}`] },
      ["--env-var", "PROBE_SECRET"],
      env,
    );
    assert.equal(denied.code, 1, denied.out);
    assert.match(
      denied.out,
      /NotCapable: Requires env access to "PROBE_SECRET"/,
    );
    assert.equal(gh.requests.length, 0);
  });
  await withTempDir("inlet-sandbox-", async (lake) => {
    const declared = {
      hosts: [`127.0.0.1:${gh.port}`],
      secrets: ["PROBE_SECRET"],
    };
    const allowed = await runProbe(lake, gh.url, declared, [
      "--env-var",
      "PROBE_SECRET",
    ], env);
    assert.equal(allowed.code, 0, allowed.out);
    assert.equal(gh.requests[0]?.headers.get("x-probe"), "probe-value-123");
  });
});

Deno.test("sandbox: the flags are the connector's declarations, and an S3 lake adds only its own", () => {
  const flags = sandboxArgs(stripe, {
    lake: "lake",
    root: "/srv/inlet",
    cwd: "/home/me",
    baseUrl: "http://127.0.0.1:4242/v1",
    read: ["specs/my.json"],
  });
  assert.deepEqual(flags, [
    "--no-prompt",
    "--allow-net=127.0.0.1:4242,api.stripe.com",
    "--allow-env=CLICOLOR_FORCE,FORCE_COLOR,INLET_*,NO_COLOR,STRIPE_API_KEY",
    "--allow-read=/home/me/lake,/home/me/specs/my.json,/srv/inlet",
    "--allow-write=/home/me/lake",
  ]);
  const s3 = sandboxArgs(stripe, {
    lake: "s3://bucket/prefix",
    root: "/srv/inlet",
    env: (n) =>
      n === "INLET_S3_ENDPOINT"
        ? "https://s3.eu-west-1.amazonaws.com"
        : undefined,
  });
  assert.deepEqual(s3, [
    "--no-prompt",
    "--allow-net=api.stripe.com,s3.eu-west-1.amazonaws.com",
    "--allow-env=AWS_ACCESS_KEY_ID,AWS_DEFAULT_REGION,AWS_REGION,AWS_SECRET_ACCESS_KEY,AWS_SESSION_TOKEN,CLICOLOR_FORCE,FORCE_COLOR,INLET_*,INLET_S3_ENDPOINT,NO_COLOR,STRIPE_API_KEY",
    "--allow-read=/srv/inlet",
  ]);
});

/** Every file under `dir` as text a secret could hide in: raw bytes, gunzipped, and Parquet rows. */
async function lakeTexts(dir: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) {
        const bytes = await Deno.readFile(p);
        texts.set(p, dec.decode(bytes));
        if (p.endsWith(".gz")) {
          texts.set(`${p} (gunzipped)`, dec.decode(gunzipSync(bytes)));
        }
      }
    }
  };
  await walk(dir);
  for (const connector of await Array.fromAsync(Deno.readDir(dir))) {
    if (!connector.isDirectory) continue;
    for (
      const stream of await Array.fromAsync(
        Deno.readDir(`${dir}/${connector.name}`),
      )
    ) {
      if (!stream.isDirectory || stream.name.startsWith("_")) continue;
      const { rows } = await readStream(dir, connector.name, stream.name);
      texts.set(
        `${connector.name}/${stream.name} (rows)`,
        JSON.stringify(rows, (_, v) => typeof v === "bigint" ? String(v) : v),
      );
    }
  }
  return texts;
}

function assertNowhere(secret: string, texts: Map<string, string>): void {
  assert.ok(texts.size > 0);
  for (const [where, text] of texts) {
    assert.ok(!text.includes(secret), `the secret appears in ${where}`);
  }
}

Deno.test("sandbox: a sandboxed stripe pull with a failing request writes its key nowhere", async () => {
  const key = `sk_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await using s = startStripeServer({
    charges: 300,
    customers: 40,
    apiKey: key,
    faults: [{ path: "/v1/charges", status: 500, times: 1 }, {
      path: "/v1/customers",
      status: 400,
    }],
  });
  await withTempDir("inlet-sandbox-", async (lake) => {
    let stdout = "", stderr = "";
    const code = await runSandboxed("stripe", [
      "--lake",
      lake,
      "--base-url",
      s.baseUrl,
      "--concurrency",
      "4",
    ], {
      connector: stripe,
      lake,
      root: ROOT,
      baseUrl: s.baseUrl,
      childEnv: { STRIPE_API_KEY: key, NO_COLOR: "1" },
      stdout: (c) => stdout += dec.decode(c),
      stderr: (c) => stderr += dec.decode(c),
    });
    // The run really used the key, and really failed on customers.
    assert.ok(
      s.requests.some((r) =>
        r.headers.get("authorization") === `Bearer ${key}`
      ),
    );
    assert.equal(code, 1, stderr);
    assert.match(stderr, /"stripe\/customers".*status 400/);
    assert.equal(
      (await readStream(lake, "stripe", "charges")).rows.length,
      300,
    );
    const texts = await lakeTexts(lake);
    assert.ok(
      [...texts.keys()].some((p) => p.includes("/_runs/")),
      "a run summary was written",
    );
    texts.set("stdout", stdout);
    texts.set("stderr", stderr);
    assertNowhere(key, texts);
    assertNowhere(key.slice("sk_test_".length), texts);
  });
});

Deno.test("sandbox: a key sent in the query string is redacted from errors, summaries and the lake", async () => {
  const key = crypto.randomUUID();
  // Page 1 lands; page 2 answers 400 and echoes the URL it was asked, key included.
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (req) => {
    const url = new URL(req.url);
    if (url.searchParams.get("page") === "2") {
      return Response.json({ error: `bad request: ${req.url}` }, {
        status: 400,
      });
    }
    const next = new URL(url);
    next.searchParams.set("page", "2");
    return Response.json([{ id: 1, echo: "ok" }], {
      headers: { link: `<${next.href}>; rel="next"` },
    });
  });
  const echo = defineConnector({
    name: "echo",
    baseUrl: `http://127.0.0.1:${server.addr.port}`,
    auth: { type: "query", name: "api_key", env: "ECHO_KEY" },
    streams: {
      things: {
        path: "/things",
        primaryKey: "id",
        paginator: linkHeaderPaginator(),
      },
    },
  });
  await withTempDir("inlet-sandbox-", async (lake) => {
    const events: unknown[] = [];
    const summary = await pull(echo, {
      lake,
      env: (n) => n === "ECHO_KEY" ? key : undefined,
      onEvent: (e) => events.push(e),
    });
    assert.equal(summary.status, "failed");
    assert.match(summary.errors[0]!, /status 400/);
    assert.match(
      summary.errors[0]!,
      /api_key=/,
      "the URL is in the error, with its key hidden",
    );
    const texts = await lakeTexts(lake);
    texts.set("summary", JSON.stringify(summary));
    texts.set("events", JSON.stringify(events));
    assertNowhere(key, texts);
  });
});
