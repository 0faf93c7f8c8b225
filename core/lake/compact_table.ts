/**
 * Compaction of a stream's table: its small data files rewritten into
 * larger ones with its position deletes applied, committed as an Iceberg
 * `replace` snapshot holding exactly the rows the current one holds.
 *
 * @module
 */
import { CommitConflictError } from "../iceberg/commit_conflict_error.ts";
import { commitSnapshot } from "../iceberg/commit_snapshot.ts";
import {
  currentSchema,
  currentSnapshot,
  liveFiles,
} from "../iceberg/current_snapshot.ts";
import { type IcebergTable, loadTable, uriOf } from "../iceberg/table.ts";
import type { IcebergSchema, LiveFile, TableFile } from "../iceberg/types.ts";
import { folderOf, plan } from "./_compact_plan.ts";
import { type DuckConnection, rewriteFiles } from "./_compact_rewrite.ts";
import type { Storage } from "./storage.ts";

/**
 * Options for {@linkcode compactTable}.
 *
 * @example
 * ```ts
 * import type { CompactOptions } from "./compact_table.ts";
 * const o: CompactOptions = { targetFileBytes: 64 * 1024 * 1024 };
 * ```
 */
export interface CompactOptions {
  /**
   * The size files are rewritten up to; a data file of at least three
   * quarters of it and without deletes is left as it is.
   * @default {128 MiB}
   */
  readonly targetFileBytes?: number;
  /** Tries when pulls commit meanwhile, before giving up. @default {5} */
  readonly attempts?: number;
  /**
   * Called after the new files are written and before they are committed
   * (a test commits a racing pull here).
   * @default {nothing}
   */
  readonly beforeCommit?: () => Promise<void>;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  readonly now?: () => number;
}

/**
 * What {@linkcode compactTable} did. `rowsWritten` is always `rowsRead -
 * rowsDeleted`: a compaction that would write anything else is refused.
 *
 * @example
 * ```ts
 * import type { CompactReport } from "./compact_table.ts";
 * const same = (r: CompactReport) => r.rowsWritten === r.rowsRead - r.rowsDeleted;
 * ```
 */
export interface CompactReport {
  /** `"connector/stream"`. */
  readonly stream: string;
  /** The table's metadata version after it (unchanged when nothing was to do). */
  readonly version: number;
  /** Data files rewritten (removed from the table). */
  readonly filesRead: number;
  /** Delete files applied (removed from the table). */
  readonly deleteFilesRemoved: number;
  /** Data files written. */
  readonly filesWritten: number;
  /** Rows in the files rewritten. */
  readonly rowsRead: number;
  /** Rows of those deleted by position deletes. */
  readonly rowsDeleted: number;
  /** Rows written. */
  readonly rowsWritten: number;
  /** Tries it took (a pull committing meanwhile costs one). */
  readonly attempts: number;
}

const MIB = 1024 * 1024;

