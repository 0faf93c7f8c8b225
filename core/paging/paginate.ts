/**
 * The engine's page loop: drives a stream's paginator, fetching addressable
 * pages concurrently through {@linkcode pooledMap} and cursor chains in
 * sequence. Pages and records are `AsyncIterable`s.
 *
 * @module
 */

import {
  type HttpRequest,
  type HttpResponse,
  newRequestStats,
  type RequestStats,
} from "../http/http.ts";
import { extractRecords } from "./_extract_records.ts";
import { PaginationError } from "../connector/errors.ts";
import { planned, shortPageError, warnEndedEarly } from "./_fanout_end.ts";
import { checkPrimaryKey } from "./_primary_key.ts";
import { pooledMap } from "../async/pool.ts";
import type {
  PageRequest,
  PageResponse,
  PaginateContext,
  Row,
  StreamDef,
} from "../connector/types.ts";

export { extractRecords } from "./_extract_records.ts";

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
 * import type { StreamSource } from "./paginate.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { singlePaginator } from "./paginators.ts";
 * import { newStreamStats } from "./paginate.ts";
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
  /** Pages fetched or buffered at once at most (the limiter decides what flies). */
  concurrency: number;
  /** Counters updated as pages arrive. */
  stats: StreamStats;
  /** Stop after this many records (exactly). */
  limit?: number;
  /** Resume point for paginators that own their range (id ranges). */
  start?: number;
  /** Values for `{name}` placeholders in the stream's path and params. */
  vars?: Record<string, string>;
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
 * Where a page sequence stands: the last durable page, and for sequential
 * chains the request that comes next. Stored in checkpoints.
 *
 * @example
 * ```ts
 * import type { PagePosition } from "./paginate.ts";
 * const p: PagePosition = { page: 4, next: { index: 5, params: { cursor: "abc" } } };
 * ```
 */
export interface PagePosition {
  /** Index of the last page whose records are durable (-1: none). */
  page: number;
  /** The next request of a sequential chain; absent for fan-out plans. */
  next?: PageRequest;
  /** The seed page's body (e.g. the max id), so the plan is the same on resume. */
  anchor?: unknown;
  /** Every page is durable: nothing more to fetch. */
  done?: boolean;
}

/**
 * A page as the page loop yields it: the response plus where the sequence
 * stands once this page is durable.
 *
 * @example
 * ```ts
 * import type { Page } from "./paginate.ts";
 * const checkpoint = (p: Page) => p.position.page;
 * ```
 */
export interface Page extends PageResponse {
  /** The position to store once this page's records are durable. */
  position: PagePosition;
}

/**
 * Replace `{name}` placeholders with URL-encoded values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fillTemplate } from "./paginate.ts";
 * assert(fillTemplate("/repos/{repo}/issues", { repo: "a/b" }, true) === "/repos/a/b/issues");
 * ```
 */
export function fillTemplate(
  template: string,
  vars: Record<string, string> | undefined,
  keepSlashes = false,
): string {
  if (!vars) return template;
  return template.replace(
    /\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) return whole;
      return keepSlashes
        ? v.split("/").map(encodeURIComponent).join("/")
        : encodeURIComponent(v);
    },
  );
}

/**
 * Fresh zeroed counters for a stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newStreamStats } from "./paginate.ts";
 * assert(newStreamStats().records === 0);
 * ```
 */
export function newStreamStats(): StreamStats {
  return { ...newRequestStats(), pages: 0, records: 0 };
}

/**
 * Build the URL of a page request: the source's own URL when it gave one,
 * else base URL + path + the merged query parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestUrl } from "./paginate.ts";
 * const url = requestUrl("https://h.example.com/v0", { path: "/item/{id}.json", params: { a: "1" } }, {
 *   index: 3,
 *   path: "/item/7.json",
 * }, { key: "k" });
 * assert(url === "https://h.example.com/v0/item/7.json?a=1&key=k");
 * ```
 */
