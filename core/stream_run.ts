/**
 * One stream's run: plans its lanes (option slices, range partitions, the
 * detail walk of a dependent stream), pulls them concurrently, writes their
 * pages in order per lane, and checkpoints: each commit holds the files and
 * the position of every lane, so a killed run resumes with each record
 * exactly once.
 *
 * @module
 */

import { fromNum, remaining, splitRange, toNum } from "./_ranges.ts";
import { getPath } from "./_json_path.ts";
import { Mutex } from "./_mutex.ts";
import { WorkQueue } from "./_work_queue.ts";
import { type CommitEntry, CommitLog } from "./commit_log.ts";
import type { Connector } from "./connector.ts";
import { ConfigError, SchemaError } from "./errors.ts";
import {
  type JsonFetcher,
  newStreamStats,
  type PagePosition,
  paginate,
  type StreamSource,
  type StreamStats,
} from "./paginate.ts";
import { pooledMap } from "./pool.ts";
import type { Storage } from "./storage.ts";
import {
  type LaneState,
  parseState,
  type StreamState,
} from "./stream_state.ts";
import { type Format, StreamWriter } from "./stream_writer.ts";
import type { Row, StreamDef } from "./types.ts";

/** Options of {@linkcode runStream}. */
export interface StreamRunOptions {
  /** The connector. */
  connector: Connector;
  /** The stream's name. */
  name: string;
  /** The lake. */
  storage: Storage;
  /** The run's id. */
  runId: string;
  /** The HTTP client shared by the run. */
  http: JsonFetcher;
  /** Base URL (the connector's or an override). */
  baseUrl: string;
  /** Query parameters every request carries (query-string auth). */
  authParams?: Record<string, string>;
  /** Live counters. */
  stats: StreamStats;
  /** Pages in flight or buffered per lane at most. */
  poolWidth: number;
  /** How many lanes keep the source busy now (range partitions split until there are this many). */
  targetLanes?: () => number;
  /** File format. @default {"parquet"} */
  format?: Format;
  /** NDJSON compression. @default {"zstd"} */
  compression?: "zstd" | "gzip";
  /** Records per file; a full file is a checkpoint. @default {500000} */
  fileRecords?: number;
  /** Milliseconds between checkpoints at most. @default {60000} */
  checkpointMs?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
  /** Records per run at most. */
  limit?: number;
  /** Where an incremental stream's first sweep starts (overrides `incremental.initial`). */
  since?: string;
  /** Ignore the stored state: a new full sweep, replacing earlier data. */
  fullRefresh?: boolean;
  /** Values of the connector's options. */
  options?: Record<string, readonly string[]>;
  /** Abort now. */
  signal?: AbortSignal;
  /** Stop gracefully. */
  stop?: AbortSignal;
  /**
   * Pull only this shard's lanes, with its own state (`--shard 1/2`). A
   * stream with a single lane belongs to one shard, by its position.
   */
  shard?: { index: number; count: number; streamIndex: number };
  /**
   * The streams pulled together in this run (a pass). A stream whose sweep
   * completed in a pass that another of them has not finished yet is not
   * pulled again when that pass resumes, so a killed and restarted run
   * lands each record once.
   * @default {every stream of the connector}
   */
  siblings?: readonly string[];
  /** Receives an event per commit. */
  onCommit?: (
    event: {
      stream: string;
      version: number;
      files: number;
      records: number;
      sweep: string;
    },
  ) => void;
}

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

const placeholders = (s: string) =>
  [...s.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);

/** The option slices of a stream: one set of placeholder values per combination. */
function optionSlices(
  connector: Connector,
  stream: StreamDef,
  values: Record<string, readonly string[]>,
): Array<Record<string, string>> {
  const names = new Set([
    ...placeholders(stream.path),
    ...Object.values(stream.params ?? {}).flatMap((v) =>
      typeof v === "string" ? placeholders(v) : []
    ),
  ]);
  if (stream.parent) names.delete(stream.parent.as ?? stream.parent.field);
  let slices: Array<Record<string, string>> = [{}];
  for (const name of names) {
    const decl = connector.options?.[name];
    if (!decl) continue; // Filled by the paginator (e.g. {id}).
    const given = values[name] ??
      (decl.default === undefined ? [] : [decl.default].flat());
    if (given.length === 0) {
      throw new ConfigError(
        `connector "${connector.name}": option --${name} is required (${decl.description})`,
      );
    }
    slices = slices.flatMap((s) => given.map((v) => ({ ...s, [name]: v })));
  }
  return slices;
}

const sliceKey = (vars: Record<string, string>) =>
  Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("&");

function laneKey(
  vars: Record<string, string>,
  range?: { gte: number; lt: number },
): string {
  const parts = [sliceKey(vars), range ? `[${range.gte},${range.lt})` : ""]
    .filter(Boolean);
  return parts.join(" ") || "main";
}

