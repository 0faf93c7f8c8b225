/**
 * The options of `pull()`.
 *
 * @module
 */

import type { Storage } from "../lake/storage.ts";
import type { Format } from "../lake/stream_writer.ts";
import type { RunEvent } from "./run_event.ts";
import type { RunMonitor } from "./run_monitor.ts";

/**
 * Options of {@linkcode pull}.
 *
 * @example
 * ```ts
 * import type { PullOptions } from "./pull_options.ts";
 * const options: PullOptions = { lake: "./lake", concurrency: "auto", format: "parquet" };
 * ```
 */
export interface PullOptions {
  /** The lake: a folder, or a {@linkcode Storage}. @default {"./lake"} */
  lake?: string | Storage;
  /** Streams to pull. @default every stream */
  streams?: readonly string[];
  /** Requests in flight per host: a number pins it, `"auto"` finds the source's limit. @default {"auto"} */
  concurrency?: number | "auto";
  /** Ceiling of adaptive concurrency. @default {256} */
  maxConcurrency?: number;
  /** Records per stream at most (exactly this many when the source has more). */
  limit?: number;
  /**
   * Fail a stream on what would otherwise be a warning that its spec looks
   * wrong (`--strict`): a cursor field or primary key no record has, a full
   * first page with no next link, pages that ended on an empty one with no
   * total, a total that said more than the source held.
   * @default {false} each is a warning of the run summary
   */
  strict?: boolean;
  /** File format. @default {"parquet"} */
  format?: Format;
  /** Compression of NDJSON files. @default {"zstd"} */
  compression?: "zstd" | "gzip";
  /** Records per file; each full file is committed (a checkpoint). @default {500000} */
  fileRecords?: number;
  /** Milliseconds between checkpoints at most. @default {60000} */
  checkpointMs?: number;
  /** Values of the connector's options (`--repo a/b --repo c/d`). */
  options?: Record<string, readonly string[]>;
  /** Where an incremental stream's first sweep starts. */
  since?: string;
  /** Ignore stored state and replace each stream's data with a new full sweep. */
  fullRefresh?: boolean;
  /** Replace the connector's base URL (a staging host, a local test server). */
  baseUrl?: string;
  /** Where secrets come from. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
  /** The fetch implementation. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds. @default {30000} */
  timeoutMs?: number;
  /**
   * How long the source may keep throttling (429, or asking for a wait)
   * while no request of the run succeeds, in milliseconds; then the run fails
   * with a `StalledError`. While requests succeed, a throttled one waits
   * what the source asks, as often as it asks. @default {300000}
   */
  stallTimeoutMs?: number;
  /** Abort at once: nothing more is committed. */
  signal?: AbortSignal;
  /** Stop gracefully: no new request; pages in flight land and are committed. */
  stop?: AbortSignal;
  /** The run's id (sortable, unique). @default a UTC timestamp plus random hex */
  runId?: string;
  /** Receives live counters as soon as the run starts. */
  monitor?: (run: RunMonitor) => void;
  /** Receives the run's events: start, retries, throttles, limit changes, commits, errors, end. */
  onEvent?: (event: RunEvent) => void;
  /** Pull only shard `index` of `count` (`--shard 2/3`): its lanes, with its own state. */
  shard?: { index: number; count: number };
}
