/**
 * One commit of a stream's table: the plan, the merge's position deletes,
 * the snapshot, and the retry when another scope (a shard) committed first.
 *
 * @module
 */
import { commitSnapshot } from "../iceberg/commit_snapshot.ts";
import { CommitConflictError as TableConflict } from "../iceberg/commit_conflict_error.ts";
import { currentSchema, liveFiles } from "../iceberg/current_snapshot.ts";
import type { KeyIndex } from "../iceberg/key_index.ts";
import { positionDeleteFile } from "../iceberg/position_deletes.ts";
import {
  type IcebergTable,
  loadTable,
  metadataPath,
} from "../iceberg/table.ts";
import type { TableFile } from "../iceberg/types.ts";
import { planCommit, type TablePlan } from "./_table_plan.ts";
import { fileKeys, tableIndex } from "./_table_keys.ts";
import {
  archiveFiles,
  type ScopeHead,
  scopeHead,
  summaryOf,
} from "./_table_summary.ts";
import { LAKE_TYPES, type TableColumns } from "./_table_columns.ts";
import { CommitConflictError } from "./commit_conflict_error.ts";
import type { CommitRequest } from "./commit_request.ts";
import type { Storage } from "./storage.ts";

/** Commits redone on top of other scopes' commits before giving up. */
const MAX_ATTEMPTS = 16;

/** Who commits. */
export interface CommitterContext {
  prefix: string;
  runId: string;
  scope: string;
  /** The scope's folders: data, archive. */
  dirs: readonly string[];
  now: () => number;
}

/** The table a commit made, and what it changed. */
export interface Committed {
  table: IcebergTable;
  plan: TablePlan;
}

/** Makes the commits of one run and scope. */
export class TableCommitter {
  readonly #storage: Storage;
  readonly #ctx: CommitterContext;
  // The key index of the table at `version` (a merge's), and each file's keys.
  #index: { version: number; index: KeyIndex } | undefined;
  readonly #keys = new Map<string, string[]>();
  #deletes = 0;

  constructor(storage: Storage, ctx: CommitterContext) {
    this.#storage = storage;
    this.#ctx = ctx;
  }

  /** Commit `request` on `table` (the scope's newest commit is `head`). */
  async commit(
    loaded: IcebergTable,
    head: ScopeHead | undefined,
    columns: TableColumns,
    request: CommitRequest,
  ): Promise<Committed> {
    const plan = await this.#plan(loaded, head, request);
    let table = loaded;
    for (let attempt = 1;; attempt++) {
      try {
        const next = await this.#attempt(table, columns, request, plan);
        columns.committed(
          currentSchema(next)!,
          next.metadata!["last-column-id"],
        );
        return { table: next, plan };
      } catch (err) {
        if (!(err instanceof TableConflict)) throw err;
        const fresh = await loadTable(this.#storage, this.#ctx.prefix);
        const moved = scopeHead(fresh, this.#ctx.scope, "")?.snapshot;
        if (
          attempt >= MAX_ATTEMPTS ||
          moved?.["snapshot-id"] !== head?.snapshot["snapshot-id"] ||
          !columns.rebase(
            currentSchema(fresh),
            fresh.metadata?.["last-column-id"] ?? 0,
          )
        ) {
          throw new CommitConflictError(
            this.#ctx.scope
              ? `${this.#ctx.prefix} [${this.#ctx.scope}]`
              : this.#ctx.prefix,
            table.version + 1,
            metadataPath(this.#ctx.prefix, table.version + 1),
            { cause: err },
          );
        }
        table = fresh;
      }
    }
  }

  async #plan(
    table: IcebergTable,
    head: ScopeHead | undefined,
    request: CommitRequest,
  ): Promise<TablePlan> {
    const { prefix, runId, dirs } = this.#ctx;
    const present = new Set<string>();
    if (request.add.length > 0) {
      for (const dir of dirs) {
        for (const p of await this.#storage.list(`${dir}${runId}-`)) {
          present.add(p);
        }
      }
    }
    const live = {
      data: new Set<string>(),
      archive: new Map(
        archiveFiles(table, this.#ctx.scope, prefix).map((f) => [
          f.path,
          f,
        ]),
      ),
    };
    if ((request.remove?.length ?? 0) > 0) {
      for (const f of (await liveFiles(table)).data) {
        live.data.add(`${prefix}/${f.path}`);
      }
    }
    return planCommit(request, head?.held ?? [], live, {
      prefix,
      runId,
      dirs,
      present,
      root: this.#storage.root,
    });
  }

  async #attempt(
    table: IcebergTable,
    columns: TableColumns,
    request: CommitRequest,
    plan: TablePlan,
  ): Promise<IcebergTable> {
    const { prefix, runId, scope } = this.#ctx;
    const rel = (p: string) => p.slice(prefix.length + 1);
    const dataFiles: TableFile[] = plan.data.map((f) => ({
      path: rel(f.path),
      recordCount: f.records,
      sizeBytes: f.bytes,
    }));
    const removeFiles = await this.#removed(table, plan);
    const merged = request.merge && dataFiles.length > 0
      ? await this.#mergeDeletes(table, dataFiles, removeFiles, request.merge)
      : undefined;
    try {
      const next = await commitSnapshot(table, {
        operation: removeFiles.length > 0 || merged?.file ? "merge" : "append",
        dataFiles,
        deleteFiles: merged?.file ? [merged.file] : [],
        removeFiles,
        schema: columns.evolved,
        // Another shard's columns (a commit rebased on it) keep their types.
        properties: {
          [LAKE_TYPES]: JSON.stringify({
            ...JSON.parse(table.metadata?.properties[LAKE_TYPES] ?? "{}"),
            ...columns.types,
          }),
        },
        summary: summaryOf({
          scope,
          runId,
          state: request.state,
          held: plan.held,
          archiveAdded: plan.archive,
          archiveRemoved: plan.removeArchive,
        }, prefix),
        now: this.#ctx.now,
      });
      this.#index = merged && removeFiles.length === 0
        ? { version: next.version, index: merged.index }
        : undefined;
      return next;
    } catch (err) {
      if (merged?.file) {
        await this.#storage.delete(`${prefix}/${merged.file.path}`)
          .catch(() => {});
      }
      throw err;
    }
  }