/**
 * Compact the table of the stream at `prefix` (`"connector/stream"`):
 * rewrite its small data files (and every data file its position deletes
 * name) into files of up to `targetFileBytes`, without the deleted rows,
 * and commit them as a `replace` snapshot that removes the files read and
 * every delete file. The rows do not change, nor does the stream's state:
 * the snapshot carries no `inlet.state`, so each scope's state stays its
 * last pull's and the next pull resumes exactly there.
 *
 * The commit is the conditional create of the next metadata version.
 * When a pull commits first, the rewrite is redone on top of the new
 * snapshot (its deletes may name rows just rewritten, and the pull's
 * clean-up may delete files it saw before its commit that no snapshot
 * listed, such as this rewrite's) if the files it read are all still
 * live; otherwise (a full refresh replaced them) it stops with an error
 * and the table unchanged. Rows written are counted against rows read
 * less rows deleted, file by file, before anything is committed.
 *
 * Older snapshots keep their files for time travel until they expire
 * ({@linkcode expireTable}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compactTable } from "./compact_table.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const r = await compactTable(new LocalStorage(dir), "demo/items");
 *   assert.equal(r.filesRead, 0); // No table yet: nothing to do.
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function compactTable(
  storage: Storage,
  prefix: string,
  options: CompactOptions = {},
): Promise<CompactReport> {
  const target = options.targetFileBytes ?? 128 * MIB;
  const attempts = options.attempts ?? 5;
  if (!(target > 0) || !Number.isSafeInteger(attempts) || attempts < 1) {
    throw new RangeError(
      `Cannot compact ${prefix}: targetFileBytes must be positive and attempts a positive integer`,
    );
  }
  // Loaded only here: a pull never loads DuckDB (its jobs drop it).
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const tmp = await Deno.makeTempDir({ prefix: "inlet-compact-" });
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    let table = await loadTable(storage, prefix);
    for (let attempt = 1;; attempt++) {
      const done = await compactOnce(
        { storage, conn, tmp, target, options },
        table,
        attempt,
      );
      if (!("conflict" in done)) return done;
      const fresh = await loadTable(storage, prefix);
      const now = await liveFiles(fresh);
      const live = new Set([...now.data, ...now.deletes].map((f) => f.path));
      const gone = done.read.filter((p) => !live.has(p));
      if (gone.length > 0 || attempt >= attempts) {
        throw new Error(
          gone.length > 0
            ? `Cannot compact ${storage.root}/${prefix}: a pull committed meanwhile and removed ${
              gone.slice(0, 3).join(", ")
            }${
              gone.length > 3 ? ` and ${gone.length - 3} more` : ""
            } (a full refresh); nothing was changed, run compact again`
            : `Cannot compact ${storage.root}/${prefix}: pulls committed during each of ${attempts} tries; nothing was changed, run compact again when the stream is not being pulled`,
          { cause: done.conflict },
        );
      }
      table = fresh;
    }
  } finally {
    conn.closeSync();
    db.closeSync();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

interface Ctx {
  storage: Storage;
  conn: DuckConnection;
  tmp: string;
  target: number;
  options: CompactOptions;
}

/** One try: rewrite, commit; a lost race returns the files it read. */
async function compactOnce(
  ctx: Ctx,
  table: IcebergTable,
  attempt: number,
): Promise<CompactReport | { conflict: unknown; read: string[] }> {
  const nothing = {
    stream: table.path,
    version: table.version,
    filesRead: 0,
    deleteFilesRemoved: 0,
    filesWritten: 0,
    rowsRead: 0,
    rowsDeleted: 0,
    rowsWritten: 0,
    attempts: attempt,
  };
  const snapshot = currentSnapshot(table);
  const schema = currentSchema(table);
  if (snapshot === undefined || schema === undefined) return nothing;
  const { data, deletes } = await liveFiles(table);
  const deleteLocal: string[] = [];
  for (const [i, f] of deletes.entries()) {
    deleteLocal.push(await download(ctx, table, f, `a${attempt}-x${i}`));
  }
  const named = await namedFiles(ctx, table, data, deleteLocal);
  const p = plan(data, deletes, named, ctx.target);
  if (p.bins.length === 0 && p.deleteFiles.length === 0) return nothing;
  const written: TableFile[] = [];
  const stamp = new Date((ctx.options.now ?? Date.now)()).toISOString()
    .replace(/[-:]/g, "");
  const id = crypto.randomUUID().slice(0, 8);
  try {
    const counts = await rewriteBins(ctx, table, p.bins, deleteLocal, {
      attempt,
      written,
      name: `compact-${stamp}-${id}`,
      schema,
    });
    await ctx.options.beforeCommit?.();
    const next = await commitSnapshot(table, {
      operation: "replace",
      dataFiles: written,
      removeFiles: p.remove,
      summary: {
        "inlet.compaction": JSON.stringify(counts),
      },
      ...(ctx.options.now ? { now: ctx.options.now } : {}),
    });
    return {
      stream: table.path,
      version: next.version,
      filesRead: p.bins.flat().length,
      deleteFilesRemoved: p.deleteFiles.length,
      filesWritten: written.length,
      ...counts,
      attempts: attempt,
    };
  } catch (err) {
    // Never committed: ours to remove (a later pull's sweep would too).
    await Promise.allSettled(
      written.map((f) => ctx.storage.delete(`${table.path}/${f.path}`)),
    );
    if (err instanceof CommitConflictError) {
      return { conflict: err, read: p.remove };
    }
    throw err;
  }
}

