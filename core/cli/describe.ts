/**
 * Describing connectors without running their code here: a child Deno
 * process evaluates the registry module allowed only to read the project
 * (and the registry and `--spec` files): no environment, network, writes,
 * programs, native code or system information. It answers each
 * connector's {@linkcode ConnectorInfo} as JSON.
 *
 * Run as a program (`describe.ts <registry URL> [spec]`) it is that child:
 * it first reads a token from stdin, then imports the registry, then prints
 * the token and the JSON on one line. The registry's code runs after the
 * token was read, so it cannot print an answer the parent would take.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ConnectorInfo,
  type ConnectorSource,
  sourceOf,
} from "./connector_info.ts";
import type { Connector } from "../connector/connector.ts";
import { loadRegistry } from "./load_registry.ts";
import { ConfigError } from "../connector/errors.ts";

/**
 * Where the describing child runs.
 *
 * @example
 * ```ts
 * import type { DescribeOptions } from "./describe.ts";
 * const opts: DescribeOptions = { root: "/srv/inlet" };
 * ```
 */
export interface DescribeOptions {
  /** inlet's own folder (read only). */
  root: string;
  /** More folders or files the child reads: the user's project, its registry. @default {[]} */
  read?: readonly string[];
  /** The `deno.json` the child runs with. @default {`${root}/deno.json`} */
  config?: string;
  /** A rest `--spec` file: the child reads it and describes only its connector. */
  spec?: string;
  /** Resolves a relative `spec`. @default {Deno.cwd()} */
  cwd?: string;
}

/**
 * The `deno` arguments of the describing child of `registry`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeArgs } from "./describe.ts";
 * const args = describeArgs("file:///srv/inlet/connectors/mod.ts", { root: "/srv/inlet" });
 * assert.deepEqual(args.slice(0, 4), [
 *   "run", "--no-prompt", "--config=/srv/inlet/deno.json", "--allow-read=/srv/inlet",
 * ]);
 * assert.ok(!args.some((a) => /^--allow-(env|net|write|run|ffi|sys)/.test(a)));
 * ```
 */
export function describeArgs(
  registry: string,
  options: DescribeOptions,
): string[] {
  const cwd = options.cwd ?? Deno.cwd();
  const root = resolve(options.root);
  const read = new Set([root, ...(options.read ?? []).map((p) => resolve(p))]);
  const file = registry.startsWith("file:")
    ? fileURLToPath(registry).replace(/(.)\/$/, "$1")
    : undefined;
  // A registry elsewhere (INLET_CONNECTORS) is read too: that file alone.
  if (file !== undefined && !file.startsWith(`${root}/`)) read.add(file);
  const spec = options.spec === undefined
    ? undefined
    : resolve(cwd, options.spec);
  if (spec !== undefined) read.add(spec);
  for (const p of read) {
    // Commas separate entries in Deno's flag lists.
    if (p.includes(",")) {
      throw new TypeError(`Cannot sandbox a path holding a comma: ${p}`);
    }
  }
  return [
    "run",
    "--no-prompt",
    // The child may start in any folder: the project's import map still applies.
    `--config=${resolve(options.config ?? resolve(options.root, "deno.json"))}`,
    `--allow-read=${[...read].sort().join(",")}`,
    resolve(options.root, "core/cli/describe.ts"),
    registry,
    ...(spec !== undefined ? [spec] : []),
  ];
}

/**
 * Describe every connector of the registry module `registry` (a URL) in a
 * child allowed only to read the project; with `spec`, only the connector
 * of that rest spec file (the registry is not loaded). The child's stderr
 * is ours (a registry's load error shows as it is).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeInChild } from "./describe.ts";
 * const root = new URL("../..", import.meta.url).pathname;
 * const all = await describeInChild(new URL("../../connectors/mod.ts", import.meta.url).href, { root });
 * assert.ok(all.some((c) => c.name === "stripe" && c.secrets.includes("STRIPE_API_KEY")));
 * ```
 */
export async function describeInChild(
  registry: string,
  options: DescribeOptions,
): Promise<ConnectorInfo[]> {
  const answer = await ask(registry, options);
  if (options.spec !== undefined && !Array.isArray(answer)) return [answer];
  return answer as ConnectorInfo[];
}

async function ask(
  registry: string,
  options: DescribeOptions,
): Promise<ConnectorInfo[] | ConnectorInfo> {
  const token = crypto.randomUUID();
  const child = new Deno.Command(Deno.execPath(), {
    args: describeArgs(registry, options),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  // A child that died at once cannot take it; its exit code says why below.
  await writer.write(new TextEncoder().encode(`${token}\n`)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  const answer = new TextDecoder().decode(out.stdout).split("\n")
    .find((l) => l.startsWith(token));
  if (!out.success || answer === undefined) {
    throw new Error(
      `Cannot describe the connectors of ${registry}: the describing child exited with code ${out.code}`,
    );
  }
  const parsed = JSON.parse(answer.slice(token.length)) as
    | ConnectorInfo[]
    | ConnectorInfo
    | { error: { name: string; message: string } };
  if (!("error" in parsed)) return parsed;
  // A bad definition or spec is the user's to fix: the same error as in-process.
  throw parsed.error.name === "ConfigError"
    ? new ConfigError(parsed.error.message)
    : new Error(parsed.error.message);
}

/**
 * A {@linkcode ConnectorSource} that describes in a child and never loads
 * a connector's code into this process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childSource } from "./describe.ts";
 * const root = new URL("../..", import.meta.url).pathname;
 * const source = childSource(new URL("../../connectors/mod.ts", import.meta.url).href, root);
 * await assert.rejects(source.load("demo"), /Cannot run connector "demo" in this process/);
 * ```
 */
export function childSource(
  registry: string,
  options: string | Omit<DescribeOptions, "spec">,
): ConnectorSource {
  const where = typeof options === "string" ? { root: options } : options;
  return {
    describe: () => describeInChild(registry, where),
    describeSpec: async (spec) =>
      (await describeInChild(registry, { ...where, spec }))[0]!,
    load: (name): Promise<Connector> =>
      Promise.reject(
        new Error(
          `Cannot run connector "${name}" in this process: its code runs only in a sandboxed child`,
        ),
      ),
  };
}

async function readToken(): Promise<string> {
  let text = "";
  const dec = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    text += dec.decode(chunk, { stream: true });
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0]!;
}

if (import.meta.main) {
  const [registry, spec] = Deno.args;
  // Taken before the registry's code runs, which could replace them.
  const stringify = JSON.stringify;
  const enc = new TextEncoder();
  const write = Deno.stdout.writeSync.bind(Deno.stdout);
  const token = await readToken();
  let answer: unknown;
  try {
    const source = sourceOf(() => loadRegistry(registry!));
    answer = spec === undefined
      ? await source.describe()
      : await source.describeSpec(spec);
  } catch (err) {
    const { name, message } = err instanceof Error
      ? err
      : { name: "Error", message: String(err) };
    answer = { error: { name, message } };
  }
  const bytes = enc.encode(`\n${token}${stringify(answer)}\n`);
  for (let off = 0; off < bytes.length;) {
    off += write(bytes.subarray(off));
  }
}
