/**
 * What one stream's run is given: the options of `runStream`, shared by the
 * run and its lanes.
 *
 * @module
 */

import type { Connector } from "../connector/connector.ts";
import type { Storage } from "../lake/storage.ts";
import type { Format } from "../lake/stream_writer.ts";
import type { JsonFetcher, StreamStats } from "../paging/paginate.ts";

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
  /** Pages in flight or buffered per lane at most; read as it changes. */
  poolWidth: number | (() => number);
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
  /**
   * Fail the stream on what would otherwise be a warning that its spec
   * looks wrong (a cursor field no record has, a full first page with no
   * next link, ...), naming the stream, field or page.
   * @default {false}
   */
  strict?: boolean;
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
  /**
   * Kept up to date with what this run has committed so far: the records,
   * bytes and files a failed run still landed (it throws, so it returns no
   * {@linkcode StreamRunResult}).
   */
  committed?: { records: number; bytes: number; files: number };
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
