/**
 * Child processes for tests: `deno` itself, the real CLI (`core/cli/cli.ts`, or
 * an entry script like it), `deno task`, and what they print.
 *
 * @module
 */

/**
 * The project root, without a trailing slash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ROOT } from "./_cli.ts";
 * assert(!ROOT.endsWith("/"));
 * ```
 */
export const ROOT = new URL("../", import.meta.url).pathname.replace(
  /\/$/,
  "",
);

/**
 * What a child did.
 *
 * @example
 * ```ts
 * import type { CliRun } from "./_cli.ts";
 * const ok = (r: CliRun) => r.code === 0;
 * ```
 */
export interface CliRun {
  /** Its exit code. */
  code: number;
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/** How {@linkcode runDeno} starts its child. */
export interface DenoOptions {
  /** The working directory. @default {ROOT} */
  cwd?: string;
  /** Variables added to the environment (they override ours). */
  env?: Record<string, string>;
  /** Start from an empty environment: only `env`. @default {false} */
  clearEnv?: boolean;
  /** Kill the child (SIGKILL) after this long. @default {120_000} */
  timeoutMs?: number;
}

/**
 * Run `deno <args>` in a child, stdin closed, and collect its output.
 * Bounded: the child is killed after `timeoutMs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runDeno } from "./_cli.ts";
 * const r = await runDeno(["eval", "console.log(1 + 1)"]);
 * assert(r.code === 0 && r.stdout === "2\n");
 * ```
 */
export async function runDeno(
  args: readonly string[],
  { cwd = ROOT, env = {}, clearEnv = false, timeoutMs = 120_000 }: DenoOptions =
    {},
): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd,
    env,
    clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** How {@linkcode runCliChild} and {@linkcode spawnCli} run the CLI. */
export interface CliOptions {
  /** Variables added to the environment (they override ours). */
  env?: Record<string, string>;
  /** The entry script, relative to the project root. @default {"core/cli/cli.ts"} */
  entry?: string;
  /** Kill the child (SIGKILL) after this long. @default {120_000} */
  timeoutMs?: number;
}

/** The `deno` arguments that run `entry` with every permission and `args`. */
function cliArgs(args: readonly string[], entry: string): string[] {
  return ["run", "--allow-all", `${ROOT}/${entry}`, ...args];
}

/**
 * Run `deno run --allow-all core/cli/cli.ts <args>` (or another `entry`) in a
 * child with `NO_COLOR=1` and `env` added to our environment (the
 * variables a test names override a developer's own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCliChild } from "./_cli.ts";
 * const r = await runCliChild(["list"]);
 * assert(r.code === 0 && r.stdout.includes("hackernews"));
 * ```
 */
export function runCliChild(
  args: readonly string[],
  { env = {}, entry = "core/cli/cli.ts", timeoutMs }: CliOptions = {},
): Promise<CliRun> {
  return runDeno(cliArgs(args, entry), {
    env: { NO_COLOR: "1", ...env },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

/**
 * Start the CLI as {@linkcode runCliChild} does, without waiting: for a test that
 * signals or kills it on the way. Its stdout is discarded; its stderr is
 * piped (or discarded with `stderr: "null"`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spawnCli } from "./_cli.ts";
 * const child = spawnCli(["list"], { stderr: "null" });
 * assert((await child.status).code === 0);
 * ```
 */
export function spawnCli(
  args: readonly string[],
  { env = {}, entry = "core/cli/cli.ts", stderr = "piped" }:
    & Omit<CliOptions, "timeoutMs">
    & { stderr?: "piped" | "null" } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: cliArgs(args, entry),
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr,
  }).spawn();
}

/**
 * Run `deno task -q <args>` in the project, as a user would, with
 * `NO_COLOR=1` and `env` added to our environment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTask } from "./_cli.ts";
 * const r = await runTask(["list"]);
 * assert(r.code === 0 && r.stdout.includes("stripe"));
 * ```
 */
export function runTask(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs?: number,
): Promise<CliRun> {
  return runDeno(["task", "-q", ...args], {
    env: { NO_COLOR: "1", ...env },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

/**
 * The CLI arguments of an unsandboxed pull of `connector` from `baseUrl`
 * into `lake`, then `extra`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullArgs } from "./_cli.ts";
 * const args = pullArgs("demo", "http://127.0.0.1:1", "/tmp/lake", "--limit", "5");
 * assert(args.join(" ").startsWith("pull demo --no-sandbox --base-url"));
 * ```
 */
export function pullArgs(
  connector: string,
  baseUrl: string,
  lake: string,
  ...extra: string[]
): string[] {
  return [
    "pull",
    connector,
    "--no-sandbox",
    "--base-url",
    baseUrl,
    "--lake",
    lake,
    ...extra,
  ];
}

/**
 * The JSON events of a `--log-format json` run, one per stderr line; throws
 * on a line that is not JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { events } from "./_cli.ts";
 * const all = events('{"type":"run_start"}\n{"type":"run_end"}\n');
 * assert(all.length === 2 && all[1]?.type === "run_end");
 * ```
 */
export function events(stderr: string): Array<Record<string, unknown>> {
  return stderr.split("\n").filter((l) => l.trim() !== "").map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch (cause) {
      throw new Error(`stderr line ${i + 1} is not JSON: ${l}`, { cause });
    }
  });
}

/**
 * Poll `done` every `everyMs` until it holds, at most `tries` times (a
 * bounded wait for a child's progress); the caller asserts what it waited
 * for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitUntil } from "./_cli.ts";
 * let n = 0;
 * await waitUntil(() => ++n >= 3);
 * assert(n === 3);
 * ```
 */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  tries = 2000,
  everyMs = 5,
): Promise<void> {
  for (let i = 0; i < tries && !(await done()); i++) {
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
