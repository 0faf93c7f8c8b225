/**
 * Test helpers over a lake folder: a byte-for-byte snapshot, and running the
 * CLI in a subprocess.
 *
 * @module
 */

const root = new URL("../../", import.meta.url).pathname;

/** Every file under `dir` (except run summaries) and its bytes as hex SHA-256. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for await (const e of Deno.readDir(`${dir}/${rel}`)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        // Run summaries are a log of attempts, not lake data or state.
        if (e.name !== "_runs") await walk(path);
        continue;
      }
      const bytes = await Deno.readFile(`${dir}/${path}`);
      const hash = await crypto.subtle.digest("SHA-256", bytes);
      out[path] = Array.from(
        new Uint8Array(hash),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
    }
  };
  await walk("");
  return out;
}

/** What a CLI run printed and how it ended. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `core/cli.ts` (or another entry script under the project) with `args`,
 * in a subprocess with every permission.
 */
export async function inlet(
  args: string[],
  entry = "core/cli.ts",
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${root}${entry}`, ...args],
    cwd: root,
    env: { NO_COLOR: "1" },
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

/** Path of a stream's newest log entry in a local lake. */
export async function latestEntry(
  lake: string,
  stream: string,
): Promise<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(`${lake}/${stream}/_log`)) {
    if (/^\d{20}\.json$/.test(e.name)) names.push(e.name);
  }
  names.sort();
  const last = names.at(-1);
  if (last === undefined) throw new Error(`${stream} has no log entry`);
  return `${lake}/${stream}/_log/${last}`;
}

/** True when a stream folder holds a committed Parquet file (a `*.parquet` glob matches). */
export async function hasParquet(dir: string): Promise<boolean> {
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".parquet")) return true;
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return false;
}
