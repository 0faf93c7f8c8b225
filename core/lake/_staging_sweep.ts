/**
 * Cleaning a stream's staging area and log folder of what dead runs left:
 * staged files no commit lists, temp files of unfinished writes, and empty
 * run folders.
 *
 * Why it is safe, even with another run writing the same stream right now.
 * A run reads the log before it stages anything (`runStream` reads the
 * stream's state first), and it can only commit version `n + 1` where `n`
 * is the length of the log it read: the entry is created only if absent.
 * The cleaner surveys the folders *before* it creates its own next entry,
 * version `V`, and discards what it saw only once that create succeeded.
 * Every file seen in the survey existed before `V` did, so its run read
 * the log before `V` existed and can only ever try versions `<= V`, which
 * are all taken: that run can never commit the file (its next commit fails
 * with a conflict), so deleting it loses nothing. A run that read the log
 * after `V` (and may commit `V + 1`) staged its files after `V`, so none of
 * them is in the survey. Files that any entry lists are kept either way
 * (rolling those forward is `recover()`'s job), and so is everything of the
 * cleaner's own run. Held files of a `replace` sweep are listed by their
 * entry, so they stay until published.
 *
 * A concurrent run that loses this way learns it at its next commit
 * (a conflict, or a staged file reported missing), never by a silent loss.
 *
 * @module
 */
import type { CommitEntry } from "./_commit_entry.ts";
import type { Leftover, Storage } from "./storage.ts";

/** What a survey saw: staged files, and leftovers of unfinished writes. */
export interface StagingSurvey {
  /** Visible files under the staging folder. */
  staged: string[];
  /** Temp files and folders under the staging and log folders, deepest first. */
  leftovers: Leftover[];
}

/**
 * Look at the staging folder (`<stream>/_staging/`) and the log folder
 * (`<stream>/_log/`) before committing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { surveyStaging } from "./_staging_sweep.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   await lake.put("s/_staging/run-1/a.parquet", new Uint8Array(1));
 *   const survey = await surveyStaging(lake, "s/_staging/", "s/_log/");
 *   assert.deepEqual(survey.staged, ["s/_staging/run-1/a.parquet"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function surveyStaging(
  storage: Storage,
  staging: string,
  log: string,
): Promise<StagingSurvey> {
  const staged = await storage.list(staging);
  const leftovers = storage.leftovers
    ? [
      ...await storage.leftovers(staging),
      // The log holds only entries: folders there are not the runs'.
      ...(await storage.leftovers(log)).filter((l) => !l.path.endsWith("/")),
    ]
    : [];
  return { staged, leftovers };
}

/**
 * Discard what `survey` saw that no entry lists and that is not under
 * `own` (this run's staging folder, ending with `/`). Call it only after
 * this run's commit created the entry following every one in `entries`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sweepStaging } from "./_staging_sweep.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   await lake.put("s/_staging/dead/a.parquet", new Uint8Array(1));
 *   await sweepStaging(
 *     lake,
 *     { staged: ["s/_staging/dead/a.parquet"], leftovers: [] },
 *     [],
 *     "s/_staging/me/",
 *   );
 *   assert.deepEqual(await lake.list("s/"), []);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function sweepStaging(
  storage: Storage,
  survey: StagingSurvey,
  entries: readonly CommitEntry[],
  own: string,
): Promise<void> {
  const listed = new Set<string>();
  for (const e of entries) for (const f of e.add) listed.add(f.staged);
  for (const path of survey.staged) {
    if (!path.startsWith(own) && !listed.has(path)) {
      await storage.delete(path);
    }
  }
  // Files first, then their folders (deepest first): a folder goes once empty.
  for (const l of survey.leftovers) {
    if (!l.path.startsWith(own)) await l.discard();
  }
}
