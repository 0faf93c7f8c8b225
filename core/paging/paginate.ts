/**
 * The engine's page loop: drives a stream's paginator, fetching addressable
 * pages concurrently through {@linkcode pooledMap} and cursor chains in
 * sequence. Pages and records are `AsyncIterable`s.
 *
 * @module
 */

import { applyTransforms } from "./_apply_transforms.ts";
import { extractRecords } from "./_extract_records.ts";
import { PaginationError } from "../connector/errors.ts";
import {
  planned,
  shortPageError,
  warnCappedPages,
  warnEndedEarly,
} from "./_fanout_end.ts";
import { checkPrimaryKey } from "./_primary_key.ts";
import { checkNextLink, checkWindowEnd, specWarning } from "./_spec_warning.ts";
import { requestBody, requestUrl, withoutExtras } from "./_request_url.ts";
import { DemandGate } from "../async/demand_gate.ts";
import { pooledMap } from "../async/pool.ts";
import { FetchedPage, LandingPage } from "./_fetched_page.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  PaginateContext,
  Row,
} from "../connector/types.ts";
import type { Page, PagePosition } from "./page.ts";
import type { StreamSource } from "./stream_source.ts";

export { extractRecords } from "./_extract_records.ts";
export { fillTemplate, requestUrl } from "./_request_url.ts";
export type { Page, PagePosition } from "./page.ts";
export {
  type JsonFetcher,
  newStreamStats,
  type StreamSource,
  type StreamStats,
} from "./stream_source.ts";

/** Paginators whose `next` follows a short page, in case the source caps its page size. */
const CAPPABLE = new Set(["offset", "page_number"]);

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

/** A plan the engine fetches concurrently: every request is addressable. */
type Plan = Extract<Next, { type: "fanout" | "window" }>;

/**
 * What a stream's pull has left and where it stands: the records still
 * allowed by the limit, and the seed page's body that fixes the plan.
 */
class Tally {
  remaining: number;
  anchor: unknown;

  constructor(readonly source: StreamSource) {
    this.remaining = source.limit ?? Infinity;
    this.anchor = source.resume?.anchor;
  }

  /**
   * Transforms a page's records and checks their keys, counts them, trims
   * them to the limit and says where the sequence stands after the page.
   * The paginator keeps the page as fetched: what it judges (a short page,
   * the last record's key) is what the source sent.
   */
  take(page: PageResponse, next?: PageRequest): Page {
    const { stats, stream, vars, parent } = this.source;
    const at = {
      stream: this.source.id,
      page: page.request.index,
      url: page.url,
    };
    const ctx = { ...(vars ? { vars } : {}), ...(parent ? { parent } : {}) };
    let records = applyTransforms(page.records, stream.transforms, ctx, at);
    if (!stream.allowMissingKey) {
      checkPrimaryKey(records, stream.primaryKey, at, vars);
    }
    if (records.length > this.remaining) {
      records = records.slice(0, this.remaining);
    }
    this.remaining -= records.length;
    stats.pages++;
    stats.records += records.length;
    const position: PagePosition = { page: page.request.index };
    if (next) position.next = withoutExtras(next, this.source.params);
    if (this.anchor !== undefined) position.anchor = this.anchor;
    return new LandingPage(page, records, position);
  }
}

/** Fetch one page of `source` and find its records (none for a seed). */
async function fetchPage(
  source: StreamSource,
  req: PageRequest,
  signal?: AbortSignal,
): Promise<PageResponse> {
  const { stream, stats } = source;
  const url = requestUrl(
    source.baseUrl,
    stream,
    req,
    source.params,
    source.vars,
  );
  // A pooled page's signal already follows the stream's (the pool aborts
  // its calls with the stream signal's reason), and AbortSignal.any cost
  // more CPU per page than the rest of the request's bookkeeping.
  const sig = signal ?? source.signal;
  const where = { stream: source.id, page: req.index };
  const body = requestBody(stream, req, source.vars);
  const res = await source.http.getJson({
    url,
    ...(body !== undefined ? { method: "POST" as const, body } : {}),
    ...(sig ? { signal: sig } : {}),
    context: where,
    stats,
    ...(stream.allowInvalidUtf8 ? { allowInvalidUtf8: true } : {}),
  });
  let records: Row[] = [];
  if (!req.seed) {
    const at = { ...where, url: res.url };
    records = extractRecords(res.body, stream.recordsPath, at, stream);
  }
  // A class, not a literal: see _fetched_page.ts.
  return new FetchedPage(
    req,
    res.url,
    res.status,
    res.headers,
    res.body,
    records,
  );
}

