/**
 * A stream's state, as stored in each commit entry: where every lane stands
 * in the current sweep, and the incremental bookmark of the last complete one.
 *
 * @module
 */

import { ConfigError } from "../connector/errors.ts";
import type { PagePosition } from "../paging/paginate.ts";

/** Records of a boundary value already landed, so a split lane skips them. */
export interface BoundarySkip {
  /** The boundary value (numeric form). */
  value: number;
  /** Primary keys (JSON) of records with that value already landed. */
  keys: string[];
}

/**
 * One lane of a sweep: an ordered page sequence (an option slice, a range
 * partition, or the detail walk of a dependent stream).
 *
 * @example
 * ```ts
 * import type { LaneState } from "./stream_state.ts";
 * const lane: LaneState = { key: "main", position: { page: -1 } };
 * ```
 */
export interface LaneState {
  /** Unique within the stream and stable across runs. */
  key: string;
  /** Values of `{name}` placeholders. */
  vars?: Record<string, string>;
  /** Extra query parameters (range bounds). */
  params?: Record<string, string>;
  /** The lane's range (numeric form), when it is a range partition. */
  range?: { gte: number; lt: number };
  /** Records to skip at the range's boundary after a split. */
  skip?: BoundarySkip;
  /** Where the lane stands. */
  position: PagePosition;
  /**
   * The index of the last durable record (or, for a dependent stream, parent
   * item) in the page after `position`, when only part of it landed.
   */
  item?: number;
}

/**
 * The state stored with each commit.
 *
 * @example
 * ```ts
 * import type { StreamState } from "./stream_state.ts";
 * const s: StreamState = {
 *   version: 1,
 *   sweep: "complete",
 *   records: 10,
 *   bookmark: { "": "2024-01-01T00:00:00Z" },
 * };
 * ```
 */
export interface StreamState {
  /** Format version. */
  version: 1;
  /** `running`: a sweep is under way (a new run resumes it); `complete`: the next run starts a new one. */
  sweep: "running" | "complete";
  /** Records landed by this sweep so far. */
  records: number;
  /** When the sweep started (ISO). */
  startedAt?: string;
  /**
   * The pass the sweep belongs to: the id of the run that started the set of
   * sweeps pulled together. A restarted run resumes an unfinished pass and
   * skips the sweeps that completed in it.
   */
  pass?: string;
  /** How the running sweep writes (a full refresh is a `replace` whatever the stream declares). */
  disposition?: "append" | "merge" | "replace";
  /**
   * The incremental filter value this sweep uses (fixed for the whole sweep),
   * per option slice (`""` when the stream has no option placeholders).
   */
  since?: Record<string, string | number | bigint>;
  /** Highest cursor value landed in this sweep, per option slice. */
  cursor?: Record<string, string | number | bigint>;
  /** Cursor values of the last complete sweep, per option slice: the next sweep starts there (minus lookback). */
  bookmark?: Record<string, string | number | bigint>;
  /** Lanes of the running sweep. */
  lanes?: Record<string, LaneState>;
  /** Files of a `replace` sweep, staged until the sweep completes. */
  staged?: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Check a stored state; a corrupt or hand-edited one is a {@linkcode ConfigError}
 * naming the file and the field, never silently reset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseState } from "./stream_state.ts";
 * const s = parseState({ version: 1, sweep: "complete", records: 3 }, "demo/items/metadata/v1.metadata.json");
 * assert(s.sweep === "complete");
 * let msg = "";
 * try {
 *   parseState({ version: 1, sweep: "sideways", records: 3 }, "x.json");
 * } catch (e) {
 *   msg = (e as Error).message;
 * }
 * assert(msg.includes("sweep"));
 * ```
 */
export function parseState(
  raw: unknown,
  file: string,
  connector = "<connector>",
): StreamState {
  const bad: Bad = (field, why) =>
    new ConfigError(
      `state in ${file} is corrupt: ${field} ${why}; restore the file, or run \`deno task state ${connector} --reset\` to start the next sweep afresh (the data stays)`,
    );
  if (!isObj(raw)) throw bad("the state", "is not an object");
  checkSweep(raw, bad);
  checkValues(raw, bad);
  if (raw.sweep === "running" && raw.lanes === undefined) {
    throw bad("lanes", "are missing from a running sweep");
  }
  if (raw.lanes !== undefined) {
    if (!isObj(raw.lanes)) throw bad("lanes", "must be an object");
    for (const [key, lane] of Object.entries(raw.lanes)) {
      checkLane(key, lane, bad);
    }
  }
  if (raw.staged !== undefined) {
    if (
      !Array.isArray(raw.staged) ||
      raw.staged.some((f) => typeof f !== "string")
    ) {
      throw bad("staged", "must be a list of paths");
    }
  }
  return raw as unknown as StreamState;
}

