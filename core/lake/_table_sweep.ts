/**
 * Cleaning a stream's table folder of what dead runs left: data and delete
 * files no snapshot lists, NDJSON archive files no commit lists, and temp
 * files of unfinished writes.
 *
 * Why it is safe, even with another run of the same scope writing right
 * now. A run loads the table before it writes anything (`runStream` reads
 * the stream's state first), and it can only commit on top of the scope's
 * last commit as it loaded it: a commit is the conditional create of the
 * next metadata version, and a run that lost that race re-loads and gives
 * up (a conflict) when its own scope moved meanwhile. The cleaner surveys
 * the folders *before* its commit and discards what it saw only once that
 * commit (the scope's newest) succeeded. Every file in the survey existed
 * before that commit, so its run loaded the table before it and can never
 * commit the file (its next commit is a conflict), and deleting it loses
 * nothing. A run that loaded the table after the commit wrote its files
 * after the survey, so none of them is in it. Files the table lists (in
 * any snapshot: a compaction's old files stay for time travel), the
 * scope's held files and the cleaner's own run's files are kept.
 *
 * A compaction writes into the scope's folder too, and is no run of the
 * scope: it never commits a file it wrote before another commit of the
 * table won its race (it rewrites them on top of that commit), so a file of
 * it in a survey either made it into the table before the cleaner's commit
 * or will never be committed.
 *
 * Runs of other scopes (shards) write under their own folders
 * (`data/<scope>/`), which this scope's survey never looks at.
 *
 * @module
 */
import type { Leftover, Storage } from "./storage.ts";

/** What a survey saw. */
export interface TableSurvey {
  /** Data, delete and archive files in the scope's folders. */
  files: string[];
  /** Temp files of unfinished writes there and in `metadata/`, deepest first. */
  leftovers: Leftover[];
}

/** Whether `path` is directly in `dir` (no sub-folder: other scopes' files). */
const directlyIn = (dir: string) => (path: string) =>
  path.startsWith(dir) && !path.slice(dir.length).includes("/");

/**
 * Look at the scope's folders `dirs` (each ending with `/`) and the table's
 * `metadata/` folder before committing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { surveyTable } from "./_table_sweep.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   await lake.put("s/data/run-1.parquet", new Uint8Array(1));
 *   await lake.put("s/data/shard-1-of-2/run-2.parquet", new Uint8Array(1));
 *   const survey = await surveyTable(lake, ["s/data/"], "s/metadata/");
 *   assert.deepEqual(survey.files, ["s/data/run-1.parquet"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function surveyTable(
  storage: Storage,
  dirs: readonly string[],
  metadata: string,
): Promise<TableSurvey> {
  const files: string[] = [];
  const leftovers: Leftover[] = [];
  for (const dir of dirs) {
    files.push(...(await storage.list(dir)).filter(directlyIn(dir)));
    if (storage.leftovers) {
      leftovers.push(
        ...(await storage.leftovers(dir)).filter((l) =>
          directlyIn(dir)(l.path.replace(/\/$/, ""))
        ),
      );
    }
  }
  if (storage.leftovers) {
    // The metadata folder holds only files: folders there are not the runs'.
    leftovers.push(
      ...(await storage.leftovers(metadata)).filter((l) =>
        !l.path.endsWith("/")
      ),
    );
  }
  return { files, leftovers };
}

/**
 * Discard what `survey` saw that `keep` does not hold and that is not this
 * run's (a name starting with `own`). Call it only after this run's commit
 * became its scope's newest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sweepTable } from "./_table_sweep.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   await lake.put("s/data/dead-00000.parquet", new Uint8Array(1));
 *   await lake.put("s/data/live-00000.parquet", new Uint8Array(1));
 *   await sweepTable(
 *     lake,
 *     { files: ["s/data/dead-00000.parquet", "s/data/live-00000.parquet"], leftovers: [] },
 *     new Set(["s/data/live-00000.parquet"]),
 *     "me-",
 *   );
 *   assert.deepEqual(await lake.list("s/"), ["s/data/live-00000.parquet"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function sweepTable(
  storage: Storage,
  survey: TableSurvey,
  keep: ReadonlySet<string>,
  own: string,
): Promise<void> {
  // A temp file is named `.<final name>.<hex>.tmp`.
  const mine = (path: string) =>
    path.slice(path.lastIndexOf("/", path.length - 2) + 1).replace(/^\./, "")
      .startsWith(own);
  for (const path of survey.files) {
    if (!keep.has(path) && !mine(path)) await storage.delete(path);
  }
  for (const l of survey.leftovers) {
    if (!mine(l.path)) await l.discard();
  }
}