/** The first page of the sequence, fetched or, for a resumed seed, recalled. */
async function firstPage(
  source: StreamSource,
  first: PageRequest,
  tally: Tally,
): Promise<PageResponse> {
  if (first.seed && tally.anchor !== undefined) {
    // The plan of a resumed run must be the one its checkpoints describe.
    return {
      request: first,
      url: "",
      status: 200,
      headers: new Headers(),
      body: tally.anchor,
      records: [],
    };
  }
  const page = await fetchPage(source, first);
  if (first.seed) tally.anchor = page.body;
  return page;
}

/**
 * Yield the pages of a `fanout` or `window` plan in order, fetched
 * concurrently, skipping those at or below `durable`.
 */
async function* fetchPlan(
  source: StreamSource,
  next: Plan,
  durable: number,
  tally: Tally,
  firstSize: number,
): AsyncGenerator<Page> {
  const plan = planned(next.requests);
  const pending = untilStopped(
    durable < 0 ? plan : skipDurable(plan, durable),
    source.stop,
  );
  // With a record limit, no more pages fly than the records still wanted
  // could fill, at the largest page size seen.
  let size = firstSize;
  const gate = source.wanted ? new DemandGate(source.wanted) : undefined;
  const pages = pooledMap(
    gate ? gate.admit(pending, () => size) : pending,
    (req, signal) => fetchPage(source, req, signal),
    {
      concurrency: source.concurrency,
      ordered: true,
      ...(source.signal ? { signal: source.signal } : {}),
    },
  );
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
      size = Math.max(size, p.records.length);
      yield tally.take(p);
      gate?.settle();
      // Leaving the loop aborts and settles the pages still in flight.
      const last = next.isLast?.(p) ?? false;
      if (tally.remaining <= 0) break;
      if (!last) continue;
      if (next.type === "window") {
        checkWindowEnd(source, source.stream.paginator, p);
      }
      if (next.type !== "fanout" || plan.endsAt(p.request.index)) break;
      if (source.strict) {
        specWarning(source, p, "ended the pages early: the total said more");
      }
      warnEndedEarly(source.stats, source.id, p);
      short = p;
    }
  } catch (err) {
    // The look past a lying total may fail (a 404 past the data): the
    // data ended at the short page all the same.
    if (!short || err instanceof PaginationError) throw err;
  } finally {
    gate?.close();
  }
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
  const paginator = source.stream.paginator;
  const ctx: PaginateContext = {};
  if (source.limit !== undefined) ctx.limit = source.limit;
  if (source.start !== undefined) ctx.start = source.start;
  const tally = new Tally(source);
  const resume = source.resume;
  if (tally.remaining <= 0 || resume?.done || source.stop?.aborted) return;

  // Pages at or below the durable position are fetched only to plan, never yielded again.
  const durable = resume?.page ?? -1;
  const first = resume?.next ?? paginator.first(ctx);
  let page = await firstPage(source, first, tally);
  let capWarned = false;
  while (true) {
    const next = paginator.next(page, ctx);
    if (next.type === "done") checkNextLink(source, paginator, page);
    if (!page.request.seed && page.request.index > durable) {
      yield tally.take(page, next.type === "next" ? next.request : undefined);
      if (tally.remaining <= 0) return;
    }
    switch (next.type) {
      case "done":
        return;
      case "next": {
        if (source.stop?.aborted) return;
        const before = page;
        page = await fetchPage(source, next.request);
        if (!capWarned && CAPPABLE.has(paginator.type) && page.records.length) {
          capWarned = true;
          warnCappedPages(source.stats, source.id, before, page);
        }
        continue;
      }
      case "fanout":
      case "window":
        yield* fetchPlan(source, next, durable, tally, page.records.length);
        return;
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
