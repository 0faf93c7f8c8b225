/**
 * Where a sweep's lanes land their pages: one writer, the position of every
 * lane, and the checkpoints that commit both together, so a killed run
 * resumes with each record exactly once.
 *
 * @module
 */

import { exactJson } from "../connector/exact_json.ts";
import { advanceCursors, stampVars, takeRows } from "./_accepted_rows.ts";
import { ValueChecks } from "./_value_checks.ts";
import { getPath } from "../connector/json_path.ts";
import { Mutex } from "../async/mutex.ts";
import type { CommitEntry } from "../lake/stream_table.ts";
import { SchemaError } from "../connector/errors.ts";
import type { PagePosition } from "../paging/paginate.ts";
import type { LaneState, StreamState } from "../lake/stream_state.ts";
import { StreamWriter } from "../lake/stream_writer.ts";
import type { Row } from "../connector/types.ts";
import type { StreamRunOptions } from "./stream_run_options.ts";
import type { StreamPlan } from "./_stream_plan.ts";

/**
 * A sweep's writes and commits. Whatever changes the lanes or their
 * positions runs on {@linkcode SweepLedger.mutex}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SweepLedger } from "./_sweep_ledger.ts";
 * import { planStream } from "./_stream_plan.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { newStreamStats } from "../paging/paginate.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const c = defineConnector({
 *     name: "t",
 *     baseUrl: "http://127.0.0.1",
 *     streams: {
 *       items: { path: "/x", primaryKey: "id", paginator: singlePaginator() },
 *     },
 *   });
 *   const o = {
 *     connector: c,
 *     name: "items",
 *     storage: new LocalStorage(dir),
 *     runId: "20260101T000000Z-000001",
 *     http: new HttpClient(),
 *     baseUrl: "http://127.0.0.1",
 *     stats: newStreamStats(),
 *     poolWidth: 1,
 *   };
 *   const plan = (await planStream(o))!;
 *   const ledger = new SweepLedger(o, plan);
 *   const [lane] = plan.lanes.values();
 *   await ledger.accept(lane!, [{ id: 1 }, { id: 2 }], { page: 0 });
 *   await ledger.mutex.run(() => ledger.finish(false));
 *   assert.equal(ledger.result(false).records, 2);
 *   const latest = await plan.log.latest();
 *   assert.equal((latest?.state as { records: number }).records, 2);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class SweepLedger {
  /** Serialises landing, splitting and committing. */
  readonly mutex = new Mutex();
  /** Aborted once the run's limit is reached. */
  readonly limitStop = new AbortController();
  /** What the landed records say of the spec. */
  readonly checks: ValueChecks;
  readonly #o: StreamRunOptions;
  readonly #p: StreamPlan;
  readonly #stream: StreamPlan["stream"];
  readonly #lanes: Map<string, LaneState>;
  readonly #state: StreamState;
  readonly #keyOf: (r: Row) => string;
  readonly #writer: StreamWriter;
  readonly #fileRecords: number;
  readonly #checkpointMs: number;
  #inFile = 0;
  #lastCommit: number;
  // Positions moved since the last checkpoint.
  #dirty = false;
  #written = 0;
  #remainingLimit: number;
  // A write or a commit failed: the staged files may hold records no
  // position covers (or the log moved on), so nothing more may be committed.
  #tainted = false;

  /** Set up the writer of a planned sweep. */
  constructor(o: StreamRunOptions, plan: StreamPlan) {
    this.#o = o;
    this.#p = plan;
    this.#stream = plan.stream;
    this.#lanes = plan.lanes;
    this.#state = plan.state;
    const pk = typeof plan.stream.primaryKey === "string"
      ? [plan.stream.primaryKey]
      : plan.stream.primaryKey;
    // Exact digits: two ids beyond 2^53 must not share a key.
    this.#keyOf = (r: Row): string => exactJson(pk.map((k) => getPath(r, k)));
    this.#writer = new StreamWriter({
      stream: plan.id,
      storage: o.storage,
      log: plan.log,
      format: o.format ?? "parquet",
      ...(o.compression ? { compression: o.compression } : {}),
      ...(plan.stream.columns ? { columns: plan.stream.columns } : {}),
      ...(plan.disposition === "merge" ? { uniqueKey: this.#keyOf } : {}),
      // A full refresh of a merge stream keeps one row per key too.
      ...(plan.disposition === "merge" ||
          plan.stream.writeDisposition === "merge"
        ? { merge: pk }
        : {}),
    });
    this.#fileRecords = o.fileRecords ?? 500_000;
    this.#checkpointMs = o.checkpointMs ?? 60_000;
    this.#lastCommit = plan.now();
    this.#remainingLimit = o.limit ?? Infinity;
    this.checks = new ValueChecks(plan.id, plan.stream);
  }

  /** The record key (exact JSON of the primary key's values). */
  get keyOf(): (r: Row) => string {
    return this.#keyOf;
  }

  /** Records the run's limit still lets land (`Infinity`: no limit). */
  get wanted(): number {
    return this.#remainingLimit;
  }

  /** Note that positions moved (call on {@linkcode SweepLedger.mutex}). */
  moved(): void {
    this.#dirty = true;
  }

  /** What the sweep did; its state unless it completed. */
  result(complete: boolean): {
    records: number;
    bytes: number;
    files: number;
    complete: boolean;
    state: StreamState | undefined;
  } {
    return {
      records: this.#written,
      bytes: this.#writer.bytes,
      files: this.#writer.files,
      complete,
      state: complete ? undefined : this.#snapshot(),
    };
  }

  /**
   * After a failure: commit what landed (when it can be trusted), drop the
   * staged files, and release the staging folder.
   */
  async fail(): Promise<void> {
    await this.#commitPrefix();
    await this.#writer.abort();
    await this.releaseStaging();
  }

  /** The last commit of a sweep whose lanes all settled (call on {@linkcode SweepLedger.mutex}). */
  async finish(complete: boolean): Promise<void> {
    const state = this.#state;
    if (complete) {
      const done: StreamState = {
        version: 1,
        sweep: "complete",
        records: state.records,
        ...(state.startedAt ? { startedAt: state.startedAt } : {}),
        pass: this.#p.pass,
        ...(this.#stream.incremental
          ? { bookmark: { ...state.bookmark, ...state.cursor } }
          : {}),
      };
      const entry = await this.#untainted(() =>
        this.#writer.commit(
          done,
          this.#p.disposition === "replace"
            ? { always: true, publish: state.staged ?? [], replaceLive: true }
            : { always: true },
        )
      );
      this.#noteCommitted();
      this.#announce(entry, "complete");
    } else if (this.#writer.uncommitted || this.#dirty) {
      await this.checkpoint();
    }
  }

  /** Tidying is best effort: an empty folder left behind is harmless. */
  async releaseStaging(): Promise<void> {
    try {
      await this.#p.log.release();
    } catch {
      // The next run that owns the stream removes it.
    }
  }

  #snapshot(): StreamState {
    return {
      ...this.#state,
      lanes: Object.fromEntries(
        [...this.#lanes].map(([k, l]) => [k, structuredClone(l)]),
      ),
    };
  }

  #announce(entry: CommitEntry | undefined, sweep: string): void {
    if (entry && this.#o.onCommit) {
      this.#o.onCommit({
        stream: this.#p.id,
        version: entry.version,
        files: entry.add.length,
        records: entry.add.reduce((n, f) => n + f.records, 0),
        sweep,
      });
    }
  }

  async #untainted<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.#tainted = true;
      throw err;
    }
  }

  // Every record written so far is in a committed file once a commit succeeds.
  #noteCommitted(): void {
    const committed = this.#o.committed;
    if (!committed) return;
    committed.records = this.#written;
    committed.bytes = this.#writer.bytes;
    committed.files = this.#writer.files;
  }

  /**
   * A checkpoint: the files so far plus every lane's position (call on
   * {@linkcode SweepLedger.mutex}). A replace sweep keeps its files staged
   * (listed in its state) until it completes.
   */
  async checkpoint(quiet = false): Promise<void> {
    const hold = this.#p.disposition === "replace";
    const state = this.#state;
    const entry = await this.#untainted(() =>
      this.#writer.commit((staged: string[]) => {
        if (hold) state.staged = [...(state.staged ?? []), ...staged];
        return this.#snapshot();
      }, { always: true, ...(hold ? { hold } : {}) })
    );
    this.#noteCommitted();
    this.#inFile = 0;
    this.#lastCommit = this.#p.now();
    this.#dirty = false;
    if (!quiet) this.#announce(entry, "running");
  }

  /**
   * Write one lane's records and move its position, checkpointing when due.
   * `item` marks a dependent lane's position inside a parent page; a plain
   * lane uses `lane.item` for a page the limit cut short, so the next run
   * lands the rest of that page and nothing twice.
   */
  accept(
    lane: LaneState,
    rows: Row[],
    position: PagePosition,
    where: { url?: string; item?: number } = {},
  ): Promise<void> {
    return this.mutex.run(async () => {
      if (!this.#lanes.has(lane.key)) return; // The lane was split away meanwhile.
      // Past the limit nothing lands and no position moves.
      if (this.#remainingLimit <= 0) return;
      const stream = this.#stream;
      const dependent = stream.parent !== undefined;
      const { keep, upTo } = takeRows(
        stream,
        lane,
        rows,
        this.#remainingLimit,
        this.#keyOf,
      );
      const partial = upTo < rows.length - 1;
      // A dependent item's rows land whole or not at all.
      if (partial && dependent) {
        this.#remainingLimit = 0; // Nothing after it may land either.
        this.limitStop.abort();
        return;
      }
      stampVars(lane, keep);
      await this.#write(keep, position, where);
      this.checks.see(keep);
      this.#remainingLimit -= keep.length;
      this.#written += keep.length;
      this.#inFile += keep.length;
      this.#state.records += keep.length;
      this.#dirty = true;
      advanceCursors(stream, lane, keep, this.#state);
      if (partial) {
        lane.item = upTo;
      } else {
        lane.position = position;
        if (where.item === undefined) delete lane.item;
        else lane.item = where.item;
      }
      if (this.#remainingLimit <= 0) this.limitStop.abort();
      if (
        this.#inFile >= this.#fileRecords ||
        (this.#inFile > 0 &&
          this.#p.now() - this.#lastCommit >= this.#checkpointMs)
      ) {
        await this.checkpoint();
      }
    });
  }

  async #write(
    keep: Row[],
    position: PagePosition,
    where: { url?: string; item?: number },
  ): Promise<void> {
    try {
      await this.#untainted(() =>
        this.#writer.write(keep, {
          page: position.page,
          ...(where.url !== undefined ? { url: where.url } : {}),
        })
      );
    } catch (err) {
      if (err instanceof SchemaError && where.url !== undefined) {
        throw new SchemaError(`${err.message} at ${where.url}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  // After a failure, commit what landed, as a graceful stop does. The lanes
  // have all settled (the pool rejects only then; a failed lane stopped the
  // others through `failStop`), so each position ends at the pages its lane
  // landed in order and the staged files hold exactly those records: state
  // never moves past data that is not in them.
  async #commitPrefix(): Promise<void> {
    if (this.#tainted || this.#o.signal?.aborted) return;
    try {
      await this.mutex.run(async () => {
        if (this.#writer.uncommitted || this.#dirty) await this.checkpoint();
      });
    } catch {
      // Nothing more is committed; the error that stopped the run says why.
    }
  }
}
