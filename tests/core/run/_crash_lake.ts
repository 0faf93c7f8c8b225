/**
 * What a SIGKILL left in one stream's folder of a local lake, and which
 * phase of the run it landed in, read from the files alone.
 *
 * @module
 */
import { icebergManifests, icebergMetadata } from "icebird";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { tableUrl } from "../../_iceberg.ts";

/** Every file under `dir` (none when it does not exist). */
export async function walk(dir: string, out: string[] = []): Promise<string[]> {
  try {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p, out);
      else out.push(p);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

/** One stream's files after a kill. */
export interface Tally {
  /** Metadata versions (commits) of the stream's table. */
  entries: number;
  /** Snapshots of the newest version that add data files. */
  dataCommits: number;
  /** The newest metadata version, when the version hint does not name it yet (killed mid-commit). */
  unhinted: Set<string>;
  /** Complete data files no snapshot lists (killed before their commit). */
  orphans: Set<string>;
  /** Half-written temporary files (killed inside a file write). */
  partial: number;
}

/** The newest metadata version of the table in `dir` (0: none) and the hint's. */
async function versions(
  files: readonly string[],
  dir: string,
): Promise<{ newest: number; hinted: number }> {
  let newest = 0;
  for (const f of files) {
    const m = /\/metadata\/v(\d+)\.metadata\.json$/.exec(f);
    if (m && f.startsWith(`${dir}/`)) newest = Math.max(newest, Number(m[1]));
  }
  const hint = await Deno.readTextFile(`${dir}/metadata/version-hint.text`)
    .catch(() => "0");
  return { newest, hinted: Number(hint.trim()) };
}

/**
 * What a kill left behind in `stream`'s folder of `lake`: read from the
 * newest metadata version (icebird lists its snapshot's files).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inspect } from "./_crash_lake.ts";
 * const t = await inspect("/nonexistent-lake", "c/s");
 * assert.equal(t.entries, 0);
 * ```
 */
export async function inspect(lake: string, stream: string): Promise<Tally> {
  const dir = `${lake}/${stream}`;
  const files = await walk(dir);
  const t: Tally = {
    entries: 0,
    dataCommits: 0,
    unhinted: new Set(),
    orphans: new Set(),
    partial: 0,
  };
  const { newest, hinted } = await versions(files, dir);
  t.entries = newest;
  const listed = new Set<string>();
  if (newest > 0) {
    const name = `v${newest}.metadata.json`;
    if (hinted < newest) t.unhinted.add(`${dir}/metadata/${name}`);
    const metadata = await icebergMetadata({
      tableUrl: tableUrl(dir),
      metadataFileName: name,
    });
    t.dataCommits = (metadata.snapshots ?? []).filter((s) =>
      Number(s.summary?.["added-data-files"] ?? 0) > 0
    ).length;
    if ((metadata["current-snapshot-id"] ?? -1) >= 0) {
      for (const { entries } of await icebergManifests(metadata)) {
        for (const e of entries) {
          listed.add(fileURLToPath(e.data_file.file_path));
        }
      }
    }
  }
  for (const f of files) {
    const name = f.slice(f.lastIndexOf("/") + 1);
    if (name.startsWith(".") && name.endsWith(".tmp")) t.partial++;
    else if (f.startsWith(`${dir}/data/`) && !listed.has(resolve(f))) {
      t.orphans.add(f);
    }
  }
  return t;
}

/** The phases of a run a kill can land in. */
export const PHASES = [
  "before its first commit",
  "between commits",
  "staged, before its commit",
  "committed, hint not moved",
] as const;

/** One of {@linkcode PHASES}. */
export type Phase = typeof PHASES[number];

/**
 * The phase a kill landed in, from the stream's files before the run and
 * after its kill: a metadata version the hint does not name yet, data
 * files no snapshot lists, or else whether it committed data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { landed, type Tally } from "./_crash_lake.ts";
 * const t = (dataCommits: number, orphans: string[] = []): Tally => ({
 *   entries: dataCommits, dataCommits, unhinted: new Set(),
 *   orphans: new Set(orphans), partial: 0,
 * });
 * assert.equal(landed(t(2), t(2)), "before its first commit");
 * assert.equal(landed(t(2), t(3)), "between commits");
 * assert.equal(landed(t(2), t(2, ["a"])), "staged, before its commit");
 * ```
 */
export function landed(before: Tally, after: Tally): Phase {
  const fresh = (now: Set<string>, old: Set<string>) =>
    [...now].some((f) => !old.has(f));
  if (fresh(after.unhinted, before.unhinted)) {
    return "committed, hint not moved";
  }
  if (fresh(after.orphans, before.orphans)) return "staged, before its commit";
  return after.dataCommits === before.dataCommits
    ? "before its first commit"
    : "between commits";
}
