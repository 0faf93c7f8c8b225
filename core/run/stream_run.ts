/**
 * One stream's run: plans its lanes (option slices, range partitions, the
 * detail walk of a dependent stream), pulls them concurrently, writes their
 * pages in order per lane, and checkpoints: each commit holds the files and
 * the position of every lane, so a killed run resumes with each record
 * exactly once.
 *
 * @module
 */

import { boundaryTracker } from "./_boundary_tracker.ts";
import { runDependentLane } from "./_dependent_lane.ts";
import { exactJson } from "../connector/exact_json.ts";
import { compareCursor, sinceFrom } from "./_incremental.ts";
import { laneKey, planLanes, shardLanes, sliceKey } from "./_lanes.ts";
import { fromNum, remaining, splitRange, toNum } from "./_ranges.ts";
import { getPath } from "../connector/json_path.ts";
import { Mutex } from "../async/mutex.ts";
import { WorkQueue } from "../async/work_queue.ts";
import { type CommitEntry, CommitLog } from "../lake/commit_log.ts";
import { ConfigError, SchemaError } from "../connector/errors.ts";
import {
  type PagePosition,
  paginate,
  type StreamSource,
} from "../paging/paginate.ts";
import { pooledMap } from "../async/pool.ts";
import {
  type LaneState,
  parseState,
  type StreamState,
} from "../lake/stream_state.ts";
import { StreamWriter } from "../lake/stream_writer.ts";
import type { Row } from "../connector/types.ts";
import type { StreamRunOptions } from "./stream_run_options.ts";

export type { StreamRunOptions };

/** What a stream run did. */
export interface StreamRunResult {
  /** Records written by this run. */
  records: number;
  /** Bytes written. */
  bytes: number;
  /** Files committed. */
  files: number;
  /** The sweep finished (false: stopped or limited; the next run continues). */
  complete: boolean;
  /** The state committed last. */
  state: StreamState | undefined;
  /** Nothing to do: the stream's sweep of the resumed pass was complete already. */
  skipped?: boolean;
}

