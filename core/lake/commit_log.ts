/**
 * The commit protocol: data files and stream state advance together,
 * atomically, or not at all.
 *
 * Layout under a stream's folder (`<connector>/<stream>/`):
 * - `*.parquet`, `*.ndjson.zst`, ...: committed data, readable by a glob.
 * - `_staging/<runId>/...`: files written but not committed; no glob sees them.
 * - `_log/<version, 20 digits>.json`: one entry per commit, listing the files
 *   it added and removed and the stream's state after it.
 *
 * A commit: (1) the data files are complete and durable in `_staging`; (2) the
 * next entry is created with a conditional write, which fails if that version
 * exists, so two runs can never both commit it; (3) roll forward: the staged
 * files move to their final names and removed files are deleted. A crash
 * after (2) is finished by the next run's {@linkcode CommitLog.recover}; a
 * crash before it leaves only staged files (and temp files of unfinished
 * writes), which the next run deletes once its own first commit has made
 * sure that no other run can commit them (see `_staging_sweep.ts`).
 *
 * Final names are `<runId>-<seq>.<ext>`, assigned at commit: `runId` starts
 * with the run's UTC start time (see {@linkcode newRunId}) and `seq` counts the
 * run's committed files, so names sort in commit order across runs (as long
 * as runs do not overlap and clocks do not run backwards) and never collide.
 *
 * @module
 */
import { exactJson } from "../connector/exact_json.ts";
import { pad } from "./_paths.ts";
import {
  type CommitEntry,
  type CommitFile,
  corruptEntry,
  parseEntry,
} from "./_commit_entry.ts";
import { liveFiles, planAdds } from "./_commit_plan.ts";
import {
  type StagingSurvey,
  surveyStaging,
  sweepStaging,
} from "./_staging_sweep.ts";
import { pooledMap } from "../async/pool.ts";
import type { Storage } from "./storage.ts";
import { CommitConflictError } from "./commit_conflict_error.ts";
import type { CommitRequest } from "./commit_request.ts";
import type { CommitLogOptions } from "./commit_log_options.ts";

export type { CommitEntry, CommitFile, CommitLogOptions, CommitRequest };
export { CommitConflictError };
export { newRunId } from "./new_run_id.ts";

/** Log entries read at once when a log is loaded. */
const LOAD_CONCURRENCY = 16;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ENTRY_NAME = /^\d{20}\.json$/;