  /**
   * The table-relative files a plan removes: the data files it names, and
   * with every data file of the scope gone, the scope's delete files too.
   */
  async #removed(table: IcebergTable, plan: TablePlan): Promise<string[]> {
    if (plan.removeData.length === 0) return [];
    const prefix = this.#ctx.prefix;
    const gone = new Set(plan.removeData);
    const { data, deletes } = await liveFiles(table);
    const dir = this.#ctx.dirs[0]!;
    const mine = (p: string) =>
      `${prefix}/${p}`.startsWith(dir) &&
      !`${prefix}/${p}`.slice(dir.length).includes("/");
    const scope = data.filter((f) => mine(f.path));
    const live = new Set(scope.map((f) => `${prefix}/${f.path}`));
    if (plan.removeData.some((p) => !live.has(p))) {
      // Redone on top of a compaction, which rewrote files of the scope
      // into new ones in its folder. Only a full refresh removes files,
      // and it removes all of the scope's: so it still does.
      return [...scope, ...deletes.filter((f) => mine(f.path))].map((f) =>
        f.path
      );
    }
    const all = scope.every((f) => gone.has(`${prefix}/${f.path}`));
    return [
      ...plan.removeData.map((p) => p.slice(prefix.length + 1)),
      ...(all ? deletes.filter((f) => mine(f.path)).map((f) => f.path) : []),
    ];
  }

  /** The position deletes of a merge adding `files`, written to a delete file. */
  async #mergeDeletes(
    table: IcebergTable,
    files: readonly TableFile[],
    removed: readonly string[],
    key: readonly string[],
  ): Promise<{ index: KeyIndex; file: TableFile | undefined }> {
    const { prefix, runId } = this.#ctx;
    let index: KeyIndex;
    if (removed.length === 0 && this.#index?.version === table.version) {
      index = this.#index.index.clone();
    } else {
      index = await tableIndex(this.#storage, table, key, new Set(removed));
    }
    const deletes = [];
    for (const f of files) {
      let keys = this.#keys.get(f.path);
      if (keys === undefined) {
        keys = await fileKeys(this.#storage, `${prefix}/${f.path}`, key);
        this.#keys.set(f.path, keys);
      }
      deletes.push(...index.add(f.path, keys));
    }
    if (deletes.length === 0) return { index, file: undefined };
    const dir = this.#ctx.dirs[0]!.slice(prefix.length + 1);
    const name = `${dir}${runId}-deletes-${
      String(++this.#deletes).padStart(5, "0")
    }.parquet`;
    return { index, file: await positionDeleteFile(table, name, deletes) };
  }
}