export function requestUrl(
  baseUrl: string,
  stream: Pick<StreamDef, "path" | "params">,
  req: PageRequest,
  extra: Record<string, string> = {},
  vars?: Record<string, string>,
): string {
  if (req.url !== undefined) {
    // The source owns this URL; only our own extras (auth) are added.
    const u = new URL(req.url);
    for (const [k, v] of Object.entries(extra)) {
      if (!u.searchParams.has(k)) u.searchParams.set(k, v);
    }
    return u.href;
  }
  const path = fillTemplate(req.path ?? stream.path, vars, true);
  const u = new URL(
    baseUrl.replace(/\/+$/, "") +
      (path === "" ? "" : "/" + path.replace(/^\/+/, "")),
  );
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(stream.params ?? {})) {
    merged[k] = typeof v === "string" ? fillTemplate(v, vars) : String(v);
  }
  Object.assign(merged, extra, req.params ?? {});
  for (const [k, v] of Object.entries(merged)) u.searchParams.set(k, v);
  return u.href;
}

/**
 * A next request as state may keep it: a source-owned URL (a Link header,
 * a next link) echoes our own query extras, an API key among them, and
 * state is written to the lake. They are added again to every request.
 */
function withoutExtras(
  req: PageRequest,
  extra: Record<string, string> | undefined,
): PageRequest {
  if (req.url === undefined || !extra) return req;
  const u = new URL(req.url);
  let changed = false;
  for (const [k, v] of Object.entries(extra)) {
    if (u.searchParams.get(k) === v) {
      u.searchParams.delete(k);
      changed = true;
    }
  }
  return changed ? { ...req, url: u.href } : req;
}

function* skipDurable(
  requests: Iterable<PageRequest>,
  durable: number,
): Iterable<PageRequest> {
  for (const r of requests) if (r.index > durable) yield r;
}

function untilStopped<T>(
  items: Iterable<T>,
  stop: AbortSignal | undefined,
): Iterable<T> {
  if (!stop) return items;
  return {
    *[Symbol.iterator]() {
      for (const item of items) {
        if (stop.aborted) return;
        yield item;
      }
    },
  };
}

