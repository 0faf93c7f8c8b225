/**
 * What a SIGKILL left in one stream's folder of a local lake, and which
 * phase of the run it landed in, read from the files alone.
 *
 * @module
 */

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
  /** Commit entries in the stream's log. */
  entries: number;
  /** Entries that add files (a state-only entry adds none). */
  dataCommits: number;
  /** Committed files not moved to their final names yet (killed mid-commit). */
  rollForward: Set<string>;
  /** Complete staged files no entry lists (killed before their commit). */
  orphans: Set<string>;
  /** Half-written temporary files (killed inside a file write). */
  partial: number;
}

/**
 * What a kill left behind in `stream`'s folder of `lake`.
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
  const listed = new Set<string>();
  const unmoved = new Set<string>();
  const t: Tally = {
    entries: 0,
    dataCommits: 0,
    rollForward: new Set(),
    orphans: new Set(),
    partial: 0,
  };
  for (const f of files.filter((f) => f.startsWith(`${dir}/_log/`)).sort()) {
    if (f.endsWith(".tmp")) continue;
    t.entries++;
    const e = JSON.parse(await Deno.readTextFile(f));
    if (e.add.length > 0) t.dataCommits++;
    for (const a of e.add) {
      listed.add(`${lake}/${a.staged}`);
      if (!a.held) unmoved.add(`${lake}/${a.staged}`);
    }
  }
  for (const f of files) {
    const name = f.slice(f.lastIndexOf("/") + 1);
    if (name.startsWith(".") && name.endsWith(".tmp")) t.partial++;
    else if (f.includes("/_staging/")) {
      if (unmoved.has(f)) t.rollForward.add(f);
      else if (!listed.has(f)) t.orphans.add(f);
    }
  }
  return t;
}

/** The phases of a run a kill can land in. */
export const PHASES = [
  "before its first commit",
  "between commits",
  "staged, before its commit",
  "committed, not moved",
] as const;

/** One of {@linkcode PHASES}. */
export type Phase = typeof PHASES[number];

/**
 * The phase a kill landed in, from the stream's files before the run and
 * after its kill: files this run staged that no entry lists, files its
 * entry lists that are still staged, or else whether it committed data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { landed, type Tally } from "./_crash_lake.ts";
 * const t = (dataCommits: number, orphans: string[] = []): Tally => ({
 *   entries: dataCommits, dataCommits, rollForward: new Set(),
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
  if (fresh(after.rollForward, before.rollForward)) {
    return "committed, not moved";
  }
  if (fresh(after.orphans, before.orphans)) return "staged, before its commit";
  return after.dataCommits === before.dataCommits
    ? "before its first commit"
    : "between commits";
}
