/**
 * `deno task compile [--connector <name> | --each] [--target <triple>] [--out dir]
 * [--s3-endpoint url]`: single binaries of the CLI with each connector's
 * sandbox baked in as Deno permissions (`--allow-net` = its hosts,
 * `--allow-env` = its secrets plus `INLET_*`, `AWS_*` and the colour switches).
 *
 * `deno compile` needs its runtime (`denort`), which it downloads from
 * dl.deno.land for the target. Where that host cannot be reached the task
 * still type-checks the module graph and prints the permission lists, then
 * fails with a message naming the runtime it could not fetch.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ConfigError } from "../connector/errors.ts";
import { ENGINE_ENV } from "./sandbox.ts";
import { VERSION } from "./version.ts";
import type { ConnectorDef } from "../connector/types.ts";

/**
 * The targets `deno compile --target` accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TARGETS } from "./compile.ts";
 * assert(TARGETS.includes("aarch64-apple-darwin"));
 * ```
 */
export const TARGETS: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/**
 * Environment variable patterns every binary may read: what the sandboxed
 * engine reads (its own settings, and the colour switches the option parser
 * checks before printing help or an error) and the S3 lake's credentials.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BASE_ENV } from "./compile.ts";
 * assert(BASE_ENV.includes("AWS_*") && BASE_ENV.includes("NO_COLOR"));
 * ```
 */
export const BASE_ENV: readonly string[] = [...ENGINE_ENV, "AWS_*"];

/**
 * A connector as the planner sees it: a definition, or a checked
 * `Connector` whose `secrets` are already listed.
 *
 * @example
 * ```ts
 * import type { CompileConnector } from "./compile.ts";
 * const c: CompileConnector = {
 *   name: "shop", baseUrl: "https://shop.example.com", secrets: ["SHOP_TOKEN"], streams: {},
 * };
 * ```
 */
export type CompileConnector = ConnectorDef & {
  readonly secrets?: readonly string[];
};

// The registry is imported lazily by the CLI, and the Parquet encoder is a
// worker: the static graph reaches neither.
const DEFAULT_INCLUDE = ["connectors/mod.ts", "core/lake/_parquet_worker.ts"];

/**
 * How to build.
 *
 * @example
 * ```ts
 * import type { CompileOptions } from "./compile.ts";
 * const opts: CompileOptions = { out: "dist", target: "aarch64-apple-darwin" };
 * ```
 */
export interface CompileOptions {
  /** The folder for the binaries. @default "dist" */
  out?: string;
  /** A target triple from {@linkcode TARGETS}, also appended to the file name. @default the host's */
  target?: string;
  /**
   * The S3 endpoint of the lake; its host joins `--allow-net`. Without it a
   * binary can only write a local lake, since the endpoint cannot be
   * allowed after compiling.
   * @default none
   */
  s3Endpoint?: string;
  /** Hosts allowed besides the connectors'. @default [] */
  allowNet?: readonly string[];
  /** Variables allowed besides the secrets and {@linkcode BASE_ENV}. @default [] */
  allowEnv?: readonly string[];
  /**
   * Modules to embed that the static graph may miss (the registry is
   * imported lazily by the CLI; the Parquet encoder runs as a worker).
   * @default ["connectors/mod.ts", "core/lake/_parquet_worker.ts"]
   */
  include?: readonly string[];
  /** The program. @default "core/cli/cli.ts" */
  entry?: string;
}

/**
 * One binary to build.
 *
 * @example
 * ```ts
 * import type { CompilePlan } from "./compile.ts";
 * const plan: CompilePlan = {
 *   name: "inlet-hn", output: "dist/inlet-hn", hosts: ["hacker-news.firebaseio.com"],
 *   env: ["AWS_*", "INLET_*"], args: ["compile", "--output", "dist/inlet-hn", "core/cli/cli.ts"],
 * };
 * ```
 */
export interface CompilePlan {
  /** `inlet` or `inlet-<connector>`. */
  name: string;
  /** The file `deno compile` writes. */
  output: string;
  /** What `--allow-net` lists, sorted. */
  hosts: string[];
  /** What `--allow-env` lists, sorted. */
  env: string[];
  /** The `deno` argv, starting with `compile`. */
  args: string[];
}