/**
 * Yield a stream's pages in order, fetching as the paginator allows:
 * `fanout` and `window` plans concurrently (ordered, bounded), `next` chains
 * one page after the other. Stops exactly at `limit` records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paginate, newStreamStats } from "./paginate.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { offsetPaginator } from "./paginators.ts";
 * import { startApiServer } from "../testing/api_server.ts";
 *
 * const server = await startApiServer({ records: 120 });
 * try {
 *   let records = 0;
 *   for await (const page of paginate({
 *     id: "demo/items",
 *     baseUrl: server.url,
 *     stream: {
 *       path: "/offset/items",
 *       recordsPath: "items",
 *       primaryKey: "id",
 *       paginator: offsetPaginator({ limit: 50, totalPath: "total" }),
 *     },
 *     http: new HttpClient(),
 *     concurrency: 4,
 *     stats: newStreamStats(),
 *   })) records += page.records.length;
 *   assert(records === 120);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function* paginate(source: StreamSource): AsyncGenerator<Page> {
  const { stream, stats } = source;
  const paginator = stream.paginator;
  const ctx: PaginateContext = {};
  if (source.limit !== undefined) ctx.limit = source.limit;
  if (source.start !== undefined) ctx.start = source.start;
  let remaining = source.limit ?? Infinity;
  const resume = source.resume;
  if (remaining <= 0 || resume?.done || source.stop?.aborted) return;

  const fetchPage = async (
    req: PageRequest,
    signal?: AbortSignal,
  ): Promise<PageResponse> => {
    const url = requestUrl(
      source.baseUrl,
      stream,
      req,
      source.params,
      source.vars,
    );
    const sig = signal && source.signal
      ? AbortSignal.any([signal, source.signal])
      : signal ?? source.signal;
    const where = { stream: source.id, page: req.index };
    const res = await source.http.getJson({
      url,
      ...(sig ? { signal: sig } : {}),
      context: where,
      stats,
      ...(stream.allowInvalidUtf8 ? { allowInvalidUtf8: true } : {}),
    });
    let records: Row[] = [];
    if (!req.seed) {
      const at = { ...where, url: res.url };
      records = extractRecords(res.body, stream.recordsPath, at, stream);
      if (!stream.allowMissingKey) {
        checkPrimaryKey(records, stream.primaryKey, at, source.vars);
      }
    }
    return {
      request: req,
      url: res.url,
      status: res.status,
      headers: res.headers,
      body: res.body,
      records,
    };
  };

  let anchor: unknown = resume?.anchor;
  // Counts a page, trims it to the limit and says where the sequence stands after it.
  const take = (page: PageResponse, next?: PageRequest): Page => {
    if (page.records.length > remaining) {
      page.records = page.records.slice(0, remaining);
    }
    remaining -= page.records.length;
    stats.pages++;
    stats.records += page.records.length;
    const position: PagePosition = { page: page.request.index };
    if (next) position.next = withoutExtras(next, source.params);
    if (anchor !== undefined) position.anchor = anchor;
    return Object.assign(page, { position });
  };

  // Pages at or below the durable position are fetched only to plan, never yielded again.
  const durable = resume?.page ?? -1;
  const first = resume?.next ?? paginator.first(ctx);
  let page: PageResponse;
  if (first.seed && anchor !== undefined) {
    // The plan of a resumed run must be the one its checkpoints describe.
    page = {
      request: first,
      url: "",
      status: 200,
      headers: new Headers(),
      body: anchor,
      records: [],
    };
  } else {
    page = await fetchPage(first);
    if (first.seed) anchor = page.body;
  }
  while (true) {
    const next = paginator.next(page, ctx);
    if (!page.request.seed && page.request.index > durable) {
      yield take(page, next.type === "next" ? next.request : undefined);
      if (remaining <= 0) return;
    }
    switch (next.type) {
      case "done":
        return;
      case "next":
        if (source.stop?.aborted) return;
        page = await fetchPage(next.request);
        continue;
      case "fanout":
      case "window": {
        const plan = planned(next.requests);
        const pending = durable < 0 ? plan : skipDurable(plan, durable);
        const pages = pooledMap(untilStopped(pending, source.stop), fetchPage, {
          concurrency: source.concurrency,
          ordered: true,
          ...(source.signal ? { signal: source.signal } : {}),
        });
        // A short page before the planned end: the page after it says
        // whether the total lied (empty: the data ends here) or the source
        // gave fewer records than asked mid-way (a capped page size, rows
        // that moved): then records would be skipped, so the run fails.
        let short: PageResponse | undefined;
        try {
          for await (const p of pages) {
            if (short) {
              if (p.records.length > 0) {
                throw shortPageError(source.id, short, p);
              }
              break;
            }
            yield take(p);
            // Leaving the loop aborts and settles the pages still in flight.
            const last = next.isLast?.(p) ?? false;
            if (remaining <= 0) break;
            if (!last) continue;
            if (next.type !== "fanout" || plan.endsAt(p.request.index)) break;
            warnEndedEarly(stats, source.id, p);
            short = p;
          }
        } catch (err) {
          // The look past a lying total may fail (a 404 past the data): the
          // data ended at the short page all the same.
          if (!short || err instanceof PaginationError) throw err;
        }
        return;
      }
    }
  }
}

/**
 * Yield a stream's records, page after page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newStreamStats, records } from "./paginate.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { cursorPaginator } from "./paginators.ts";
 * import { startApiServer } from "../testing/api_server.ts";
 *
 * const server = await startApiServer({ records: 30 });
 * try {
 *   const ids: unknown[] = [];
 *   for await (const r of records({
 *     id: "demo/items",
 *     baseUrl: server.url,
 *     stream: {
 *       path: "/cursor/items",
 *       params: { limit: 10 },
 *       recordsPath: "data",
 *       primaryKey: "id",
 *       paginator: cursorPaginator({ cursorParam: "cursor", cursorPath: "next_cursor" }),
 *     },
 *     http: new HttpClient(),
 *     concurrency: 1,
 *     stats: newStreamStats(),
 *   })) ids.push(r.id);
 *   assert(ids.length === 30);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function* records(source: StreamSource): AsyncGenerator<Row> {
  for await (const page of paginate(source)) yield* page.records;
}
