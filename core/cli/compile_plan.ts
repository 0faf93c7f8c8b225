/**
 * The plan of a compile: which binaries, each with the hosts and secrets of
 * its connectors as its Deno permissions.
 *
 * @module
 */

import { authEnv } from "../connector/auth_env.ts";
import { ConfigError } from "../connector/errors.ts";
import { ENGINE_ENV } from "./sandbox.ts";
import { pullV8FlagsArg } from "./pull_v8_flags.ts";
import type { ConnectorDef } from "../connector/types.ts";
import { unknownConnector } from "./_unknown_connector.ts";

/**
 * The targets `deno compile --target` accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TARGETS } from "./compile_plan.ts";
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
 * import { BASE_ENV } from "./compile_plan.ts";
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
 * import type { CompileConnector } from "./compile_plan.ts";
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
 * import type { CompileOptions } from "./compile_plan.ts";
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
 * import type { CompilePlan } from "./compile_plan.ts";
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
 * import { connectorHosts } from "./compile_plan.ts";
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
 * import { connectorSecrets } from "./compile_plan.ts";
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
  return c.auth === undefined ? [] : authEnv(c.auth);
}

/**
 * Plan one binary: every connector (`connector` undefined) or one, with the
 * union of their hosts and secrets as its permissions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compilePlan } from "./compile_plan.ts";
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
    pullV8FlagsArg(),
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
 * import { compileArgs } from "./compile_plan.ts";
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

function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch (cause) {
    throw new ConfigError(`the S3 endpoint is not a URL`, { cause });
  }
}