/**
 * The hosts a connector may reach: declared, or the host of its base URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorHosts } from "./compile.ts";
 * const hosts = connectorHosts({ name: "x", baseUrl: "https://api.x.com:8443/v1", streams: {} });
 * assert(hosts[0] === "api.x.com:8443");
 * ```
 */
export function connectorHosts(c: CompileConnector): string[] {
  if (c.hosts !== undefined) return [...c.hosts];
  try {
    return [new URL(c.baseUrl).host];
  } catch (cause) {
    throw new ConfigError(
      `connector "${c.name}": baseUrl ${
        JSON.stringify(c.baseUrl)
      } is not a URL`,
      {
        cause,
      },
    );
  }
}

/**
 * The environment variables holding a connector's secrets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorSecrets } from "./compile.ts";
 * const env = connectorSecrets({
 *   name: "gh",
 *   baseUrl: "https://api.github.com",
 *   auth: { type: "bearer", env: "GITHUB_TOKEN", optional: true },
 *   streams: {},
 * });
 * assert(env[0] === "GITHUB_TOKEN");
 * ```
 */
export function connectorSecrets(c: CompileConnector): string[] {
  if (c.secrets !== undefined) return [...c.secrets];
  return c.auth === undefined || c.auth.type === "none" ? [] : [c.auth.env];
}

/**
 * Plan one binary: every connector (`connector` undefined) or one, with the
 * union of their hosts and secrets as its permissions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compilePlan } from "./compile.ts";
 * const hn = { name: "hn", baseUrl: "https://hacker-news.firebaseio.com/v0", streams: {} };
 * const plan = compilePlan(hn, [hn], { out: "dist", target: "x86_64-unknown-linux-gnu" });
 * assert(plan.output === "dist/inlet-hn-x86_64-unknown-linux-gnu");
 * assert(plan.hosts.join() === "hacker-news.firebaseio.com");
 * ```
 */
export function compilePlan(
  connector: CompileConnector | undefined,
  connectors: readonly CompileConnector[],
  opts: CompileOptions = {},
): CompilePlan {
  if (
    connector !== undefined &&
    !connectors.some((c) => c.name === connector.name)
  ) {
    throw unknownConnector(connector.name, connectors);
  }
  const target = opts.target;
  if (target !== undefined && !TARGETS.includes(target)) {
    throw new RangeError(
      `--target must be one of ${TARGETS.join(", ")}; got ${
        JSON.stringify(target)
      }`,
    );
  }
  const chosen = connector === undefined ? connectors : [connector];
  const hosts = new Set<string>(opts.allowNet ?? []);
  for (const c of chosen) for (const h of connectorHosts(c)) hosts.add(h);
  if (opts.s3Endpoint !== undefined) hosts.add(endpointHost(opts.s3Endpoint));
  for (const h of hosts) {
    if (h === "" || /[/\s,@]/.test(h)) {
      throw new ConfigError(
        `cannot allow host ${JSON.stringify(h)}: use "host" or "host:port"`,
      );
    }
  }
  const env = new Set<string>([...BASE_ENV, ...(opts.allowEnv ?? [])]);
  for (const c of chosen) for (const v of connectorSecrets(c)) env.add(v);
  const name = connector === undefined ? "inlet" : `inlet-${connector.name}`;
  const windows = (target ?? Deno.build.target).includes("windows");
  const output = `${(opts.out ?? "dist").replace(/\/+$/, "")}/${name}${
    target ? `-${target}` : ""
  }${windows ? ".exe" : ""}`;
  const sortedHosts = [...hosts].sort();
  const sortedEnv = [...env].sort();
  const args = [
    "compile",
    // An empty --allow-net= would allow every host: leave the flag out instead.
    ...(sortedHosts.length > 0 ? [`--allow-net=${sortedHosts.join(",")}`] : []),
    `--allow-env=${sortedEnv.join(",")}`,
    // The lake's folder is only known at run time.
    "--allow-read",
    "--allow-write",
    ...(opts.include ?? DEFAULT_INCLUDE).flatMap((m) => ["--include", m]),
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    opts.entry ?? "core/cli/cli.ts",
  ];
  return { name, output, hosts: sortedHosts, env: sortedEnv, args };
}

