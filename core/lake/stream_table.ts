/**
 * The commit protocol: a stream is an Apache Iceberg v2 table, and its data
 * files and state advance together, atomically, or not at all.
 *
 * Layout under a stream's folder (`<connector>/<stream>/`):
 * - `metadata/`: `v<N>.metadata.json`, `version-hint.text`, manifest lists
 *   and manifests (Avro): the file-system catalog every Iceberg reader opens.
 * - `data/`: Parquet data files and position delete files, written where
 *   they stay (`data/<scope>/` for a shard). Only the files a snapshot lists
 *   are the table's: readers of the table never glob.
 * - `archive/`: NDJSON files of a stream pulled with `--format ndjson`,
 *   which an Iceberg table cannot hold; commits list them in their summary.
 *
 * A commit: (1) the files are complete and durable; (2) the next metadata
 * version is created with a conditional write, which fails if that version
 * exists, so two writers can never both create it. That is the whole
 * commit: the snapshot's summary carries the stream's state
 * (`inlet.state`), so a run resumes from the state of exactly the files
 * that are in the table. When another writer took the version, the table is
 * re-loaded: if the same scope committed meanwhile this run's state is
 * stale ({@linkcode CommitConflictError}, and every later commit fails the
 * same way); if only another scope (a shard) did, the commit is redone on
 * top of it. A crash leaves files no snapshot lists, which the next run of
 * the scope deletes once its own first commit made sure no other run can
 * commit them (see `_table_sweep.ts`).
 *
 * @module
 */
import { ConfigError } from "../connector/errors.ts";
import { currentSchema, liveFiles } from "../iceberg/current_snapshot.ts";
import { retiredFiles } from "../iceberg/retired_files.ts";
import { type IcebergTable, loadTable } from "../iceberg/table.ts";
import type { TablePlan } from "./_table_plan.ts";
import {
  archiveFiles,
  type ListedFile,
  type ScopeHead,
  scopeHead,
} from "./_table_summary.ts";
import { LAKE_TYPES, TableColumns } from "./_table_columns.ts";
import { surveyTable, sweepTable, type TableSurvey } from "./_table_sweep.ts";
import { TableCommitter } from "./_table_commit.ts";
import type { Storage } from "./storage.ts";
import { CommitConflictError } from "./commit_conflict_error.ts";
import type {
  CommitEntry,
  CommitFile,
  CommitRequest,
} from "./commit_request.ts";
import type { StreamTableOptions } from "./stream_table_options.ts";

