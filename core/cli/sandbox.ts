/**
 * The sandbox: `deno task pull X` does its work in a child Deno process
 * allowed only what connector X declared. The child may reach the
 * connector's hosts (and a `--base-url` override the user gave), read its
 * secrets and the few settings the engine reads, read the project and the
 * lake, and write the lake. It cannot run programs or load native code
 * (`--allow-run`, `--allow-ffi` are never given), and Deno never prompts
 * (`--no-prompt`): a connector that reaches an undeclared host or reads an
 * undeclared variable fails with Deno's `NotCapable` error.
 *
 * @module
 */

import { resolve } from "node:path";
import type { Connector } from "../connector/connector.ts";
import { PULL_V8_FLAGS } from "./pull_v8_flags.ts";
import { proxySet } from "../http/use_http1_agent.ts";

/**
 * Environment variables the engine itself may read in the child, besides a
 * connector's secrets: inlet's own settings (`INLET_*`) and the colour
 * switches the CLI's option parser honours.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ENGINE_ENV } from "./sandbox.ts";
 * assert(ENGINE_ENV.includes("NO_COLOR"));
 * ```
 */
export const ENGINE_ENV: readonly string[] = [
  "INLET_*",
  "NO_COLOR",
  "FORCE_COLOR",
  "CLICOLOR_FORCE",
];

/**
 * What an S3 lake needs besides the connector's own permissions: its
 * endpoint setting and the standard AWS credentials.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3_ENV } from "./sandbox.ts";
 * assert(S3_ENV.includes("AWS_SECRET_ACCESS_KEY"));
 * ```
 */
export const S3_ENV: readonly string[] = [
  "INLET_S3_ENDPOINT",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
];

/**
 * Where the sandboxed pull runs.
 *
 * @example
 * ```ts
 * import type { SandboxOptions } from "./sandbox.ts";
 * const options: SandboxOptions = { lake: "./lake", root: "/srv/inlet" };
 * ```
 */
export interface SandboxOptions {
  /** The lake: a folder (read and write) or `s3://bucket/prefix` (its endpoint joins the hosts). */
  lake: string;
  /** The project folder (the CLI's modules and `node_modules`), read only. */
  root: string;
  /** A `--base-url` override: its host joins the allowed hosts (the user named it). */
  baseUrl?: string;
  /** More files or folders the child reads (a `--spec` file). @default {[]} */
  read?: readonly string[];
  /** More hosts the child may reach. @default {[]} */
  hosts?: readonly string[];
  /** Reads the parent's environment (an S3 lake's endpoint). @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
  /** Resolves relative paths. @default {Deno.cwd()} */
  cwd?: string;
}

function hostOf(url: string, what: string): string {
  try {
    return new URL(url).host;
  } catch (cause) {
    throw new TypeError(`${what} ${JSON.stringify(url)} is not a URL`, {
      cause,
    });
  }
}

/**
 * What the sandbox reads of a connector: its declarations, as the
 * connector itself or as a description of it.
 */
export type SandboxedConnector = Pick<Connector, "name" | "hosts" | "secrets">;

function list(values: Iterable<string>): string {
  return [...new Set(values)].sort().join(",");
}

/**
 * The Deno permission flags of a sandboxed pull of `connector`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineConnector } from "../connector/connector.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 * import { sandboxArgs } from "./sandbox.ts";
 * const shop = defineConnector({
 *   name: "shop",
 *   baseUrl: "https://shop.example.com/api",
 *   auth: { type: "bearer", env: "SHOP_TOKEN" },
 *   streams: { orders: { path: "/orders", primaryKey: "id", paginator: singlePaginator() } },
 * });
 * assert.deepEqual(sandboxArgs(shop, { lake: "/data/lake", root: "/srv/inlet" }), [
 *   "--no-prompt",
 *   "--allow-net=shop.example.com",
 *   "--allow-env=CLICOLOR_FORCE,FORCE_COLOR,INLET_*,NO_COLOR,SHOP_TOKEN",
 *   "--allow-read=/data/lake,/srv/inlet",
 *   "--allow-write=/data/lake",
 * ]);
 * ```
 */
export function sandboxArgs(
  connector: SandboxedConnector,
  options: SandboxOptions,
): string[] {
  const cwd = options.cwd ?? Deno.cwd();
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const hosts = [...connector.hosts, ...(options.hosts ?? [])];
  if (options.baseUrl !== undefined) {
    hosts.push(hostOf(options.baseUrl, "--base-url"));
  }
  const vars = [...connector.secrets, ...ENGINE_ENV];
  const read = [
    resolve(cwd, options.root),
    ...(options.read ?? []).map((p) => resolve(cwd, p)),
  ];
  const write: string[] = [];
  if (options.lake.startsWith("s3://")) {
    vars.push(...S3_ENV);
    const endpoint = env("INLET_S3_ENDPOINT");
    if (endpoint) hosts.push(hostOf(endpoint, "INLET_S3_ENDPOINT"));
  } else {
    const lake = resolve(cwd, options.lake);
    read.push(lake);
    write.push(lake);
  }
  if (hosts.length === 0) {
    throw new TypeError(
      `connector "${connector.name}" declares no host to reach`,
    );
  }
  // Commas separate entries in Deno's flag lists; a path holding one cannot be expressed.
  for (const p of [...read, ...write]) {
    if (p.includes(",")) {
      throw new TypeError(`Cannot sandbox a path holding a comma: ${p}`);
    }
  }
  return [
    "--no-prompt",
    `--allow-net=${list(hosts)}`,
    `--allow-env=${list(vars)}`,
    `--allow-read=${list(read)}`,
    ...(write.length ? [`--allow-write=${list(write)}`] : []),
  ];
}

