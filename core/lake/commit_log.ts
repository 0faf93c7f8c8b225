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
import { basename } from "./_paths.ts";
import {
  type CommitEntry,
  type CommitFile,
  corruptEntry,
  parseEntry,
} from "./_commit_entry.ts";

export type { CommitEntry, CommitFile };
import {
  type StagingSurvey,
  surveyStaging,
  sweepStaging,
} from "./_staging_sweep.ts";
import { pooledMap } from "../async/pool.ts";
import type { Storage } from "./storage.ts";

/** Log entries read at once when a log is loaded. */
const LOAD_CONCURRENCY = 16;

/**
 * What {@linkcode CommitLog.commit} takes.
 *
 * @example
 * ```ts
 * import type { CommitRequest } from "./commit_log.ts";
 * const req: CommitRequest = {
 *   add: [{ staged: "demo/items/_staging/run-1/part-1.parquet", records: 10, bytes: 900 }],
 *   state: { offset: 10 },
 * };
 * ```
 */
export interface CommitRequest {
  /** Staged files of this run (from {@linkcode CommitLog.stagingPath}), now complete. */
  add: ReadonlyArray<{ staged: string; records: number; bytes: number }>;
  /** Final paths of live files to remove (for a full refresh). @default {[]} */
  remove?: readonly string[];
  /** Keep this commit's files staged and invisible until a later commit publishes them. @default {false} */
  hold?: boolean;
  /** Staged paths of held files (of any run) to make visible with this commit. @default {[]} */
  publish?: readonly string[];
  /** The stream's new state (any JSON value). */
  state: unknown;
  /** Anything else to keep with the commit. */
  meta?: Record<string, unknown>;
}

/**
 * Options of {@linkcode CommitLog}.
 *
 * @example
 * ```ts
 * import type { CommitLogOptions } from "./commit_log.ts";
 * const options: CommitLogOptions = { runId: "20261124T041300.000Z-a1b2", now: () => 0 };
 * ```
 */
export interface CommitLogOptions {
  /** This run's id: one path segment, e.g. from {@linkcode newRunId}. */
  runId: string;
  /** Clock for `committedAt`, in epoch milliseconds. @default {Date.now} */
  now?: () => number;
  /**
   * A separate log and staging area within the stream (`shard-1-of-2`): runs
   * of different scopes commit side by side, each owning its own state, and
   * their files land in the same stream folder.
   */
  scope?: string;
}

/**
 * Someone else committed the version this commit wanted: another run is
 * writing the same stream. Nothing of this commit became visible.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommitConflictError } from "./commit_log.ts";
 * const err = new CommitConflictError("demo/items", 7, "demo/items/_log/00000000000000000007.json");
 * assert(err.message.includes("concurrent commit"));
 * ```
 */
export class CommitConflictError extends Error {
  /** The version that was taken. */
  readonly version: number;
  /** The entry that exists already. */
  readonly path: string;

  /** Build the error. */
  constructor(
    stream: string,
    version: number,
    path: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot commit "${stream}": concurrent commit, version ${version} (${path}) was written by another run; only one run may write a stream at a time`,
      options,
    );
    this.name = "CommitConflictError";
    this.version = version;
    this.path = path;
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * A run id: the UTC start time to the millisecond, then 4 random hex digits
 * (`20261124T041300.123Z-a1b2`). Ids sort by start time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRunId } from "./commit_log.ts";
 * const id = newRunId({ now: Date.UTC(2026, 10, 24, 4, 13, 0, 123), random: () => 0.5 });
 * assert(id === "20261124T041300.123Z-8000");
 * ```
 */
export function newRunId(
  options: { now?: number; random?: () => number } = {},
): string {
  const d = new Date(options.now ?? Date.now());
  const random = options.random ?? Math.random;
  const stamp = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${
    pad(d.getUTCDate(), 2)
  }T${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${
    pad(d.getUTCSeconds(), 2)
  }.${pad(d.getUTCMilliseconds(), 3)}Z`;
  const hex = Math.floor(random() * 0x10000).toString(16).padStart(4, "0");
  return `${stamp}-${hex}`;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ENTRY_NAME = /^\d{20}\.json$/;
/** `.parquet`, `.ndjson.zst`: dot-separated suffixes that start with a letter. */
const EXTENSION = /(?:\.[A-Za-z][A-Za-z0-9]*)+$/;

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
    const mine = `${this.prefix}/${this.runId}-`;
    let seq = 0;
    for (const e of entries) {
      for (const f of e.add) {
        if (f.path.startsWith(mine)) {
          seq = Math.max(
            seq,
            Number(/^(\d+)/.exec(f.path.slice(mine.length))?.[1] ?? 0),
          );
        }
      }
    }
    const seen = new Set<string>();
    const heldFiles = new Map<string, CommitFile>();
    for (const e of entries) {
      for (const f of e.add) {
        if (f.held) heldFiles.set(f.staged, f);
        else heldFiles.delete(f.staged);
      }
    }
    const published = (request.publish ?? []).map((from): CommitFile => {
      const f = heldFiles.get(from);
      if (!f) {
        throw new TypeError(
          `Cannot publish ${
            JSON.stringify(from)
          } in "${this.prefix}": no commit holds it`,
        );
      }
      if (seen.has(from)) throw new TypeError(`Cannot publish "${from}" twice`);
      seen.add(from);
      const ext = EXTENSION.exec(basename(from))?.[0] ?? "";
      seq++;
      return {
        path: `${mine}${pad(seq, 6)}${ext}`,
        staged: from,
        records: f.records,
        bytes: f.bytes,
      };
    });
    const hold = request.hold === true;
    return [
      ...published,
      ...request.add.map(({ staged: from, records, bytes }) => {
        if (
          typeof from !== "string" || !from.startsWith(own) ||
          from.slice(own.length).includes("/")
        ) {
          throw new TypeError(
            `Cannot commit ${
              JSON.stringify(from)
            }: not a staged file of run ${this.runId} (use stagingPath())`,
          );
        }
        if (seen.has(from)) {
          throw new TypeError(`Cannot commit "${from}" twice`);
        }
        seen.add(from);
        for (
          const [what, n] of [["records", records], ["bytes", bytes]] as const
        ) {
          if (!Number.isSafeInteger(n) || n < 0) {
            throw new TypeError(
              `Cannot commit "${from}": ${what} must be a non-negative integer`,
            );
          }
        }
        if (!staged.has(from)) {
          throw new Error(
            `Cannot commit "${this.prefix}": staged file "${from}" is missing in ${this.#storage.root} (was it closed, or cleaned up by another run?)`,
          );
        }
        const ext = EXTENSION.exec(basename(from))?.[0] ?? "";
        seq++;
        return {
          path: `${mine}${pad(seq, 6)}${ext}`,
          staged: from,
          records,
          bytes,
          ...(hold ? { held: true as const } : {}),
        };
      }),
    ];
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

function liveFiles(entries: readonly CommitEntry[]): Set<string> {
  const live = new Set<string>();
  for (const e of entries) {
    for (const f of e.add) if (!f.held) live.add(f.path);
    for (const r of e.remove) live.delete(r);
  }
  return live;
}