export type { CommitEntry, CommitFile, CommitRequest, StreamTableOptions };
export { CommitConflictError };
export { newRunId } from "./new_run_id.ts";

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The Iceberg table of one stream, as one run (and scope) commits to it.
 *
 * One instance per stream and run; its methods may be called concurrently
 * (they run one at a time). The table is loaded once, at the first call,
 * and then follows this instance's own commits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRunId, StreamTable } from "./stream_table.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   const table = new StreamTable(lake, "demo/items", { runId: newRunId() });
 *   await table.recover();
 *   const entry = await table.commit({ add: [], state: { lastId: 1 } });
 *   assert.equal(entry.version, 1);
 *   assert.deepEqual((await table.latest())?.state, { lastId: 1 });
 *   assert(await lake.get("demo/items/metadata/v1.metadata.json"));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class StreamTable {
  /** The stream's folder in the lake, `"connector/stream"`. */
  readonly prefix: string;
  /** This run's id. */
  readonly runId: string;
  /** The scope (`""`: the stream's own, unsharded). */
  readonly scope: string;
  readonly #storage: Storage;
  readonly #committer: TableCommitter;
  readonly #dirs: readonly string[];
  #table: IcebergTable | undefined;
  #columns: TableColumns | undefined;
  #conflict: CommitConflictError | undefined;
  // Dead runs' files are cleaned after this run's first commit.
  #swept = false;
  #queue: Promise<unknown> = Promise.resolve();

  /** The table of the stream at `prefix` (`"connector/stream"`) in `storage`. */
  constructor(storage: Storage, prefix: string, options: StreamTableOptions) {
    const parts = typeof prefix === "string" ? prefix.split("/") : [];
    if (parts.length === 0 || !parts.every((p) => SEGMENT.test(p))) {
      throw new TypeError(
        `Invalid stream prefix ${
          JSON.stringify(prefix)
        }: expected "connector/stream"`,
      );
    }
    if (typeof options?.runId !== "string" || !SEGMENT.test(options.runId)) {
      throw new TypeError(
        `Invalid runId ${JSON.stringify(options?.runId)}: one path segment`,
      );
    }
    if (options.scope !== undefined && !SEGMENT.test(options.scope)) {
      throw new TypeError(
        `Invalid scope ${JSON.stringify(options.scope)}: one path segment`,
      );
    }
    this.#storage = storage;
    this.prefix = prefix;
    this.runId = options.runId;
    this.scope = options.scope ?? "";
    const sub = this.scope ? `${this.scope}/` : "";
    this.#dirs = [`${prefix}/data/${sub}`, `${prefix}/archive/${sub}`];
    this.#committer = new TableCommitter(storage, {
      prefix,
      runId: this.runId,
      scope: this.scope,
      dirs: this.#dirs,
      now: options.now ?? Date.now,
    });
  }

  /** Where this run writes `fileName` (a Parquet file into `data/`, others into `archive/`). */
  stagingPath(fileName: string): string {
    if (
      typeof fileName !== "string" || !SEGMENT.test(fileName) ||
      !fileName.startsWith(`${this.runId}-`)
    ) {
      throw new TypeError(
        `Invalid file name ${
          JSON.stringify(fileName)
        }: one path segment starting with the run id and "-"`,
      );
    }
    const dir = fileName.endsWith(".parquet") ? this.#dirs[0] : this.#dirs[1];
    return `${dir}${fileName}`;
  }

  /** Where a state read from the table is, for messages. */
  where(): string {
    const v = this.#table?.version ?? 0;
    return `${this.#storage.root}/${this.prefix}/metadata/v${v}.metadata.json`;
  }

  /** The scope's newest commit (its `state` is the stream's), or `undefined` before any. */
  latest(): Promise<CommitEntry | undefined> {
    return this.#serial(async () => {
      const table = await this.#load();
      const head = this.#head(table);
      if (head === undefined) return undefined;
      return {
        version: head.snapshot["sequence-number"],
        runId: head.runId,
        committedAt: new Date(head.snapshot["timestamp-ms"]).toISOString(),
        add: [],
        remove: [],
        state: head.state,
      };
    });
  }

  /**
   * The scope's live files, in commit order: the Parquet data files of the
   * table in the scope's folder, then the scope's NDJSON archive files.
   */
  files(): Promise<string[]> {
    return this.#serial(async () => {
      const table = await this.#load();
      const live = await scopeFiles(table, this.#dirs[0]!);
      return [
        ...live.data,
        ...archiveFiles(table, this.scope, this.where()).map((f) => f.path),
      ];
    });
  }

  /** The table's columns, evolved by the files this run writes. */
  columns(): Promise<TableColumns> {
    return this.#serial(async () => {
      const table = await this.#load();
      this.#columns ??= new TableColumns(
        this.prefix,
        currentSchema(table),
        table.metadata?.["last-column-id"] ?? 0,
        lakeTypes(table),
      );
      return this.#columns;
    });
  }

  /**
   * Load the table before the run writes anything. Nothing is ever left
   * half-committed (a commit is one create), so there is nothing to finish;
   * a folder still holding the commit log of inlet before Iceberg is refused.
   */
  recover(): Promise<void> {
    return this.#serial(async () => void await this.#load());
  }

  /**
   * Commit the files and the new state as the table's next snapshot. Throws
   * {@linkcode CommitConflictError} when another run of the same scope
   * committed since this one loaded the table (nothing of this commit is
   * visible then). The first commit of a run also deletes what dead runs left.
   */
  commit(request: CommitRequest): Promise<CommitEntry> {
    return this.#serial(async () => {
      if (this.#conflict) throw this.#conflict;
      const table = await this.#load();
      const survey = this.#swept ? undefined : await this.#survey();
      const columns = this.#columns ??= new TableColumns(
        this.prefix,
        currentSchema(table),
        table.metadata?.["last-column-id"] ?? 0,
        lakeTypes(table),
      );
      const head = this.#head(table);
      let result;
      try {
        result = await this.#committer.commit(table, head, columns, request);
      } catch (err) {
        if (err instanceof CommitConflictError) {
          this.#table = undefined;
          this.#conflict = err;
        }
        throw err;
      }
      this.#table = result.table;
      await this.#afterCommit(result.plan, survey);
      const snapshot = result.table.metadata!;
      return {
        version: snapshot["last-sequence-number"],
        runId: this.runId,
        committedAt: new Date(snapshot["last-updated-ms"]).toISOString(),
        add: result.plan.files,
        remove: [
          ...result.plan.removeData,
          ...result.plan.removeArchive.map((f) => f.path),
        ],
        state: request.state === undefined ? null : request.state,
      };
    });
  }

  /** This run is done with the stream (its files need no tidying). */
  release(): Promise<void> {
    return this.#serial(() => Promise.resolve());
  }

  async #afterCommit(plan: TablePlan, survey: TableSurvey | undefined) {
    // Removed files are gone from the table: drop them (older snapshots
    // that listed them can no longer be read; see the README).
    for (const r of plan.removeData) await this.#storage.delete(r);
    for (const r of plan.removeArchive) await this.#storage.delete(r.path);
    if (!survey) return;
    try {
      const table = this.#table!;
      const live = await scopeFiles(table, this.#dirs[0]!);
      const keep = new Set<string>([
        ...live.data,
        ...live.deletes,
        ...archiveFiles(table, this.scope, this.where()).map((f) => f.path),
        ...(this.#head(table)?.held ?? []).map((f: ListedFile) => f.path),
        // Files a compaction (or a merge) removed stay for time travel
        // to the snapshots that list them, until those expire.
        ...[...await retiredFiles(table)].map((p) => `${table.path}/${p}`),
      ]);
      await sweepTable(this.#storage, survey, keep, `${this.runId}-`);
      this.#swept = true;
    } catch {
      // The commit stands; leftovers are harmless and the next commit retries.
    }
  }

  async #survey(): Promise<TableSurvey | undefined> {
    try {
      return await surveyTable(
        this.#storage,
        this.#dirs,
        `${this.prefix}/metadata/`,
      );
    } catch {
      return undefined; // Cleaning waits for the next commit.
    }
  }

  #head(table: IcebergTable): ScopeHead | undefined {
    return scopeHead(table, this.scope, this.where());
  }

  async #load(): Promise<IcebergTable> {
    if (this.#table) return this.#table;
    const legacy = (await this.#storage.list(`${this.prefix}/_log`))
      .find((p) => /^_log(\.[^/]+)?\//.test(p.slice(this.prefix.length + 1)));
    if (legacy !== undefined) {
      const log = legacy.slice(0, legacy.lastIndexOf("/"));
      throw new ConfigError(
        `Cannot open stream "${this.prefix}": its folder holds a commit log written by inlet before Iceberg (${this.#storage.root}/${log}); pull into a new lake or remove the folder`,
      );
    }
    this.#table = await loadTable(this.#storage, this.prefix);
    return this.#table;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => {});
    return result;
  }
}

/** The table property of each column's lake type. */
function lakeTypes(table: IcebergTable): Record<string, string> {
  const text = table.metadata?.properties[LAKE_TYPES];
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(
      `Cannot open the Iceberg table ${table.storage.root}/${table.path}: its property ${LAKE_TYPES} is not JSON`,
    );
  }
}

/**
 * The live data and delete files of `table` in the folder `dir` (storage
 * paths; directly in it, not in a scope's sub-folder), in commit order.
 */
export async function scopeFiles(
  table: IcebergTable,
  dir: string,
): Promise<{ data: string[]; deletes: string[] }> {
  const { data, deletes } = await liveFiles(table);
  const inDir = (rel: string) => {
    const path = `${table.path}/${rel}`;
    return path.startsWith(dir) && !path.slice(dir.length).includes("/");
  };
  const order = <T extends { sequenceNumber: number }>(files: T[]) =>
    files.map((f, i) => ({ f, i })).sort((a, b) =>
      a.f.sequenceNumber - b.f.sequenceNumber || a.i - b.i
    ).map(({ f }) => f);
  return {
    data: order(data).filter((f) => inDir(f.path)).map((f) =>
      `${table.path}/${f.path}`
    ),
    deletes: order(deletes).filter((f) => inDir(f.path)).map((f) =>
      `${table.path}/${f.path}`
    ),
  };
}
