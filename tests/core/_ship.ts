/**
 * Helpers for the shipping tests (shards, S3 lake, logs): run the real CLI
 * in a child process and read a lake back with DuckDB.
 *
 * @module
 */
import { duck, sqlString } from "../_duckdb.ts";

/**
 * The project root, without a trailing slash.
 *
 * @example
 * ```ts
 * import { ROOT } from "./_ship.ts";
 * console.assert(!ROOT.endsWith("/"));
 * ```
 */
export const ROOT = new URL("../../", import.meta.url).pathname.replace(
  /\/$/,
  "",
);

/**
 * What a CLI child did.
 *
 * @example
 * ```ts
 * import type { CliRun } from "./_ship.ts";
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

/**
 * Run `deno run -A core/cli.ts <args>` in a child with `env` added to ours
 * (the variables a test names override a developer's own). Bounded: the
 * child is killed after `timeoutMs`.
 *
 * @example
 * ```ts
 * import { runCliChild } from "./_ship.ts";
 * const r = await runCliChild(["list"]);
 * console.assert(r.code === 0 && r.stdout.includes("hackernews"));
 * ```
 */
export async function runCliChild(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/core/cli.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
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

/**
 * Run `deno task <args>` in the project, as a user would.
 *
 * @example
 * ```ts
 * import { runTask } from "./_ship.ts";
 * const r = await runTask(["list"]);
 * console.assert(r.code === 0 && r.stdout.includes("stripe"));
 * ```
 */
export async function runTask(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/**
 * The JSON events of a `--log-format json` run, one per stderr line; throws
 * on a line that is not JSON.
 *
 * @example
 * ```ts
 * import { events } from "./_ship.ts";
 * const all = events('{"type":"run_start"}\n{"type":"run_end"}\n');
 * console.assert(all.length === 2 && all[1]?.type === "run_end");
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
 * Count, distinct keys, sum of a numeric column and the sorted keys of a
 * stream folder's Parquet files, read by DuckDB.
 *
 * @example
 * ```ts
 * import { profile, withTempDir } from "./_ship.ts";
 * import { duck } from "../_duckdb.ts";
 * await withTempDir("x-", async (dir) => {
 *   await duck(`COPY (SELECT range AS id FROM range(1, 4)) TO '${dir}/a.parquet'`);
 *   const p = await profile(dir, "id", "id");
 *   console.assert(p.count === 3 && p.distinct === 3 && p.sum === 6);
 * });
 * ```
 */
export async function profile(
  dir: string,
  key: string,
  sumOf: string,
): Promise<{ count: number; distinct: number; sum: number; keys: string[] }> {
  const glob = sqlString(`${dir}/*.parquet`);
  const [row] = await duck(
    `SELECT count(*)::INTEGER AS n, count(DISTINCT ${key})::INTEGER AS d,
       sum(${sumOf})::DOUBLE AS s,
       list(${key}::VARCHAR ORDER BY ${key}::VARCHAR) AS k
     FROM read_parquet(${glob})`,
  );
  return {
    count: Number(row?.n),
    distinct: Number(row?.d),
    sum: Number(row?.s),
    keys: (row?.k as string[] | undefined) ?? [],
  };
}

/**
 * Make a temp dir, pass it to `fn`, remove it after (also when `fn` throws).
 *
 * @example
 * ```ts
 * import { withTempDir } from "./_ship.ts";
 * const dir = await withTempDir("x-", (d) => Promise.resolve(d));
 * console.assert(await Deno.stat(dir).then(() => false, () => true));
 * ```
 */
export async function withTempDir<T>(
  prefix: string,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