/**
 * Options of {@linkcode runSandboxed}.
 *
 * @example
 * ```ts
 * import type { RunSandboxedOptions } from "./sandbox.ts";
 * import hackernews from "../../connectors/hackernews.ts";
 * const options: RunSandboxedOptions = { connector: hackernews, lake: "./lake", root: "." };
 * ```
 */
export interface RunSandboxedOptions extends SandboxOptions {
  /** The connector, whose declarations become the child's permissions. */
  connector: SandboxedConnector;
  /** The module the child runs. @default {`${root}/core/cli/cli.ts`} */
  entry?: string;
  /** Receives the child's stdout; omitted, the child writes to ours. */
  stdout?: (chunk: Uint8Array) => void;
  /** Receives the child's stderr; omitted, the child writes to ours. */
  stderr?: (chunk: Uint8Array) => void;
  /** Pass SIGINT and SIGTERM on to the child (lines on its stdin). @default {true} */
  forwardSignals?: boolean;
  /** Extra environment variables for the child (it inherits ours). */
  childEnv?: Record<string, string>;
  /** The `deno.json` the child runs with. @default {the one Deno finds from the working directory} */
  config?: string;
}

/**
 * Run `<entry> pull <connectorName> ...argv --no-sandbox` in a child Deno
 * process limited by {@linkcode sandboxArgs}, and resolve its exit code
 * (`128 + n` when signal `n` ended it).
 *
 * The child stays in this process's group, so killing the group kills it
 * at once. This process passes each SIGINT and SIGTERM it gets on as a
 * line on the child's stdin; the child counts those apart from the
 * signals it gets itself (a terminal's Ctrl-C reaches both), so it stops
 * gracefully on the first and aborts on the second, exactly as an
 * unsandboxed run would. The end of its stdin tells it this process died.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineConnector } from "../connector/connector.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 * import { runSandboxed } from "./sandbox.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const entry = `${dir}/probe.ts`;
 *   await Deno.writeTextFile(entry, `
 *     try { Deno.env.get("HOME"); } catch (e) { console.log((e as Error).name); }
 *     Deno.exit(Deno.args.includes("--no-sandbox") ? 3 : 4);
 *   `);
 *   const probe = defineConnector({
 *     name: "probe",
 *     baseUrl: "http://127.0.0.1:9",
 *     streams: { a: { path: "/a", primaryKey: "id", paginator: singlePaginator() } },
 *   });
 *   let out = "";
 *   const code = await runSandboxed("probe", [], {
 *     connector: probe,
 *     lake: `${dir}/lake`,
 *     root: dir,
 *     entry,
 *     stdout: (c) => out += new TextDecoder().decode(c),
 *   });
 *   assert.equal(code, 3);
 *   assert.equal(out.trim(), "NotCapable");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function runSandboxed(
  connectorName: string,
  argv: readonly string[],
  options: RunSandboxedOptions,
): Promise<number> {
  const entry = options.entry ?? resolve(options.root, "core/cli/cli.ts");
  const args = [
    "run",
    ...(options.config ? [`--config=${resolve(options.config)}`] : []),
    ...sandboxArgs(options.connector, options),
    entry,
    "pull",
    connectorName,
    ...argv,
    "--no-sandbox",
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    // The child watches this pipe: when it closes, the parent is gone (even
    // killed with SIGKILL) and the child must not go on committing alone.
    stdin: "piped",
    stdout: options.stdout ? "piped" : "inherit",
    stderr: options.stderr ? "piped" : "inherit",
    // Our process group, not a session of its own: whoever kills our group
    // kills the child in the same instant.
    detached: false,
    env: {
      ...options.childEnv,
      DENO_V8_FLAGS: childV8Flags(options.childEnv),
      // The child may not read the proxy variables (they can hold
      // credentials); `fetch` in it still uses them.
      INLET_PROXY_SET: proxySet() ? "1" : "0",
      INLET_SANDBOX_CHILD: "1",
    },
  }).spawn();

  const stdin = child.stdin.getWriter();
  const enc = new TextEncoder();
  const forward = options.forwardSignals ?? true;
  const handlers: Array<[Deno.Signal, () => void]> = forward
    ? (["SIGINT", "SIGTERM"] as const).map((sig) => [sig, () => {
      stdin.write(enc.encode(`${sig}\n`)).catch(() => {/* already gone */});
    }])
    : [];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);

  const pump = async (
    stream: ReadableStream<Uint8Array> | null,
    sink?: (c: Uint8Array) => void,
  ) => {
    if (!stream || !sink) return;
    for await (const chunk of stream) sink(chunk);
  };
  try {
    const [status] = await Promise.all([
      child.status,
      pump(options.stdout ? child.stdout : null, options.stdout),
      pump(options.stderr ? child.stderr : null, options.stderr),
    ]);
    await stdin.close().catch(() => {});
    return status.code;
  } catch (err) {
    // Never leave a child running unobserved.
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    throw err;
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  }
}

/**
 * The child's `DENO_V8_FLAGS`: {@linkcode PULL_V8_FLAGS}, then the caller's
 * own (given for the child, or this process's), which V8 applies last.
 */
function childV8Flags(childEnv: Record<string, string> | undefined): string {
  let theirs = childEnv?.DENO_V8_FLAGS;
  try {
    theirs ??= Deno.env.get("DENO_V8_FLAGS");
  } catch {
    // Not allowed to read it: the child gets ours alone.
  }
  return [...PULL_V8_FLAGS, ...(theirs ? [theirs] : [])].join(",");
}