/**
 * The `deno compile` argv for one binary; see {@linkcode compilePlan}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileArgs } from "./compile.ts";
 * const gh = {
 *   name: "github",
 *   baseUrl: "https://api.github.com",
 *   auth: { type: "bearer" as const, env: "GITHUB_TOKEN" },
 *   streams: {},
 * };
 * const args = compileArgs(gh, [gh], { out: "dist" });
 * assert(args.includes("--allow-net=api.github.com"));
 * assert(args.includes(
 *   "--allow-env=AWS_*,CLICOLOR_FORCE,FORCE_COLOR,GITHUB_TOKEN,INLET_*,NO_COLOR",
 * ));
 * assert(args.at(-1) === "core/cli/cli.ts");
 * ```
 */
export function compileArgs(
  connector: CompileConnector | undefined,
  connectors: readonly CompileConnector[],
  opts: CompileOptions = {},
): string[] {
  return compilePlan(connector, connectors, opts).args;
}

function unknownConnector(
  name: string,
  connectors: readonly CompileConnector[],
): ConfigError {
  return new ConfigError(
    `unknown connector "${name}"; known connectors: ${
      connectors.map((c) => c.name).sort().join(", ") || "(none)"
    }`,
  );
}

function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch (cause) {
    throw new ConfigError(`the S3 endpoint is not a URL`, { cause });
  }
}

/**
 * What `deno compile` could not fetch.
 *
 * @example
 * ```ts
 * import type { MissingRuntime } from "./compile.ts";
 * const m: MissingRuntime = {
 *   url: undefined, host: undefined, version: undefined, target: undefined,
 *   reason: "DENORT_BIN points at /opt/denort, which does not exist",
 * };
 * ```
 */
export interface MissingRuntime {
  /** Where the runtime comes from, e.g. `https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip`. */
  url: string | undefined;
  /** That URL's host. */
  host: string | undefined;
  /** The Deno version of the runtime. */
  version: string | undefined;
  /** The runtime's target triple. */
  target: string | undefined;
  /** The innermost cause `deno compile` gave (DNS failure, refused, 404...). */
  reason: string;
}

/**
 * Recognise the failure of `deno compile` to get its runtime, from its
 * stderr; `undefined` for any other failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diagnoseCompileFailure } from "./compile.ts";
 * const m = diagnoseCompileFailure(`error: Writing deno compile executable to temporary file 'x'
 *
 * Caused by:
 *     0: Setting up base binary.
 *     1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect)
 *     2: dns error
 * `);
 * assert(m?.host === "dl.deno.land" && m.version === "2.9.6");
 * assert(m?.reason === "client error (Connect)");
 * assert(diagnoseCompileFailure("error: Module not found") === undefined);
 * ```
 */
