/**
 * The data files of a stream in a local lake, as an oracle for a run's
 * `files` counter: the files on disk, checked against the ones the commit
 * log added.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Names in `dir`, or none when it does not exist. */
function names(dir: string): Promise<string[]> {
  return Array.fromAsync(Deno.readDir(dir), (e) => e.name).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  });
}

/**
 * The data files (`ext`) in stream folder `dir`, sorted; asserts that they
 * are exactly the files its commit log entries added (a stream that never
 * committed has none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { committedFiles } from "./_files.ts";
 * assert.deepEqual(await committedFiles("/nonexistent/stream"), []);
 * ```
 */
export async function committedFiles(
  dir: string,
  ext = ".parquet",
): Promise<string[]> {
  const onDisk = (await names(dir)).filter((n) => n.endsWith(ext)).sort();
  const added: string[] = [];
  for (const name of await names(`${dir}/_log`)) {
    if (!/^\d{20}\.json$/.test(name)) continue;
    const entry = JSON.parse(await Deno.readTextFile(`${dir}/_log/${name}`));
    for (const f of entry.add ?? []) {
      added.push(String(f.path).split("/").pop()!);
    }
  }
  assert.deepEqual(added.sort(), onDisk, `${dir}: the log and the disk differ`);
  return onDisk;
}