/** Copy a table file to the temp folder; its local path. */
async function download(
  ctx: Ctx,
  table: IcebergTable,
  f: TableFile,
  name: string,
): Promise<string> {
  const bytes = await ctx.storage.get(`${table.path}/${f.path}`);
  if (bytes === undefined) {
    throw new Error(
      `Cannot compact ${ctx.storage.root}/${table.path}: ${f.path} is listed by the table but missing`,
    );
  }
  const path = `${ctx.tmp}/${name}.parquet`;
  await Deno.writeFile(path, bytes);
  return path;
}

/** The live data files (table-relative) the delete files name. */
async function namedFiles(
  ctx: Ctx,
  table: IcebergTable,
  data: readonly LiveFile[],
  deleteLocal: readonly string[],
): Promise<Set<string>> {
  const named = new Set<string>();
  if (deleteLocal.length === 0) return named;
  const rows = (await ctx.conn.runAndReadAll(
    `SELECT DISTINCT file_path FROM read_parquet([${
      deleteLocal.map((p) => `'${p.replaceAll("'", "''")}'`).join(", ")
    }])`,
  )).getRows();
  const byUri = new Map(data.map((f) => [uriOf(table, f.path), f.path]));
  for (const [uri] of rows) {
    const path = byUri.get(String(uri));
    if (path !== undefined) named.add(path);
  }
  return named;
}

/** Rewrite each bin into one file of its folder, uploaded; the row counts. */
async function rewriteBins(
  ctx: Ctx,
  table: IcebergTable,
  bins: readonly LiveFile[][],
  deleteLocal: readonly string[],
  out: {
    attempt: number;
    written: TableFile[];
    name: string;
    schema: IcebergSchema;
  },
): Promise<{ rowsRead: number; rowsDeleted: number; rowsWritten: number }> {
  let rowsRead = 0, rowsDeleted = 0, rowsWritten = 0;
  for (const [b, bin] of bins.entries()) {
    const files = [];
    for (const [i, f] of bin.entries()) {
      files.push({
        local: await download(ctx, table, f, `a${out.attempt}-b${b}-${i}`),
        uri: uriOf(table, f.path),
        records: f.recordCount,
      });
    }
    const local = `${ctx.tmp}/a${out.attempt}-out-${b}.parquet`;
    const n = await rewriteFiles(
      ctx.conn,
      files,
      deleteLocal,
      out.schema,
      local,
    );
    rowsRead += n.read;
    rowsDeleted += n.deleted;
    rowsWritten += n.written;
    if (n.written === 0) continue; // Every row was deleted.
    const path = `${folderOf(bin[0]!.path)}${out.name}-${
      String(b).padStart(5, "0")
    }.parquet`;
    const bytes = await Deno.readFile(local);
    await upload(ctx.storage, `${table.path}/${path}`, bytes);
    out.written.push({ path, recordCount: n.written, sizeBytes: bytes.length });
  }
  return { rowsRead, rowsDeleted, rowsWritten };
}

async function upload(storage: Storage, path: string, bytes: Uint8Array) {
  const sink = await storage.create(path);
  try {
    for (let off = 0; off < bytes.length; off += 8 * MIB) {
      await sink.write(bytes.subarray(off, off + 8 * MIB));
    }
    await sink.close();
  } catch (err) {
    await sink.abort().catch(() => {});
    throw err;
  }
}
