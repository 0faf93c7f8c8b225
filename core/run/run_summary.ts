/**
 * What a run did, and what each of its streams did.
 *
 * @module
 */

export interface StreamSummary {
  /** Stream name. */
  stream: string;
  /** Records written and committed (a failed stream's too: what it kept). */
  records: number;
  /** Pages fetched. */
  pages: number;
  /** HTTP requests sent (retries included). */
  requests: number;
  /** Retries. */
  retries: number;
  /** 429 answers. */
  throttled: number;
  /** Bytes received. */
  bytes: number;
  /** Bytes written to the lake. */
  bytesWritten: number;
  /** Files committed. */
  files: number;
  /** Wall time in milliseconds. */
  durationMs: number;
  /** Most requests in flight at once (sampled). */
  maxInFlight: number;
  /** The sweep finished (false: stopped, limited or failed; the next run continues). */
  complete: boolean;
  /** The error that stopped the stream, if any. */
  error?: string;
  /** What went wrong without failing the stream (a total that said more than the source held). */
  warnings?: string[];
}

/**
 * What a run did; written to `<lake>/<connector>/_runs/<run-id>.json`.
 *
 * @example
 * ```ts
 * import type { RunSummary } from "./run_summary.ts";
 * const ok = (s: RunSummary) => s.status === "ok";
 * ```
 */
export interface RunSummary {
  /** Run id. */
  runId: string;
  /** Connector name. */
  connector: string;
  /** `ok`, `failed`, or `stopped` (a graceful stop: the next run continues). */
  status: "ok" | "failed" | "stopped";
  /** ISO start time. */
  startedAt: string;
  /** Wall time in milliseconds. */
  durationMs: number;
  /** Totals over streams. */
  records: number;
  /** Pages over streams. */
  pages: number;
  /** Requests over streams. */
  requests: number;
  /** Retries over streams. */
  retries: number;
  /** Bytes received over streams. */
  bytes: number;
  /** The concurrency in force at the end, per host. */
  limits: Record<string, number>;
  /** Limit changes over time, per host (bounded). */
  limitTrace: Record<string, Array<{ atMs: number; limit: number }>>;
  /**
   * The lowest and highest concurrency over the run and the one at its end,
   * per host: with `--concurrency n`, how far the source's pushback took the
   * requests in flight below `n`.
   */
  limitRange?: Record<string, { min: number; max: number; final: number }>;
  /** Per stream. */
  streams: StreamSummary[];
  /** Error messages, one per failed stream. */
  errors: string[];
  /** Warnings over streams: the run succeeded, but look at these. */
  warnings: string[];
}
