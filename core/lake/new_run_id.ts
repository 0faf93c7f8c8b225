/**
 * Run ids, which name a run's staged and committed files.
 *
 * @module
 */
import { pad } from "./_paths.ts";

/**
 * A run id: the UTC start time to the millisecond, then 4 random hex digits
 * (`20261124T041300.123Z-a1b2`). Ids sort by start time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRunId } from "./stream_table.ts";
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
