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
import { helpOrVersion } from "./_help_or_version.ts";
import {
  type CompileConnector,
  type CompileOptions,
  type CompilePlan,
  compilePlan,
  TARGETS,
} from "./compile_plan.ts";
import { unknownConnector } from "./_unknown_connector.ts";
import {
  diagnoseCompileFailure,
  missingRuntimeMessage,
} from "./missing_runtime.ts";

export {
  BASE_ENV,
  compileArgs,
  type CompileConnector,
  type CompileOptions,
  type CompilePlan,
  compilePlan,
  connectorHosts,
  connectorSecrets,
  TARGETS,
} from "./compile_plan.ts";
export {
  diagnoseCompileFailure,
  type MissingRuntime,
  missingRuntimeMessage,
} from "./missing_runtime.ts";

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
  let values: CompileFlags;
  try {
    values = parseCompileArgs(args);
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const info = helpOrVersion(values, io, USAGE);
  if (info !== undefined) return info;
  let plans: CompilePlan[];
  try {
    plans = await planBinaries(values, connectors, io);
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n`);
    return 2;
  }
  return await buildBinaries(plans, io);
}

/** The flags of the `compile` task, as `parseArgs` gives them. */
interface CompileFlags {
  connector?: string;
  each?: boolean;
  target?: string;
  out?: string;
  "s3-endpoint"?: string;
  entry?: string;
  help?: boolean;
  version?: boolean;
}

function parseCompileArgs(args: readonly string[]): CompileFlags {
  return parseArgs({
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
  }).values;
}

// The connectors are described only here, past --help and --version: that
// may start a child process.
async function planBinaries(
  values: CompileFlags,
  connectors:
    | readonly CompileConnector[]
    | (() => Promise<readonly CompileConnector[]>),
  io: CompileIo,
): Promise<CompilePlan[]> {
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
  const plans = [compilePlan(picked, all, opts)];
  if (values.each) {
    plans.push(...all.map((c) => compilePlan(c, all, opts)));
  }
  if (!endpoint) {
    io.err(
      "warning: no --s3-endpoint and no INLET_S3_ENDPOINT: the binaries can write only a local lake\n",
    );
  }
  return plans;
}

// The type check runs once, before any binary: it fails fast, and it is the
// part that still runs where the runtime cannot be fetched.
async function buildBinaries(
  plans: CompilePlan[],
  io: CompileIo,
): Promise<number> {
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
