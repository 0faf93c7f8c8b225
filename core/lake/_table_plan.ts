/**
 * What one commit of a stream's table changes, checked before anything is
 * written: the files it adds (data files into the table, NDJSON files into
 * the archive list, or held back by a `replace` sweep), the held files it
 * publishes, and the live files it removes.
 *
 * @module
 */
import type { CommitFile, CommitRequest } from "./commit_request.ts";
import type { ListedFile } from "./_table_summary.ts";

/** The change, in storage paths. */
export interface TablePlan {
  /** Parquet files entering the table (published, then added). */
  data: ListedFile[];
  /** NDJSON files entering the archive list. */
  archive: ListedFile[];
  /** The scope's held files after the commit. */
  held: ListedFile[];
  /** Live Parquet files to drop. */
  removeData: string[];
  /** Live archive files to drop. */
  removeArchive: ListedFile[];
  /** The files as the commit reports them. */
  files: CommitFile[];
}

/** Where the committing run may have written. */
export interface PlanScope {
  /** `"connector/stream"`. */
  prefix: string;
  runId: string;
  /** The scope's folders (`…/data/`, `…/archive/`), ending with `/`. */
  dirs: readonly string[];
  /** This run's files that exist now. */
  present: ReadonlySet<string>;
  /** The storage's root, for messages. */
  root: string;
}

const isParquet = (path: string) => path.endsWith(".parquet");

function checkAdd(
  f: { staged: string; records: number; bytes: number },
  ctx: PlanScope,
  seen: Set<string>,
): void {
  const { staged: path, records, bytes } = f;
  const dir = ctx.dirs.find((d) =>
    typeof path === "string" && path.startsWith(d)
  );
  const name = dir === undefined ? "" : path.slice(dir.length);
  if (
    dir === undefined || name.includes("/") || !name.startsWith(`${ctx.runId}-`)
  ) {
    throw new TypeError(
      `Cannot commit ${
        JSON.stringify(path)
      }: not a file of run ${ctx.runId} (use stagingPath())`,
    );
  }
  if (seen.has(path)) throw new TypeError(`Cannot commit "${path}" twice`);
  seen.add(path);
  for (const [what, n] of [["records", records], ["bytes", bytes]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new TypeError(
        `Cannot commit "${path}": ${what} must be a non-negative integer`,
      );
    }
  }
  if (!ctx.present.has(path)) {
    throw new Error(
      `Cannot commit "${ctx.prefix}": file "${path}" is missing in ${ctx.root} (was it closed, or cleaned up by another run?)`,
    );
  }
}

/**
 * Plan `request` on top of the scope's `held` files and the `live` data
 * and archive files of the scope.
 */
export function planCommit(
  request: CommitRequest,
  held: readonly ListedFile[],
  live: { data: ReadonlySet<string>; archive: ReadonlyMap<string, ListedFile> },
  ctx: PlanScope,
): TablePlan {
  const plan: TablePlan = {
    data: [],
    archive: [],
    held: [],
    removeData: [],
    removeArchive: [],
    files: [],
  };
  const heldBy = new Map(held.map((f) => [f.path, f]));
  const seen = new Set<string>();
  for (const path of request.publish ?? []) {
    const f = heldBy.get(path);
    if (f === undefined) {
      throw new TypeError(
        `Cannot publish ${
          JSON.stringify(path)
        } in "${ctx.prefix}": no commit holds it`,
      );
    }
    if (seen.has(path)) throw new TypeError(`Cannot publish "${path}" twice`);
    seen.add(path);
    heldBy.delete(path);
    (isParquet(path) ? plan.data : plan.archive).push(f);
    plan.files.push({ path, staged: path, records: f.records, bytes: f.bytes });
  }
  const hold = request.hold === true;
  for (const a of request.add) {
    checkAdd(a, ctx, seen);
    const f = { path: a.staged, records: a.records, bytes: a.bytes };
    if (hold) heldBy.set(f.path, f);
    else (isParquet(f.path) ? plan.data : plan.archive).push(f);
    plan.files.push({
      path: f.path,
      staged: f.path,
      records: f.records,
      bytes: f.bytes,
      ...(hold ? { held: true as const } : {}),
    });
  }
  plan.held = [...heldBy.values()];
  for (const r of request.remove ?? []) {
    const archived = live.archive.get(r);
    if (archived) plan.removeArchive.push(archived);
    else if (live.data.has(r)) plan.removeData.push(r);
    else {
      throw new TypeError(
        `Cannot commit "${ctx.prefix}": "${r}" is not a live file of it`,
      );
    }
  }
  return plan;
}
