/**
 * The V8 flags a pull runs with, wherever it runs: the `pull` task, the
 * sandboxed child and a compiled binary.
 *
 * @module
 */

/**
 * V8 flags for a process that pulls.
 *
 * `--max-semi-space-size=8` (MiB) caps each isolate's young generation at
 * half of V8's default on a 64-bit machine (16 MiB semi-spaces, 32 MiB of
 * new space). A pull allocates every page's parsed JSON and drops it a few
 * milliseconds later; V8 keeps growing the young generation towards its cap
 * as a run goes on, so without the cap a 10,000,000-record pull peaked about
 * 60–120 MiB above a 1,000,000-record one (two isolates: the page loop's and
 * the Parquet encoder's) although neither keeps more data. With it, both
 * peaks are lower and close together, for the same CPU (`deno task bench
 * --mode memory` and `--mode cpu` show both).
 *
 * `DENO_V8_FLAGS` comes before these on Deno's command line, so it cannot
 * undo them for the `pull` task; for a sandboxed child inlet passes them in
 * `DENO_V8_FLAGS` ahead of the caller's own, so the caller's win.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PULL_V8_FLAGS } from "./pull_v8_flags.ts";
 * assert(PULL_V8_FLAGS.includes("--max-semi-space-size=8"));
 * ```
 */
export const PULL_V8_FLAGS: readonly string[] = Object.freeze([
  "--max-semi-space-size=8",
]);

/**
 * {@linkcode PULL_V8_FLAGS} as one `deno` argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullV8FlagsArg } from "./pull_v8_flags.ts";
 * assert.equal(pullV8FlagsArg(), "--v8-flags=--max-semi-space-size=8");
 * ```
 */
export function pullV8FlagsArg(): string {
  return `--v8-flags=${PULL_V8_FLAGS.join(",")}`;
}
