/**
 * The events of a run, as `--log-format json` prints them.
 *
 * @module
 */

import type { HttpEvent } from "../http/http.ts";
import type { RunSummary } from "./run_summary.ts";

/**
 * An event of a run, as `--log-format json` prints it (one per line).
 *
 * @example
 * ```ts
 * import type { RunEvent } from "./run_event.ts";
 * const line = (e: RunEvent) => JSON.stringify(e);
 * ```
 */
export type RunEvent =
  | HttpEvent
  | {
    type: "run_start";
    runId: string;
    connector: string;
    streams: string[];
    lake: string;
  }
  | { type: "limit"; host: string; limit: number }
  | {
    type: "commit";
    stream: string;
    version: number;
    files: number;
    records: number;
    sweep: string;
  }
  | { type: "stream_error"; stream: string; error: string }
  | { type: "run_end"; summary: RunSummary };