/**
 * The commit log of one stream.
 *
 * One instance per stream and run; its methods may be called concurrently
 * (they run one at a time). The log is read once, at the first call, and
 * then follows this instance's own commits: a commit is made against that
 * snapshot, so if another run committed meanwhile the conditional create
 * fails with {@linkcode CommitConflictError}, and every later `commit()` of
 * this instance fails the same way (its state is stale; stop the run).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommitLog, newRunId } from "./commit_log.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   const log = new CommitLog(lake, "demo/items", { runId: newRunId() });
 *   await log.recover();
 *   const staged = log.stagingPath("part-1.ndjson");
 *   await lake.put(staged, new TextEncoder().encode('{"id":1}\n'));
 *   const entry = await log.commit({
 *     add: [{ staged, records: 1, bytes: 9 }],
 *     state: { lastId: 1 },
 *   });
 *   assert(entry.version === 1);
 *   assert((await log.files())[0] === entry.add[0]?.path);
 *   assert(JSON.stringify((await log.latest())?.state) === '{"lastId":1}');
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class CommitLog {
  /** The stream's folder in the lake, `"connector/stream"`. */
  readonly prefix: string;
  /** This run's id. */
  readonly runId: string;
  readonly #storage: Storage;
  readonly #now: () => number;
  readonly #log: string;
  readonly #staging: string;
  #entries: CommitEntry[] | undefined;
  #conflict: CommitConflictError | undefined;
  // Dead runs' staged files are cleaned after this run's first commit.
  #swept = false;
  #queue: Promise<unknown> = Promise.resolve();

  /** A log for the stream at `prefix` (`"connector/stream"`) in `storage`. */
  constructor(storage: Storage, prefix: string, options: CommitLogOptions) {
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
    this.#storage = storage;
    this.prefix = prefix;
    this.runId = options.runId;
    this.#now = options.now ?? Date.now;
    if (options.scope !== undefined && !SEGMENT.test(options.scope)) {
      throw new TypeError(
        `Invalid scope ${JSON.stringify(options.scope)}: one path segment`,
      );
    }
    const suffix = options.scope ? `.${options.scope}` : "";
    this.#log = `_log${suffix}`;
    this.#staging = `_staging${suffix}`;
  }

  /** Where this run stages `fileName` before committing it. */
  stagingPath(fileName: string): string {
    if (typeof fileName !== "string" || !SEGMENT.test(fileName)) {
      throw new TypeError(
        `Invalid staged file name ${
          JSON.stringify(fileName)
        }: one path segment`,
      );
    }
    return `${this.#stagingDir()}${fileName}`;
  }

  /** Every entry, oldest first. A corrupt entry is an error naming its file. */
  entries(): Promise<CommitEntry[]> {
    return this.#serial(async () => (await this.#load()).slice());
  }

  /** The newest entry (its `state` is the stream's state), or `undefined` before any commit. */
  latest(): Promise<CommitEntry | undefined> {
    return this.#serial(async () => (await this.#load()).at(-1));
  }

  /** Final paths of the committed data files still live (added, not removed), in commit order. */
  files(): Promise<string[]> {
    return this.#serial(async () => [...liveFiles(await this.#load())]);
  }

  /**
   * Finish what crashed runs committed: move the staged files of committed
   * entries to their final names, and delete removed files still present.
   * Reads and checks every entry before changing anything. Staged files no
   * entry lists are left to this run's first {@linkcode CommitLog.commit},
   * which deletes them once no other run can commit them any more.
   */
  recover(): Promise<void> {
    return this.#serial(async () => {
      const entries = await this.#load();
      const finalOf = new Map<string, string>();
      const held = new Set<string>();
      const removed = new Set<string>();
      for (const e of entries) {
        for (const f of e.add) {
          if (f.held) held.add(f.staged);
          else {
            held.delete(f.staged);
            finalOf.set(f.staged, f.path);
          }
        }
        for (const r of e.remove) removed.add(r);
      }
      const live = liveFiles(entries);
      const stream = await this.#storage.list(`${this.prefix}/`);
      for (const path of stream) {
        if (path.startsWith(`${this.prefix}/${this.#staging}/`)) {
          if (held.has(path)) continue; // Committed, waiting to be published.
          const final = finalOf.get(path);
          if (final !== undefined && live.has(final)) {
            await this.#storage.move(path, final);
          } else if (final !== undefined) {
            // Committed then removed before it ever moved.
            await this.#storage.delete(path);
          }
        } else if (removed.has(path) && !live.has(path)) {
          await this.#storage.delete(path);
        }
      }
    });
  }

  /**
   * Commit staged files and the new state as the next version, then make the
   * files visible. Throws {@linkcode CommitConflictError} when another run
   * took that version (nothing of this commit is visible then). The first
   * commit of a run also deletes what dead runs left in staging.
   */
  commit(request: CommitRequest): Promise<CommitEntry> {
    return this.#serial(async () => {
      if (this.#conflict) throw this.#conflict;
      const entries = await this.#load();
      const survey = this.#swept ? undefined : await this.#survey();
      const live = liveFiles(entries);
      const version = entries.length + 1;
      const add = await this.#planAdds(request, entries);
      const remove = [...(request.remove ?? [])];
      for (const r of remove) {
        if (!live.has(r)) {
          throw new TypeError(
            `Cannot commit "${this.prefix}": "${r}" is not a live file of it`,
          );
        }
      }
      const entry: CommitEntry = {
        version,
        runId: this.runId,
        committedAt: new Date(this.#now()).toISOString(),
        add,
        remove,
        state: request.state === undefined ? null : request.state,
        ...(request.meta === undefined ? {} : { meta: request.meta }),
      };
      const path = this.#entryPath(version);
      const bytes = new TextEncoder().encode(
        // A bigint in state (a cursor beyond 2^53) keeps every digit.
        exactJson(entry, 2) + "\n",
      );
      if (!(await this.#storage.putIfAbsent(path, bytes))) {
        // This run's view of the stream is stale: it must not commit again,
        // but its reads may show the log as it is now.
        this.#entries = undefined;
        this.#conflict = new CommitConflictError(this.prefix, version, path);
        throw this.#conflict;
      }
      entries.push(entry);
      for (const f of add) {
        if (!f.held) await this.#storage.move(f.staged, f.path);
      }
      for (const r of remove) await this.#storage.delete(r);
      if (survey) await this.#sweep(survey, entries);
      return entry;
    });
  }

  /**
   * This run is done with the stream: its own staging folder goes, if it
   * is empty (a store without folders has nothing to do).
   */
  release(): Promise<void> {
    return this.#serial(async () => {
      const own = this.#stagingDir();
      const found = await this.#storage.leftovers?.(
        `${this.prefix}/${this.#staging}/`,
      ) ?? [];
      for (const l of found) if (l.path === own) await l.discard();
    });
  }

  /** What staging and the log hold now, before this run's next entry exists. */
  async #survey(): Promise<StagingSurvey | undefined> {
    try {
      return await surveyStaging(
        this.#storage,
        `${this.prefix}/${this.#staging}/`,
        `${this.prefix}/${this.#log}/`,
      );
    } catch {
      return undefined; // Cleaning waits for the next commit.
    }
  }

  async #sweep(survey: StagingSurvey, entries: CommitEntry[]): Promise<void> {
    try {
      await sweepStaging(this.#storage, survey, entries, this.#stagingDir());
      this.#swept = true;
    } catch {
      // The commit stands; leftovers are harmless and the next commit retries.
    }
  }

  /** The files `request` adds, once sure this run's staging is still its own. */
  async #planAdds(
    request: CommitRequest,
    entries: CommitEntry[],
  ): Promise<CommitFile[]> {
    const own = this.#stagingDir();
    const staged = new Set(await this.#storage.list(own));
    const version = entries.length + 1;
    if (
      request.add.some((f) => !staged.has(f.staged)) &&
      await this.#storage.get(this.#entryPath(version)) !== undefined
    ) {
      // Another run took this version, and its first commit cleaned up the
      // staged files it found: this run's files, which it can never commit.
      this.#entries = undefined;
      this.#conflict = new CommitConflictError(
        this.prefix,
        version,
        this.#entryPath(version),
      );
      throw this.#conflict;
    }
    return planAdds(request, entries, {
      prefix: this.prefix,
      runId: this.runId,
      own,
      staged,
      root: this.#storage.root,
    });
  }

  #stagingDir(): string {
    return `${this.prefix}/${this.#staging}/${this.runId}/`;
  }

  #entryPath(version: number): string {
    return `${this.prefix}/${this.#log}/${pad(version, 20)}.json`;
  }

  /** The entries, read (and checked: names, order, shape) at the first call. */
  async #load(): Promise<CommitEntry[]> {
    // Read once: later commits are judged against this snapshot, which is
    // what lets the conditional create catch another run's commit.
    if (this.#entries) return this.#entries;
    const entries: CommitEntry[] = [];
    const paths = await this.#storage.list(`${this.prefix}/${this.#log}/`);
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] as string;
      const where = `${this.#storage.root}/${path}`;
      const name = path.slice(`${this.prefix}/${this.#log}/`.length);
      if (!ENTRY_NAME.test(name)) {
        throw corruptEntry(where, "not a commit entry name (<20 digits>.json)");
      }
      const version = Number(name.slice(0, 20));
      if (version !== i + 1) {
        throw corruptEntry(
          where,
          `expected version ${i + 1} here: entry ${
            this.#entryPath(i + 1)
          } is missing`,
        );
      }
    }
    // A stream pulled on a schedule gathers many entries, and an object
    // store answers each read in tens of milliseconds: read several at
    // once, then check them in order, so the first bad entry is named.
    const reads = pooledMap(
      paths,
      (path) => this.#storage.get(path),
      { concurrency: LOAD_CONCURRENCY },
    );
    let version = 0;
    for await (const bytes of reads) {
      const path = paths[version++] as string;
      const where = `${this.#storage.root}/${path}`;
      if (bytes === undefined) {
        throw corruptEntry(where, "vanished while reading the log");
      }
      entries.push(
        parseEntry(bytes, {
          where,
          version,
          prefix: this.prefix,
          staging: this.#staging,
        }),
      );
    }
    this.#entries = entries;
    return entries;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => {});
    return result;
  }
}
