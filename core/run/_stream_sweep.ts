/**
 * A planned stream's sweep: pulls its lanes concurrently (splitting dense
 * range lanes while there is room for more work) and lands their pages
 * through its {@linkcode SweepLedger}.
 *
 * @module
 */

import { boundaryTracker } from "./_boundary_tracker.ts";
import { runDependentLane } from "./_dependent_lane.ts";
import { laneKey, sliceKey } from "./_lanes.ts";
import { fromNum, remaining, splitRange } from "./_ranges.ts";
import { SweepLedger } from "./_sweep_ledger.ts";
import { WorkQueue } from "../async/work_queue.ts";
import { ConfigError } from "../connector/errors.ts";
import { paginate, type StreamSource } from "../paging/paginate.ts";
import { pooledMap } from "../async/pool.ts";
import type { LaneState, StreamState } from "../lake/stream_state.ts";
import type { StreamRunOptions } from "./stream_run_options.ts";
import type { StreamPlan } from "./_stream_plan.ts";

/**
 * One stream's sweep, from its plan to its last commit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StreamSweep } from "./_stream_sweep.ts";
 * import { planStream } from "./_stream_plan.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { newStreamStats } from "../paging/paginate.ts";
 * import { cursorPaginator } from "../paging/paginators.ts";
 * import { startApiServer } from "../testing/api_server.ts";
 *
 * const server = await startApiServer({ records: 10 });
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
 *   const o = {
 *     connector: c,
 *     name: "items",
 *     storage: new LocalStorage(dir),
 *     runId: "20260101T000000Z-000001",
 *     http: new HttpClient(),
 *     baseUrl: server.url,
 *     stats: newStreamStats(),
 *     poolWidth: 4,
 *   };
 *   const sweep = new StreamSweep(o, (await planStream(o))!);
 *   const r = await sweep.run();
 *   assert(r.records === 10 && r.complete);
 * } finally {
 *   await server.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class StreamSweep {
  readonly #o: StreamRunOptions;
  readonly #p: StreamPlan;
  readonly #stream: StreamPlan["stream"];
  readonly #lanes: Map<string, LaneState>;
  readonly #ledger: SweepLedger;
  // A failed lane stops the others as a graceful stop would.
  readonly #failStop = new AbortController();
  readonly #stop: AbortSignal;
  // The newest `limit` ids are the whole plan of an id range, not a cut.
  readonly #planLimited: boolean;
  readonly #queue: WorkQueue<LaneState>;

  /** Set up the ledger and the stops of a planned sweep. */
  constructor(o: StreamRunOptions, plan: StreamPlan) {
    this.#o = o;
    this.#p = plan;
    this.#stream = plan.stream;
    this.#lanes = plan.lanes;
    this.#ledger = new SweepLedger(o, plan);
    this.#stop = AbortSignal.any([
      ...(o.stop ? [o.stop] : []),
      this.#ledger.limitStop.signal,
      this.#failStop.signal,
    ]);
    this.#planLimited = this.#lanes.size === 1 && o.limit !== undefined &&
      plan.stream.paginator.type === "id_range";
    this.#queue = new WorkQueue<LaneState>(
      [...this.#lanes.values()].filter((l) => !l.position.done),
    );
  }

  /**
   * Run every lane, then commit the sweep's end: complete, or a checkpoint
   * the next run continues from. On a failure, what landed in order is
   * committed (unless a write or commit failed, or on an abort) and the
   * error propagates.
   */
  async run(): Promise<{
    records: number;
    bytes: number;
    files: number;
    complete: boolean;
    state: StreamState | undefined;
  }> {
    const o = this.#o;
    const ledger = this.#ledger;
    try {
      // The plan goes into the log before any page: a run killed now resumes
      // it, and its pass stays open for the streams pulled with it.
      if (!this.#p.resuming) {
        await ledger.mutex.run(() => ledger.checkpoint(true));
      }
      for await (
        const _ of pooledMap(this.#queue, (l) => this.#runLane(l), {
          concurrency: 4096,
          ordered: false,
          ...(o.signal ? { signal: o.signal } : {}),
        })
      ) {
        // Lanes report through `accept`; nothing to collect here.
      }
      const complete = !o.signal?.aborted &&
        [...this.#lanes.values()].every((l) => l.position.done);
      this.#valueWarnings();
      await ledger.mutex.run(() => ledger.finish(complete));
      await ledger.releaseStaging();
      return ledger.result(complete);
    } catch (err) {
      await ledger.fail();
      throw err;
    }
  }

  // What the landed values say of the spec: warnings, or with --strict the
  // stream's error (what landed is committed as after any failure).
  #valueWarnings(): void {
    const warnings = this.#ledger.checks.warnings();
    if (warnings.length === 0) return;
    if (this.#o.strict) {
      throw new ConfigError(`${warnings.join("; ")} (--strict)`);
    }
    (this.#o.stats.warnings ??= []).push(...warnings);
  }

  #baseSource(
    lane: LaneState,
    extra: Partial<StreamSource> = {},
  ): StreamSource {
    const o = this.#o;
    const id = this.#p.id;
    const inc = this.#stream.incremental;
    const params: Record<string, string> = { ...o.authParams, ...lane.params };
    const laneSince = this.#p.since?.[sliceKey(lane.vars ?? {})];
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
      stream: this.#stream,
      http: o.http,
      concurrency: o.poolWidth,
      stats: o.stats,
      params,
      stop: this.#stop,
      resume: lane.position,
      ...(lane.vars ? { vars: lane.vars } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      // Without a filter parameter the paginator owns the range (id ranges).
      ...(inc && !inc.param && start !== undefined ? { start } : {}),
      // An id range plans its requests for the limit; other pages are cut by
      // the lanes (which keep a cut page's position exact).
      ...(this.#planLimited ? { limit: o.limit } : {}),
      ...(o.strict ? { strict: true } : {}),
      // Other pages are fetched ahead only as far as the limit needs.
      ...(o.limit !== undefined && !this.#planLimited
        ? { wanted: () => this.#ledger.wanted }
        : {}),
      ...extra,
    };
  }

  async #runLane(lane: LaneState): Promise<void> {
    const o = this.#o;
    try {
      // A dependent lane that walked as many parent records as the limit is
      // cut there, even when fewer records landed (details may be empty).
      let walkedOut = false;
      if (this.#stream.parent) {
        walkedOut = await runDependentLane(
          o,
          this.#stream,
          lane,
          (l, extra) => this.#baseSource(l, extra),
          (l, rows, position, where) =>
            this.#ledger.accept(l, rows, position, where),
          this.#stop,
        );
      } else {
        const split = await this.#pageLane(lane);
        if (split) return;
      }
      // A lane is done when its pages ran out, not when a stop cut them short;
      // an id range planned for the limit is done once the limit is reached.
      const cut = walkedOut || o.stop?.aborted ||
        this.#failStop.signal.aborted ||
        (this.#ledger.limitStop.signal.aborted && !this.#planLimited);
      if (!cut && !o.signal?.aborted) {
        await this.#ledger.mutex.run(() => {
          const l = this.#lanes.get(lane.key);
          if (l) {
            l.position = { ...l.position, done: true };
            this.#ledger.moved();
          }
        });
      }
    } catch (err) {
      this.#failStop.abort(err);
      throw err;
    } finally {
      this.#queue.done();
    }
  }

  /** Page a plain lane; `true` when it split into new lanes instead. */
  async #pageLane(lane: LaneState): Promise<boolean> {
    let pages = 0;
    const tracker = boundaryTracker(this.#stream, this.#ledger.keyOf);
    for await (const page of paginate(this.#baseSource(lane))) {
      await this.#ledger.accept(lane, page.records, page.position, {
        url: page.url,
      });
      tracker.see(page.records);
      pages++;
      const split = page.position.next && pages >= 2 && lane.range &&
          this.#activeLanes() < (this.#o.targetLanes?.() ?? 1) &&
          !this.#stop.aborted
        ? await this.#trySplit(lane, tracker.boundary())
        : false;
      if (split) return true;
    }
    return false;
  }

  // Lanes still paging: finished ones keep no worker busy.
  #activeLanes(): number {
    let n = 0;
    for (const l of this.#lanes.values()) if (!l.position.done) n++;
    return n;
  }

  // Split a dense range lane: what it has not covered yet becomes two new lanes.
  #trySplit(
    lane: LaneState,
    boundary: { value: number; keys: string[] } | undefined,
  ): Promise<boolean> {
    return this.#ledger.mutex.run(() => {
      const lanes = this.#lanes;
      const p = this.#stream.partition;
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
        this.#queue.push(child);
      }
      this.#ledger.moved();
      return true;
    });
  }
}