function compareCursor(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const ta = Date.parse(String(a)), tb = Date.parse(String(b));
  if (Number.isFinite(ta) && Number.isFinite(tb)) return ta - tb;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The filter value of a new incremental sweep: the bookmark minus the lookback. */
function sinceFrom(
  bookmark: string | number,
  lookback: number,
  format: "iso" | "unix" | "auto",
): string | number {
  if (typeof bookmark === "number") {
    const v = bookmark - lookback;
    return format === "iso" ? new Date(v * 1000).toISOString() : v;
  }
  const ms = Date.parse(bookmark);
  if (!Number.isFinite(ms)) return bookmark;
  const v = ms - lookback * 1000;
  if (format === "unix") return Math.floor(v / 1000);
  return new Date(v).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * Pull one stream into the lake, resuming its running sweep if there is one.
 * Errors propagate after the open file is dropped: the lake and the state
 * stay at the last commit.
 *
 * @example
 * ```ts
 * import { runStream } from "./stream_run.ts";
 * import { defineConnector } from "./connector.ts";
 * import { HttpClient } from "./http.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * import { newStreamStats } from "./paginate.ts";
 * import { cursorPaginator } from "./paginators.ts";
 * import { startApiServer } from "./testing/api_server.ts";
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
 *   console.assert(r.records === 100 && r.complete);
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
  let since: Record<string, string | number> | undefined;
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
  const keyOf = (r: Row): string =>
    JSON.stringify(pk.map((k) => getPath(r, k)));
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
  const stop = o.stop
    ? AbortSignal.any([o.stop, limitStop.signal])
    : limitStop.signal;

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

  // A checkpoint: the files so far plus every lane's position. A replace
  // sweep keeps its files staged (listed in its state) until it completes.
  const checkpoint = async (quiet = false): Promise<void> => {
    const hold = disposition === "replace";
    const entry = await writer.commit((staged: string[]) => {
      if (hold) state.staged = [...(state.staged ?? []), ...staged];
      return snapshot();
    }, { always: true, ...(hold ? { hold } : {}) });
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
        await writer.write(keep);
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
          if (typeof v !== "string" && typeof v !== "number") continue;
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
      const cut = o.stop?.aborted ||
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
        const entry = await writer.commit(
          done,
          disposition === "replace"
            ? { always: true, publish: state.staged ?? [], replaceLive: true }
            : { always: true },
        );
        announce(entry, "complete");
      } else if (writer.uncommitted || dirty) {
        await checkpoint();
      }
    });
    return {
      records: written,
      bytes: writer.bytes,
      files: writer.files,
      complete,
      state: complete ? undefined : snapshot(),
    };
  } catch (err) {
    await writer.abort();
    throw err;
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

/**
 * Sharded ranges without a declared end are cut on a fixed grid of this many
 * seconds from `start`, so every shard cuts them alike whenever it plans.
 */
const SHARD_CELL_S = 30 * 86_400;

/** The grid cell width of an open range partition, in its numeric units. */
function cellWidth(p: NonNullable<StreamDef["partition"]>): number {
  return p.kind === "iso" ? SHARD_CELL_S * 1000 : SHARD_CELL_S;
}

/**
 * This shard's share of the lanes. A lane's ordinal depends only on its
 * option slice and, for a range, on its cell of the fixed grid (or its
 * place in a range with a declared end), never on when the shard planned:
 * shards planning minutes or sweeps apart still split the work exactly.
 * A stream with a single lane belongs to one shard, by its position.
 */
function shardLanes(
  lanes: LaneState[],
  shard: StreamRunOptions["shard"],
  stream: StreamDef,
): LaneState[] {
  if (!shard || shard.count <= 1) return lanes;
  const mine = (j: number) => j % shard.count === shard.index - 1;
  if (lanes.length <= 1) return mine(shard.streamIndex) ? lanes : [];
  const p = stream.partition;
  const slices = [...new Set(lanes.map((l) => sliceKey(l.vars ?? {})))].sort();
  const ordinal = (lane: LaneState): number => {
    const slice = sliceKey(lane.vars ?? {});
    const s = slices.indexOf(slice);
    if (!p || !lane.range) return s;
    if (p.end === undefined && p.kind !== "int") {
      return s +
        Math.floor((lane.range.gte - toNum(p.start, p.kind)) / cellWidth(p));
    }
    const ranges = lanes.filter((l) => sliceKey(l.vars ?? {}) === slice)
      .map((l) => l.range!.gte).sort((a, b) => a - b);
    return s + ranges.indexOf(lane.range.gte);
  };
  return lanes.filter((l) => mine(ordinal(l)));
}

/** The lanes of a new sweep: option slices times range partitions. */
function planLanes(
  o: StreamRunOptions,
  stream: StreamDef,
  now: () => number,
): LaneState[] {
  const slices = optionSlices(o.connector, stream, o.options ?? {});
  const p = stream.partition;
  const out: LaneState[] = [];
  for (const vars of slices) {
    const hasVars = Object.keys(vars).length > 0;
    if (!p) {
      out.push({
        key: laneKey(vars),
        ...(hasVars ? { vars } : {}),
        position: { page: -1 },
      });
      continue;
    }
    const end = p.end ??
      (p.kind === "iso" ? now() + 1 : Math.floor(now() / 1000) + 1);
    const whole = { gte: toNum(p.start, p.kind), lt: toNum(end, p.kind) };
    // Sharded, an open range is cut on the fixed grid (see shardLanes).
    const grid = (o.shard?.count ?? 1) > 1 && p.end === undefined &&
      p.kind !== "int";
    const ranges = grid
      ? gridRanges(whole, cellWidth(p))
      : splitRange(whole, p.partitions ?? 8);
    for (const r of ranges) {
      out.push({
        key: laneKey(vars, r),
        ...(hasVars ? { vars } : {}),
        params: {
          [p.gteParam]: fromNum(r.gte, p.kind),
          [p.ltParam]: fromNum(r.lt, p.kind),
        },
        range: r,
        position: { page: -1 },
      });
    }
  }
  return out;
}

/** `[gte, lt)` cut every `width` from `gte`; the last cell ends at `lt`. */
function gridRanges(
  whole: { gte: number; lt: number },
  width: number,
): Array<{ gte: number; lt: number }> {
  const out: Array<{ gte: number; lt: number }> = [];
  for (let gte = whole.gte; gte < whole.lt; gte += width) {
    out.push({ gte, lt: Math.min(gte + width, whole.lt) });
  }
  return out;
}

/**
 * Tracks the last range-field value a lane landed and the keys that share it.
 * Only a value first met in this run is a boundary: records of the value a
 * resumed lane started in may have landed in an earlier run, and their keys
 * are not known here.
 */
function boundaryTracker(stream: StreamDef, keyOf: (r: Row) => string) {
  const p = stream.partition;
  let value: number | undefined;
  let firstValue: number | undefined;
  let keys: string[] = [];
  return {
    see(rows: Row[]): void {
      if (!p) return;
      for (const r of rows) {
        const raw = getPath(r, p.field);
        if (typeof raw !== "string" && typeof raw !== "number") continue;
        const v = toNum(raw, p.kind);
        firstValue ??= v;
        if (v !== value) {
          value = v;
          keys = [];
        }
        keys.push(keyOf(r));
      }
    },
    boundary: () =>
      value === undefined || value === firstValue
        ? undefined
        : { value, keys: [...keys] },
  };
}

/**
 * A dependent stream's lane: walks the parent's pages and, for each parent
 * record, fetches this stream's page(s) with the record's field in the path,
 * concurrently but landed in parent order, so the position is exact.
 */
async function runDependentLane(
  o: StreamRunOptions,
  stream: StreamDef,
  lane: LaneState,
  baseSource: (lane: LaneState, extra?: Partial<StreamSource>) => StreamSource,
  accept: (
    lane: LaneState,
    rows: Row[],
    position: PagePosition,
    where?: { url?: string; item?: number },
  ) => Promise<void>,
  stop: AbortSignal,
): Promise<void> {
  const ref = stream.parent!;
  const parent = o.connector.streams[ref.stream];
  if (!parent) {
    throw new ConfigError(
      `connector "${o.connector.name}": stream "${o.name}" depends on unknown stream "${ref.stream}"`,
    );
  }
  const as = ref.as ?? ref.field;
  const parentSource: StreamSource = {
    ...baseSource(lane),
    id: `${o.connector.name}/${ref.stream}`,
    stream: parent,
    stats: newStreamStats(),
  };
  interface Task {
    value: string | undefined;
    before: PagePosition;
    after: PagePosition;
    item: number;
    last: boolean;
  }
  async function* tasks(): AsyncGenerator<Task> {
    let before = lane.position;
    let skipThrough = lane.item ?? -1;
    for await (const page of paginate(parentSource)) {
      const rows = page.records;
      // A stop starts no new detail request; those in flight still land.
      if (stop.aborted) return;
      if (rows.length === 0) {
        yield {
          value: undefined,
          before,
          after: page.position,
          item: -1,
          last: true,
        };
      }
      for (let i = 0; i < rows.length; i++) {
        if (i <= skipThrough) continue;
        if (stop.aborted) return;
        const v = getPath(rows[i], ref.field);
        yield {
          value: v === undefined || v === null ? undefined : String(v),
          before,
          after: page.position,
          item: i,
          last: i === rows.length - 1,
        };
      }
      skipThrough = -1;
      before = page.position;
    }
  }
  const fetchDetail = async (
    t: Task,
    signal: AbortSignal,
  ): Promise<{ t: Task; rows: Row[] }> => {
    if (t.value === undefined) return { t, rows: [] };
    const rows: Row[] = [];
    const detail: StreamSource = {
      ...baseSource(lane),
      vars: { ...lane.vars, [as]: t.value },
      resume: { page: -1 },
      signal: o.signal ? AbortSignal.any([o.signal, signal]) : signal,
    };
    delete detail.stop;
    for await (const p of paginate(detail)) rows.push(...p.records);
    return { t, rows };
  };
  for await (
    const { t, rows } of pooledMap(tasks(), fetchDetail, {
      concurrency: o.poolWidth,
      ordered: true,
      ...(o.signal ? { signal: o.signal } : {}),
    })
  ) {
    if (t.last) await accept(lane, rows, t.after);
    else await accept(lane, rows, t.before, { item: t.item });
  }
}
