/**
 * What the page loop pulls one stream from: {@linkcode StreamSource}, with
 * the fetcher it calls and the counters it keeps.
 *
 * @module
 */

import {
  type HttpRequest,
  type HttpResponse,
  newRequestStats,
  type RequestStats,
} from "../http/http.ts";
import type { Row, StreamDef } from "../connector/types.ts";
import type { PagePosition } from "./page.ts";

/** The part of the HTTP client the page loop needs. */
export interface JsonFetcher {
  /** Fetch one URL and parse its JSON body (retries are the fetcher's business). */
  getJson(req: HttpRequest): Promise<HttpResponse>;
}

/** Counters a stream's page loop keeps, readable while it runs. */
export interface StreamStats extends RequestStats {
  /** Pages yielded (seed requests excluded). */
  pages: number;
  /** Records yielded. */
  records: number;
  /** What the run should report without failing (a total that lied). */
  warnings?: string[];
}

/**
 * Everything the page loop needs to pull one stream.
 *
 * @example
 * ```ts
 * import { newStreamStats, type StreamSource } from "./stream_source.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { singlePaginator } from "./paginators.ts";
 * const source: StreamSource = {
 *   id: "example/things",
 *   baseUrl: "https://api.example.com",
 *   stream: { path: "/things", primaryKey: "id", paginator: singlePaginator() },
 *   http: new HttpClient(),
 *   concurrency: 8,
 *   stats: newStreamStats(),
 * };
 * ```
 */
export interface StreamSource {
  /** `"connector/stream"`, for messages. */
  id: string;
  /** The connector's base URL (or the override given to the run). */
  baseUrl: string;
  /** The stream definition. */
  stream: StreamDef;
  /** The HTTP client (shared by all streams of a run, so they share its limiter). */
  http: JsonFetcher;
  /**
   * Pages fetched or buffered at once at most (the limiter decides what
   * flies): a number, or read as it changes (it follows the limiter's limit).
   */
  concurrency: number | (() => number);
  /** Counters updated as pages arrive. */
  stats: StreamStats;
  /** Stop after this many records (exactly). */
  limit?: number;
  /**
   * Records the run still wants (the limit, less what landed), read as
   * pages land. Bounds how many pages are fetched ahead; unlike `limit` it
   * cuts no page (the caller does, keeping a cut page's position exact).
   */
  wanted?: () => number;
  /** Resume point for paginators that own their range (id ranges). */
  start?: number;
  /**
   * Fail on what would otherwise be a warning that the spec looks wrong
   * (a full first page with no next link, a window ended on an empty page).
   * @default {false}
   */
  strict?: boolean;
  /** Values for `{name}` placeholders in the stream's path and params. */
  vars?: Record<string, string>;
  /** The parent record of a dependent stream's request, for `{parent.<field>}` in transforms. */
  parent?: Row;
  /** Continue after a durable position instead of from the first page. */
  resume?: PagePosition;
  /** Query parameters added to every request (auth, partition or incremental filters). */
  params?: Record<string, string>;
  /** Abort everything now. */
  signal?: AbortSignal;
  /** Graceful stop: no new request starts; pages already in flight still land. */
  stop?: AbortSignal;
}

/**
 * Fresh zeroed counters for a stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newStreamStats } from "./stream_source.ts";
 * assert(newStreamStats().records === 0);
 * ```
 */
export function newStreamStats(): StreamStats {
  return { ...newRequestStats(), pages: 0, records: 0 };
}