/**
 * Pull one stream into the lake, resuming its running sweep if there is one.
 * When a lane fails, the others stop as on a graceful stop, what landed in
 * order before the failure is committed, and then the error propagates: the
 * next run continues after that prefix. Only when a write or a commit
 * failed (the staged files cannot be trusted) or on an abort is nothing more
 * committed: the lake and the state stay at the last commit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runStream } from "./stream_run.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { newStreamStats } from "../paging/paginate.ts";
 * import { cursorPaginator } from "../paging/paginators.ts";
 * import { startApiServer } from "../testing/api_server.ts";
 *
 * const server = await startApiServer({ records: 100 });
 * const dir = await Deno.makeTempDir();
 * try {
 *   const c = defineConnector({
 *     name: "t",
 *     baseUrl: server.url,
 *     streams: {
 *       items: {
 *         path: "/cursor/items",
 *         recordsPath: "data",
 *         primaryKey: "id",
 *         paginator: cursorPaginator({ cursorParam: "cursor", cursorPath: "next_cursor" }),
 *       },
 *     },
 *   });
 *   const r = await runStream({
 *     connector: c,
 *     name: "items",
 *     storage: new LocalStorage(dir),
 *     runId: "20260101T000000Z-000001",
 *     http: new HttpClient(),
 *     baseUrl: server.url,
 *     stats: newStreamStats(),
 *     poolWidth: 4,
 *   });
 *   assert(r.records === 100 && r.complete);
 * } finally {
 *   await server.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function runStream(o: StreamRunOptions): Promise<StreamRunResult> {
  const { connector, name, stats } = o;
  const id = `${connector.name}/${name}`;
  const stream = connector.streams[name];
  if (!stream) {
    throw new ConfigError(
      `connector "${connector.name}" has no stream "${name}"`,
    );
  }
  const now = o.now ?? Date.now;
  const scope = o.shard && o.shard.count > 1
    ? `shard-${o.shard.index}-of-${o.shard.count}`
    : undefined;
  const log = new CommitLog(o.storage, id, {
    runId: o.runId,
    ...(scope ? { scope } : {}),
  });
  // Every state this run depends on is read and checked before anything in
  // the lake changes: a corrupt one stops the run with the lake untouched.
  const previous = o.fullRefresh
    ? undefined
    : await readState(o, log, id, scope);
  const siblings = o.fullRefresh ? [] : await Promise.all(
    (o.siblings ?? Object.keys(connector.streams))
      .filter((n) => n !== name && connector.streams[n] !== undefined)
      .map((n) =>
        readState(
          o,
          new CommitLog(o.storage, `${connector.name}/${n}`, {
            runId: o.runId,
            ...(scope ? { scope } : {}),
          }),
          `${connector.name}/${n}`,
          scope,
        )
      ),
  );
  await log.recover();

  // A pass is the set of sweeps a run starts together. While one of them
  // runs, the pass is unfinished: a restarted run resumes it and leaves the
  // sweeps that completed in it alone (else an append stream lands twice).
  const open = [previous, ...siblings].flatMap((s) =>
    s?.sweep === "running" && s.pass !== undefined ? [s.pass] : []
  ).sort();
  const pass = previous?.sweep === "running" && previous.pass !== undefined
    ? previous.pass
    : open.at(-1) ?? o.runId;
  if (previous?.sweep === "complete" && previous.pass === pass) {
    return {
      records: 0,
      bytes: 0,
      files: 0,
      complete: true,
      state: undefined,
      skipped: true,
    };
  }

  // A running sweep is resumed exactly as planned (and as it was asked: a
  // full refresh stays one); otherwise a new one starts.
  const resuming = previous?.sweep === "running";
  const disposition = resuming
    ? previous.disposition ?? stream.writeDisposition ?? "append"
    : o.fullRefresh
    ? "replace"
    : stream.writeDisposition ?? "append";
  const inc = stream.incremental;
  const lanes = new Map<string, LaneState>();
  if (resuming) {
    for (const lane of Object.values(previous.lanes ?? {})) {
      lanes.set(lane.key, structuredClone(lane));
    }
  } else {
    for (const lane of shardLanes(planLanes(o, stream, now), o.shard, stream)) {
      lanes.set(lane.key, lane);
    }
  }
  // Each option slice keeps its own bookmark: a repository added later starts from its own history.
  let since: Record<string, string | number | bigint> | undefined;
  if (resuming) since = previous.since;
  else if (inc) {
    since = {};
    for (const lane of lanes.values()) {
      const slice = sliceKey(lane.vars ?? {});
      const bookmark = previous?.bookmark?.[slice];
      const start = o.since ??
        (bookmark !== undefined
          ? sinceFrom(bookmark, inc.lookback ?? 0, inc.format ?? "auto")
          : inc.initial);
      if (start !== undefined) since[slice] = start;
    }
  }
  const state: StreamState = {
    version: 1,
    sweep: "running",
    records: resuming ? previous.records : 0,
    startedAt: resuming && previous.startedAt
      ? previous.startedAt
      : new Date(now()).toISOString(),
    pass,
    disposition,
    ...(since !== undefined ? { since } : {}),
    cursor: resuming && previous.cursor ? { ...previous.cursor } : {},
    ...(previous?.bookmark !== undefined
      ? { bookmark: previous.bookmark }
      : {}),
    ...(resuming && previous.staged ? { staged: [...previous.staged] } : {}),
  };

  const pk = typeof stream.primaryKey === "string"
    ? [stream.primaryKey]
    : stream.primaryKey;
  // Exact digits: two ids beyond 2^53 must not share a key.
  const keyOf = (r: Row): string => exactJson(pk.map((k) => getPath(r, k)));
  const writer = new StreamWriter({
    stream: id,
    storage: o.storage,
    log,
    format: o.format ?? "parquet",
    ...(o.compression ? { compression: o.compression } : {}),
    ...(disposition === "merge" ? { uniqueKey: keyOf } : {}),
  });
  const mutex = new Mutex();
  const fileRecords = o.fileRecords ?? 500_000;
  const checkpointMs = o.checkpointMs ?? 60_000;
  let inFile = 0;
  let lastCommit = now();
  // Positions moved since the last checkpoint.
  let dirty = false;
  let written = 0;
  let remainingLimit = o.limit ?? Infinity;
  const limitStop = new AbortController();
  // A failed lane stops the others as a graceful stop would.
  const failStop = new AbortController();
  const stop = AbortSignal.any([
    ...(o.stop ? [o.stop] : []),
    limitStop.signal,
    failStop.signal,
  ]);
  // A write or a commit failed: the staged files may hold records no
  // position covers (or the log moved on), so nothing more may be committed.
  let tainted = false;

  const snapshot = (): StreamState => ({
    ...state,
    lanes: Object.fromEntries(
      [...lanes].map(([k, l]) => [k, structuredClone(l)]),
    ),
  });

  const announce = (entry: CommitEntry | undefined, sweep: string) => {
    if (entry && o.onCommit) {
      o.onCommit({
        stream: id,
        version: entry.version,
        files: entry.add.length,
        records: entry.add.reduce((n, f) => n + f.records, 0),
        sweep,
      });
    }
  };

  const untainted = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      tainted = true;
      throw err;
    }
  };
  // Every record written so far is in a committed file once a commit succeeds.
  const noteCommitted = () => {
    if (!o.committed) return;
    o.committed.records = written;
    o.committed.bytes = writer.bytes;
    o.committed.files = writer.files;
  };

  // A checkpoint: the files so far plus every lane's position. A replace
  // sweep keeps its files staged (listed in its state) until it completes.
  const checkpoint = async (quiet = false): Promise<void> => {
    const hold = disposition === "replace";
    const entry = await untainted(() =>
      writer.commit((staged: string[]) => {
        if (hold) state.staged = [...(state.staged ?? []), ...staged];
        return snapshot();
      }, { always: true, ...(hold ? { hold } : {}) })
    );
    noteCommitted();
    inFile = 0;
    lastCommit = now();
    dirty = false;
    if (!quiet) announce(entry, "running");
  };

  // Writes one lane's records and moves its position, checkpointing when due.
  // `item` marks a dependent lane's position inside a parent page; a plain
  // lane uses `lane.item` for a page the limit cut short, so the next run
  // lands the rest of that page and nothing twice.
  const accept = (
    lane: LaneState,
    rows: Row[],
    position: PagePosition,
    where: { url?: string; item?: number } = {},
  ) =>
    mutex.run(async () => {
      if (!lanes.has(lane.key)) return; // The lane was split away meanwhile.
      // Past the limit nothing lands and no position moves.
      if (remainingLimit <= 0) return;
      const dependent = stream.parent !== undefined;
      const first = !dependent && lane.item !== undefined ? lane.item + 1 : 0;
      const skip = lane.skip;
      const isSkipped = (r: Row): boolean => {
        if (!skip || !stream.partition) return false;
        const v = getPath(r, stream.partition.field);
        return v !== undefined &&
          toNum(v as string | number, stream.partition.kind) === skip.value &&
          skip.keys.includes(keyOf(r));
      };
      // Take records from `first` until the limit; `upTo` is the last one taken.
      const keep: Row[] = [];
      let upTo = rows.length - 1;
      for (let i = first; i < rows.length; i++) {
        const r = rows[i]!;
        if (isSkipped(r)) continue;
        if (keep.length === remainingLimit) {
          upTo = i - 1;
          break;
        }
        keep.push(r);
      }
      const partial = upTo < rows.length - 1;
      // A dependent item's rows land whole or not at all.
      if (partial && dependent) {
        remainingLimit = 0; // Nothing after it may land either.
        limitStop.abort();
        return;
      }
      if (lane.vars) {
        // The option value is part of the record's identity (a commit of repo a/b).
        for (const r of keep) {
          for (
            const [k, v] of Object.entries(lane.vars)
          ) if (r[k] === undefined) r[k] = v;
        }
      }
      try {
        await untainted(() =>
          writer.write(keep, {
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
      remainingLimit -= keep.length;
      written += keep.length;
      inFile += keep.length;
      state.records += keep.length;
      dirty = true;
      if (inc) {
        const slice = sliceKey(lane.vars ?? {});
        const cursors = state.cursor ??= {};
        for (const r of keep) {
          const v = getPath(r, inc.cursorField);
          if (
            typeof v !== "string" && typeof v !== "number" &&
            typeof v !== "bigint"
          ) continue;
          const cur = cursors[slice];
          if (cur === undefined || compareCursor(v, cur) > 0) {
            cursors[slice] = v;
          }
        }
      }
      if (partial) {
        lane.item = upTo;
      } else {
        lane.position = position;
        if (where.item === undefined) delete lane.item;
        else lane.item = where.item;
      }
      if (remainingLimit <= 0) limitStop.abort();
      if (
        inFile >= fileRecords ||
        (inFile > 0 && now() - lastCommit >= checkpointMs)
      ) {
        await checkpoint();
      }
    });

  // The newest `limit` ids are the whole plan of an id range, not a cut.
  const planLimited = lanes.size === 1 && o.limit !== undefined &&
    stream.paginator.type === "id_range";
  const queue = new WorkQueue<LaneState>(
    [...lanes.values()].filter((l) => !l.position.done),
  );
  const baseSource = (
    lane: LaneState,
    extra: Partial<StreamSource> = {},
  ): StreamSource => {
    const params: Record<string, string> = { ...o.authParams, ...lane.params };
    const laneSince = since?.[sliceKey(lane.vars ?? {})];
    if (inc?.param && laneSince !== undefined) {
      params[inc.param] = String(laneSince);
    }
    const start = laneSince === undefined ? undefined : Number(laneSince);
    if (
      inc && !inc.param && start !== undefined && !Number.isSafeInteger(start)
    ) {
      throw new ConfigError(
        `"${id}": the paginator continues from a whole number, but the bookmark is ${
          JSON.stringify(laneSince)
        }`,
      );
    }
    return {
      id,
      baseUrl: o.baseUrl,
      stream,
      http: o.http,
      concurrency: o.poolWidth,
      stats,
      params,
      stop,
      resume: lane.position,
      ...(lane.vars ? { vars: lane.vars } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      // Without a filter parameter the paginator owns the range (id ranges).
      ...(inc && !inc.param && start !== undefined ? { start } : {}),
      // An id range plans its requests for the limit; other pages are cut by
      // the lanes (which keep a cut page's position exact).
      ...(planLimited ? { limit: o.limit } : {}),
      ...extra,
    };
  };

  const runLane = async (lane: LaneState): Promise<void> => {
    try {
      if (stream.parent) {
        await runDependentLane(o, stream, lane, baseSource, accept, stop);
      } else {
        let pages = 0;
        const tracker = boundaryTracker(stream, keyOf);
        for await (const page of paginate(baseSource(lane))) {
          await accept(lane, page.records, page.position, { url: page.url });
          tracker.see(page.records);
          pages++;
          const split = page.position.next && pages >= 2 && lane.range &&
              activeLanes() < (o.targetLanes?.() ?? 1) && !stop.aborted
            ? await trySplit(lane, tracker.boundary())
            : false;
          if (split) return;
        }
      }
      // A lane is done when its pages ran out, not when a stop cut them short;
      // an id range planned for the limit is done once the limit is reached.
      const cut = o.stop?.aborted || failStop.signal.aborted ||
        (limitStop.signal.aborted && !planLimited);
      if (!cut && !o.signal?.aborted) {
        await mutex.run(() => {
          const l = lanes.get(lane.key);
          if (l) {
            l.position = { ...l.position, done: true };
            dirty = true;
          }
        });
      }
    } catch (err) {
      failStop.abort(err);
      throw err;
    } finally {
      queue.done();
    }
  };

  // Lanes still paging: finished ones keep no worker busy.
  const activeLanes = () => {
    let n = 0;
    for (const l of lanes.values()) if (!l.position.done) n++;
    return n;
  };

  // Split a dense range lane: what it has not covered yet becomes two new lanes.
  const trySplit = (
    lane: LaneState,
    boundary: { value: number; keys: string[] } | undefined,
  ): Promise<boolean> =>
    mutex.run(() => {
      const p = stream.partition;
      if (!p || !lane.range || !boundary || !lanes.has(lane.key)) return false;
      const order = p.order ?? "desc";
      const rest = remaining(lane.range, boundary.value, order);
      const halves = splitRange(rest, 2);
      if (halves.length < 2) return false;
      lanes.delete(lane.key);
      for (const h of halves) {
        const holds = h.gte <= boundary.value && boundary.value < h.lt;
        const child: LaneState = {
          key: laneKey(lane.vars ?? {}, h),
          ...(lane.vars ? { vars: lane.vars } : {}),
          params: {
            ...lane.params,
            [p.gteParam]: fromNum(h.gte, p.kind),
            [p.ltParam]: fromNum(h.lt, p.kind),
          },
          range: h,
          position: { page: -1 },
          ...(holds ? { skip: boundary } : {}),
        };
        lanes.set(child.key, child);
        queue.push(child);
      }
      dirty = true;
      return true;
    });

  // After a failure, commit what landed, as a graceful stop does. The lanes
  // have all settled (the pool rejects only then; a failed lane stopped the
  // others through `failStop`), so each position ends at the pages its lane
  // landed in order and the staged files hold exactly those records: state
  // never moves past data that is not in them.
  const commitPrefix = async (): Promise<void> => {
    if (tainted || o.signal?.aborted) return;
    try {
      await mutex.run(async () => {
        if (writer.uncommitted || dirty) await checkpoint();
      });
    } catch {
      // Nothing more is committed; the error that stopped the run says why.
    }
  };

  try {
    // The plan goes into the log before any page: a run killed now resumes
    // it, and its pass stays open for the streams pulled with it.
    if (!resuming) await mutex.run(() => checkpoint(true));
    for await (
      const _ of pooledMap(queue, runLane, {
        concurrency: 4096,
        ordered: false,
        ...(o.signal ? { signal: o.signal } : {}),
      })
    ) {
      // Lanes report through `accept`; nothing to collect here.
    }
    const complete = !o.signal?.aborted &&
      [...lanes.values()].every((l) => l.position.done);
    await mutex.run(async () => {
      if (complete) {
        const done: StreamState = {
          version: 1,
          sweep: "complete",
          records: state.records,
          ...(state.startedAt ? { startedAt: state.startedAt } : {}),
          pass,
          ...(inc ? { bookmark: { ...state.bookmark, ...state.cursor } } : {}),
        };
        const entry = await untainted(() =>
          writer.commit(
            done,
            disposition === "replace"
              ? { always: true, publish: state.staged ?? [], replaceLive: true }
              : { always: true },
          )
        );
        noteCommitted();
        announce(entry, "complete");
      } else if (writer.uncommitted || dirty) {
        await checkpoint();
      }
    });
    await releaseStaging(log);
    return {
      records: written,
      bytes: writer.bytes,
      files: writer.files,
      complete,
      state: complete ? undefined : snapshot(),
    };
  } catch (err) {
    await commitPrefix();
    await writer.abort();
    await releaseStaging(log);
    throw err;
  }
}

/** Tidying is best effort: an empty folder left behind is harmless. */
async function releaseStaging(log: CommitLog): Promise<void> {
  try {
    await log.release();
  } catch {
    // The next run that owns the stream removes it.
  }
}

/** The checked state of a stream's newest commit (`undefined`: none, or reset). */
async function readState(
  o: StreamRunOptions,
  log: CommitLog,
  id: string,
  scope: string | undefined,
): Promise<StreamState | undefined> {
  const latest = await log.latest();
  // A reset is itself a commit whose state is null: the next sweep starts afresh.
  if (!latest || latest.state === null) return undefined;
  return parseState(
    latest.state,
    `${o.storage.root}/${id}/_log${scope ? `.${scope}` : ""}/${
      String(latest.version).padStart(20, "0")
    }.json`,
    o.connector.name,
  );
}