/** The error for a corrupt `field`, naming the state's file. */
type Bad = (field: string, why: string) => ConfigError;

/** The sweep's own fields: version, phase, count, start, pass, disposition. */
function checkSweep(raw: Record<string, unknown>, bad: Bad): void {
  if (raw.version !== 1) {
    throw bad("version", `must be 1, got ${JSON.stringify(raw.version)}`);
  }
  if (raw.sweep !== "running" && raw.sweep !== "complete") {
    throw bad(
      "sweep",
      `must be "running" or "complete", got ${JSON.stringify(raw.sweep)}`,
    );
  }
  if (!Number.isSafeInteger(raw.records) || (raw.records as number) < 0) {
    throw bad("records", "must be a whole number >= 0");
  }
  for (const k of ["startedAt", "pass"] as const) {
    if (raw[k] !== undefined && typeof raw[k] !== "string") {
      throw bad(k, "must be a string");
    }
  }
  if (
    raw.disposition !== undefined &&
    !["append", "merge", "replace"].includes(raw.disposition as string)
  ) {
    throw bad("disposition", `must be "append", "merge" or "replace"`);
  }
}

/** The per-slice cursor values: `since`, `cursor`, `bookmark`. */
function checkValues(raw: Record<string, unknown>, bad: Bad): void {
  for (const k of ["since", "cursor", "bookmark"] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    if (!isObj(v)) throw bad(k, "must be an object of values per option slice");
    for (const [slice, x] of Object.entries(v)) {
      // A bigint: an integer beyond 2^53, read back exactly (exactParse).
      if (
        typeof x !== "string" && typeof x !== "number" && typeof x !== "bigint"
      ) {
        throw bad(`${k}["${slice}"]`, "must be a string or a number");
      }
    }
  }
}

/** One lane of a running sweep, stored under `key`. */
function checkLane(key: string, lane: unknown, bad: Bad): void {
  if (!isObj(lane) || lane.key !== key) {
    throw bad(`lanes["${key}"]`, "is malformed");
  }
  checkPosition(key, lane.position, bad);
  if (
    lane.item !== undefined &&
    !(Number.isInteger(lane.item) && (lane.item as number) >= 0)
  ) {
    throw bad(`lanes["${key}"].item`, "must be a whole number >= 0");
  }
  for (const k of ["vars", "params"] as const) {
    const v = lane[k];
    if (
      v !== undefined &&
      (!isObj(v) || Object.values(v).some((x) => typeof x !== "string"))
    ) {
      throw bad(`lanes["${key}"].${k}`, "must map names to strings");
    }
  }
  if (lane.skip !== undefined) {
    const k = lane.skip;
    if (
      !isObj(k) || typeof k.value !== "number" || !Array.isArray(k.keys) ||
      k.keys.some((x) => typeof x !== "string")
    ) {
      throw bad(`lanes["${key}"].skip`, "must be {value, keys}");
    }
  }
  if (lane.range !== undefined) {
    const r = lane.range;
    if (
      !isObj(r) || typeof r.gte !== "number" || typeof r.lt !== "number" ||
      r.gte >= r.lt
    ) {
      throw bad(`lanes["${key}"].range`, "must be {gte, lt} with gte < lt");
    }
  }
}

/** Where the lane of `key` stands: its page, the next request, done. */
function checkPosition(key: string, p: unknown, bad: Bad): void {
  if (
    !isObj(p) || typeof p.page !== "number" || !Number.isInteger(p.page) ||
    p.page < -1
  ) {
    throw bad(
      `lanes["${key}"].position.page`,
      "must be a whole number >= -1",
    );
  }
  if (
    p.next !== undefined &&
    (!isObj(p.next) || typeof p.next.index !== "number" ||
      !(p.next.index > p.page) ||
      (p.next.params !== undefined && !isObj(p.next.params)))
  ) {
    throw bad(
      `lanes["${key}"].position.next`,
      "must be a page request after position.page",
    );
  }
  if (p.done !== undefined && typeof p.done !== "boolean") {
    throw bad(`lanes["${key}"].position.done`, "must be true or false");
  }
}
