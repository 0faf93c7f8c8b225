/**
 * Lane planning of a stream run: the option slices, the range partitions
 * (cut on a fixed grid when sharded) and each shard's share of the lanes.
 *
 * @module
 */

import { fromNum, splitRange, toNum } from "./_ranges.ts";
import type { Connector } from "../connector/connector.ts";
import { placeholdersOf } from "../connector/check_transforms.ts";
import { ConfigError } from "../connector/errors.ts";
import type { LaneState } from "../lake/stream_state.ts";
import type { StreamRunOptions } from "./stream_run_options.ts";
import type { StreamDef } from "../connector/types.ts";

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
    // An option a transform adds to each record takes its lane's value.
    ...(stream.transforms ?? []).flatMap((t) =>
      "add" in t
        ? Object.values(t.add).flatMap((v) =>
          placeholdersOf(v).filter((p) => !p.startsWith("parent."))
        )
        : []
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

/**
 * The key of an option slice: its placeholder values as `name=value` pairs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sliceKey } from "./_lanes.ts";
 * assert.equal(sliceKey({ region: "eu", kind: "a" }), "region=eu&kind=a");
 * assert.equal(sliceKey({}), "");
 * ```
 */
export const sliceKey = (vars: Record<string, string>): string =>
  Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("&");

/**
 * A lane's key: its option slice and, for a range partition, its range
 * (`"main"` for the single lane of a plain stream).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { laneKey } from "./_lanes.ts";
 * assert.equal(laneKey({}), "main");
 * assert.equal(laneKey({ region: "eu" }, { gte: 0, lt: 10 }), "region=eu [0,10)");
 * ```
 */
export function laneKey(
  vars: Record<string, string>,
  range?: { gte: number; lt: number },
): string {
  const parts = [sliceKey(vars), range ? `[${range.gte},${range.lt})` : ""]
    .filter(Boolean);
  return parts.join(" ") || "main";
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
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planLanes, shardLanes } from "./_lanes.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 * const stream = {
 *   path: "/items",
 *   primaryKey: "id",
 *   paginator: singlePaginator(),
 *   partition: {
 *     field: "updated",
 *     kind: "int" as const,
 *     start: 0,
 *     end: 100,
 *     gteParam: "from",
 *     ltParam: "to",
 *     partitions: 2,
 *   },
 * };
 * const connector = defineConnector({
 *   name: "t",
 *   baseUrl: "http://127.0.0.1",
 *   streams: { items: stream },
 * });
 * const lanes = planLanes({ connector }, stream, Date.now);
 * const shard = { index: 1, count: 2, streamIndex: 0 };
 * assert.deepEqual(shardLanes(lanes, shard, stream).map((l) => l.key), ["[0,50)"]);
 * assert.equal(shardLanes(lanes, undefined, stream).length, 2);
 * ```
 */
export function shardLanes(
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

/**
 * The lanes of a new sweep: option slices times range partitions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planLanes } from "./_lanes.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 * const stream = {
 *   path: "/items",
 *   primaryKey: "id",
 *   paginator: singlePaginator(),
 *   partition: {
 *     field: "updated",
 *     kind: "int" as const,
 *     start: 0,
 *     end: 100,
 *     gteParam: "from",
 *     ltParam: "to",
 *     partitions: 2,
 *   },
 * };
 * const connector = defineConnector({
 *   name: "t",
 *   baseUrl: "http://127.0.0.1",
 *   streams: { items: stream },
 * });
 * const lanes = planLanes({ connector }, stream, Date.now);
 * assert.deepEqual(lanes.map((l) => l.params), [
 *   { from: "0", to: "50" },
 *   { from: "50", to: "100" },
 * ]);
 * ```
 */
export function planLanes(
  o: Pick<StreamRunOptions, "connector" | "options" | "shard">,
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