export function diagnoseCompileFailure(
  stderr: string,
): MissingRuntime | undefined {
  // deno colours its output unless NO_COLOR is set; match on plain text.
  // deno-lint-ignore no-control-regex
  const text = stderr.replace(/\x1b\[[0-9;]*m/g, "");
  const local = /Could not find denort at '([^']*)'/.exec(text);
  const baseBinary = /Setting up base binary/.test(text);
  const url = /https?:\/\/[^\s()'"]*\/denort-[^\s()'"]+?\.zip/.exec(text)?.[0];
  const requestFailed = url !== undefined &&
    new RegExp(
      `(error sending request|failed|status|timed out)[^\\n]*${
        escapeRegExp(url)
      }|${escapeRegExp(url)}[^\\n]*(error|failed|status|not found)`,
      "i",
    ).test(text);
  if (!local && !(url && (baseBinary || requestFailed))) return undefined;
  // Only the "Caused by:" chain: a backtrace below it numbers its frames too.
  const chain = text.split(/^Stack backtrace:/m)[0]!;
  const causes = [...chain.matchAll(/^\s*\d+: (.+)$/gm)].map((m) =>
    m[1]!.trim()
  );
  // The line naming the URL says most: "client error (Connect): dns error: ...".
  const afterUrl = url
    ? new RegExp(`${escapeRegExp(url)}\\):\\s*(.+)`).exec(chain)?.[1]
    : undefined;
  const reason = local
    ? `DENORT_BIN points at ${local[1]}, which does not exist`
    : afterUrl?.trim() ?? causes.at(-1) ?? /error: (.+)/.exec(chain)?.[1] ??
      "unknown error";
  const parts = url
    ? /\/v?(\d+\.\d+\.\d+[^/]*)\/denort-([^/]+)\.zip$/.exec(url)
    : null;
  return {
    url,
    host: url ? new URL(url).host : undefined,
    version: parts?.[1],
    target: parts?.[2],
    reason,
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The message for a runtime `deno compile` could not fetch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { missingRuntimeMessage } from "./compile.ts";
 * const text = missingRuntimeMessage({
 *   url: "https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
 *   host: "dl.deno.land", version: "2.9.6", target: "x86_64-unknown-linux-gnu", reason: "dns error",
 * });
 * assert(text.includes("cannot be fetched") && text.includes("DENORT_BIN"));
 * ```
 */
export function missingRuntimeMessage(
  m: MissingRuntime,
  entry = "core/cli/cli.ts",
): string {
  const what = `denort${m.version ? ` ${m.version}` : ""}${
    m.target ? ` for ${m.target}` : ""
  }`;
  return [
    `Cannot build the binary: deno compile needs its runtime, ${what}, and the runtime cannot be fetched${
      m.url ? ` from ${m.url}` : ""
    } (${m.reason}).`,
    `Checked before that step: the type check and module graph of ${entry}, and the permission lists above.`,
    `To build: run where ${
      m.host ?? "dl.deno.land"
    } is reachable (as on GitHub's runners), or set DENORT_BIN to a local denort of the same version.`,
  ].join("\n");
}

/**
 * What {@linkcode runCompile} does to the outside world (injected in tests).
 *
 * @example
 * ```ts
 * import type { CompileIo } from "./compile.ts";
 * const quiet: CompileIo = {
 *   out: () => {},
 *   err: () => {},
 *   env: () => undefined,
 *   deno: () => Promise.resolve({ code: 0, stdout: "", stderr: "" }),
 * };
 * ```
 */
export interface CompileIo {
  /** Standard output. */
  out(text: string): void;
  /** Standard error. */
  err(text: string): void;
  /** Run `deno` with `args`; resolves with its exit code and output. */
  deno(
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Read an environment variable. */
  env(name: string): string | undefined;
}

const USAGE = `Usage: deno task compile [options]

Build single binaries of inlet with each connector's permissions baked in.

Options:
  --connector <name>    only this connector (binary inlet-<name>); default: all in one binary (inlet)
  --each                the all-in-one binary and one per connector
  --target <triple>     one of ${TARGETS.join(", ")}
  --out <dir>           where binaries go (default: dist)
  --s3-endpoint <url>   the S3 lake's endpoint to allow (default: $INLET_S3_ENDPOINT)
  --entry <file>        the program to compile (default: core/cli/cli.ts)
  -h, --help            show this help
`;

/**
 * The `compile` task: parse `args`, check the module graph, print the
 * permissions, run `deno compile`. Resolves the exit code: 0 built, 1
 * failed (runtime missing, type errors), 2 bad usage. `connectors` may be
 * a function, called only past `--help` and `--version`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCompile } from "./compile.ts";
 * let printed = "";
 * const code = await runCompile(["--target", "x86_64-unknown-linux-gnu"], [
 *   { name: "hn", baseUrl: "https://hacker-news.firebaseio.com", streams: {} },
 * ], {
 *   out: (t) => printed += t,
 *   err: (t) => printed += t,
 *   env: () => undefined,
 *   deno: (args) =>
 *     Promise.resolve(
 *       args[0] === "check"
 *         ? { code: 0, stdout: "", stderr: "" }
 *         : {
 *           code: 1,
 *           stdout: "",
 *           stderr: "error: x\nCaused by:\n    0: Setting up base binary.\n" +
 *             "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip)\n" +
 *             "    2: dns error\n",
 *         },
 *     ),
 * });
 * assert(code === 1 && printed.includes("--allow-net=hacker-news.firebaseio.com"));
 * assert(printed.includes("runtime cannot be fetched"));
 * ```
 */
export async function runCompile(
  args: readonly string[],
  connectors:
    | readonly CompileConnector[]
    | (() => Promise<readonly CompileConnector[]>),
  io: CompileIo = denoCompileIo(),
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        connector: { type: "string" },
        each: { type: "boolean" },
        target: { type: "string" },
        out: { type: "string" },
        "s3-endpoint": { type: "string" },
        entry: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    }));
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (values.version) {
    io.out(`${VERSION}\n`);
    return 0;
  }
  let plans: CompilePlan[];
  try {
    const all = typeof connectors === "function"
      ? await connectors()
      : connectors;
    if (values.each && values.connector !== undefined) {
      throw new RangeError("--each and --connector exclude each other");
    }
    const endpoint = values["s3-endpoint"] ?? io.env("INLET_S3_ENDPOINT");
    const opts: CompileOptions = {
      ...(values.out !== undefined ? { out: values.out } : {}),
      ...(values.target !== undefined ? { target: values.target } : {}),
      ...(endpoint ? { s3Endpoint: endpoint } : {}),
      ...(values.entry !== undefined ? { entry: values.entry } : {}),
    };
    const name = values.connector;
    const picked = name === undefined
      ? undefined
      : all.find((c) => c.name === name);
    if (name !== undefined && picked === undefined) {
      throw unknownConnector(name, all);
    }
    plans = [compilePlan(picked, all, opts)];
    if (values.each) {
      plans.push(...all.map((c) => compilePlan(c, all, opts)));
    }
    if (!endpoint) {
      io.err(
        "warning: no --s3-endpoint and no INLET_S3_ENDPOINT: the binaries can write only a local lake\n",
      );
    }
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n`);
    return 2;
  }

  for (const p of plans) {
    io.out(
      `${p.output}\n  --allow-net=${p.hosts.join(",")}\n  --allow-env=${
        p.env.join(",")
      }\n`,
    );
  }
  const entry = plans[0]!.args.at(-1)!;
  const check = await io.deno(["check", entry]);
  if (check.code !== 0) {
    io.err(check.stderr);
    io.err(`error: the type check of ${entry} failed; no binary built\n`);
    return 1;
  }
  io.out(`checked: type check and module graph of ${entry}\n`);
  for (const p of plans) {
    const res = await io.deno(p.args);
    if (res.code === 0) {
      io.out(`built ${p.output}\n`);
      continue;
    }
    const missing = diagnoseCompileFailure(res.stderr);
    if (missing) {
      io.err(`error: ${missingRuntimeMessage(missing, entry)}\n`);
    } else {
      io.err(res.stderr);
      io.err(
        `error: deno compile failed for ${p.output} (exit code ${res.code})\n`,
      );
    }
    return 1;
  }
  return 0;
}

/**
 * The real {@linkcode CompileIo}: the process's stdout, stderr and
 * environment, and the `deno` running this script (so `npx deno` works too).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoCompileIo } from "./compile.ts";
 * const io = denoCompileIo();
 * const res = await io.deno(["--version"]);
 * assert(res.code === 0 && res.stdout.startsWith("deno "));
 * ```
 */
export function denoCompileIo(): CompileIo {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    out: (t) => Deno.stdout.writeSync(enc.encode(t)),
    err: (t) => Deno.stderr.writeSync(enc.encode(t)),
    env: (n) => Deno.env.get(n),
    async deno(args) {
      const res = await new Deno.Command(Deno.execPath(), {
        args,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: res.code,
        stdout: dec.decode(res.stdout),
        stderr: dec.decode(res.stderr),
      };
    },
  };
}

if (import.meta.main) {
  // Described by a child that may only read the project: the connectors'
  // code never runs in this process, which may write and run programs.
  const { describeInChild } = await import("./describe.ts");
  const root = new URL("../..", import.meta.url).pathname;
  const registry = new URL("../../connectors/mod.ts", import.meta.url).href;
  Deno.exit(
    await runCompile(
      Deno.args,
      async () =>
        (await describeInChild(registry, { root })).map((c) => ({
          name: c.name,
          // Unused: hosts and secrets are given.
          baseUrl: "",
          hosts: c.hosts,
          secrets: c.secrets,
          streams: {},
        })),
    ),
  );
}
