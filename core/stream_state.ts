/**
 * A stream's state, as stored in each commit entry: where every lane stands
 * in the current sweep, and the incremental bookmark of the last complete one.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { PagePosition } from "./paginate.ts";

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
  /** For a dependent stream: the index of the last durable item in the parent page after `position`. */
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
   * The incremental filter value this sweep uses (fixed for the whole sweep),
   * per option slice (`""` when the stream has no option placeholders).
   */
  since?: Record<string, string | number>;
  /** Highest cursor value landed in this sweep, per option slice. */
  cursor?: Record<string, string | number>;
  /** Cursor values of the last complete sweep, per option slice: the next sweep starts there (minus lookback). */
  bookmark?: Record<string, string | number>;
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
 * import { parseState } from "./stream_state.ts";
 * const s = parseState({ version: 1, sweep: "complete", records: 3 }, "demo/items/_log/1.json");
 * console.assert(s.sweep === "complete");
 * let msg = "";
 * try {
 *   parseState({ version: 1, sweep: "sideways", records: 3 }, "x.json");
 * } catch (e) {
 *   msg = (e as Error).message;
 * }
 * console.assert(msg.includes("sweep"));
 * ```
 */
export function parseState(raw: unknown, file: string): StreamState {
  const bad = (field: string, why: string) =>
    new ConfigError(
      `state in ${file} is corrupt: ${field} ${why}; fix or restore the file, or run \`deno task state <connector> --reset\``,
    );
  if (!isObj(raw)) throw bad("the state", "is not an object");
  if (raw.version !== 1) {
    throw bad("version", `must be 1, got ${JSON.stringify(raw.version)}`);
  }
  if (raw.sweep !== "running" && raw.sweep !== "complete") {
    throw bad(
      "sweep",
      `must be "running" or "complete", got ${JSON.stringify(raw.sweep)}`,
    );
  }
  if (typeof raw.records !== "number" || !(raw.records >= 0)) {
    throw bad("records", "must be a number >= 0");
  }
  for (const k of ["since", "cursor", "bookmark"] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    if (!isObj(v)) throw bad(k, "must be an object of values per option slice");
    for (const [slice, x] of Object.entries(v)) {
      if (typeof x !== "string" && typeof x !== "number") {
        throw bad(`${k}["${slice}"]`, "must be a string or a number");
      }
    }
  }
  if (raw.lanes !== undefined) {
    if (!isObj(raw.lanes)) throw bad("lanes", "must be an object");
    for (const [key, lane] of Object.entries(raw.lanes)) {
      if (!isObj(lane) || lane.key !== key) {
        throw bad(`lanes["${key}"]`, "is malformed");
      }
      const p = lane.position;
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
        (!isObj(p.next) || typeof p.next.index !== "number")
      ) {
        throw bad(`lanes["${key}"].position.next`, "must be a page request");
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
