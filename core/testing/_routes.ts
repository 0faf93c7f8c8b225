/**
 * The test API's routes: one per pagination style, each building its body
 * straight from ids (no scan over the data set).
 *
 * @module
 */

import { hnItemJson } from "./_hn_items.ts";
import { idsCreatedIn, type RecordStore } from "./_records.ts";

/** What a route answers. */
export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

class BadParam extends Error {}

function intParam(
  q: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = q.get(name);
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new BadParam(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  // Like most APIs, a page size over the maximum is clamped, not refused.
  return Math.min(n, max);
}

function range(from: number, to: number): number[] {
  const ids: number[] = [];
  for (let id = from; id <= to; id++) ids.push(id);
  return ids;
}

function withParam(url: URL, name: string, value: number): string {
  const next = new URL(url);
  next.searchParams.set(name, String(value));
  return next.href;
}

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 50;

function offsetItems(store: RecordStore, q: URLSearchParams): Reply {
  const offset = intParam(q, "offset", 0, 0);
  const limit = intParam(q, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
  const ids = range(offset + 1, Math.min(offset + limit, store.count));
  const total = q.get("total") === "false" ? "" : `,"total":${store.count}`;
  return { status: 200, body: `{"items":${store.jsonList(ids)}${total}}` };
}

function pagedItems(store: RecordStore, q: URLSearchParams): Reply {
  const page = intParam(q, "page", 1, 1);
  const perPage = intParam(q, "per_page", DEFAULT_PAGE, 1, MAX_PAGE);
  const from = (page - 1) * perPage + 1;
  const ids = range(from, Math.min(from + perPage - 1, store.count));
  const totalPages = q.get("total") === "false"
    ? ""
    : `,"total_pages":${Math.ceil(store.count / perPage)}`;
  return {
    status: 200,
    body: `{"data":${store.jsonList(ids)},"page":${page}${totalPages}}`,
  };
}

function encodeCursor(lastId: number): string {
  return btoa(`after:${lastId}`);
}

function decodeCursor(cursor: string): number {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    throw new BadParam(`invalid cursor "${cursor}"`);
  }
  const m = /^after:(\d+)$/.exec(text);
  if (m === null) throw new BadParam(`invalid cursor "${cursor}"`);
  return Number(m[1]);
}

function cursorItems(store: RecordStore, q: URLSearchParams): Reply {
  const limit = intParam(q, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
  const cursor = q.get("cursor");
  const after = cursor === null || cursor === "" ? 0 : decodeCursor(cursor);
  const last = Math.min(after + limit, store.count);
  const ids = range(after + 1, last);
  const next = ids.length > 0 && last < store.count
    ? `"${encodeCursor(last)}"`
    : "null";
  return {
    status: 200,
    body: `{"data":${store.jsonList(ids)},"next_cursor":${next}}`,
  };
}

function stripeItems(store: RecordStore, q: URLSearchParams): Reply {
  if (q.has("ending_before")) {
    throw new BadParam("ending_before is not supported by this test server");
  }
  const limit = intParam(q, "limit", 10, 1, 100);
  let gte = -Infinity;
  let lt = Infinity;
  const exact = q.get("created");
  if (exact !== null) {
    const c = intParam(q, "created", 0, 0);
    gte = c;
    lt = c + 1;
  }
  if (q.has("created[gte]")) {
    gte = Math.max(gte, intParam(q, "created[gte]", 0, 0));
  }
  if (q.has("created[gt]")) {
    gte = Math.max(gte, intParam(q, "created[gt]", 0, 0) + 1);
  }
  if (q.has("created[lt]")) lt = Math.min(lt, intParam(q, "created[lt]", 0, 0));
  if (q.has("created[lte]")) {
    lt = Math.min(lt, intParam(q, "created[lte]", 0, 0) + 1);
  }
  const { lo, hi } = idsCreatedIn(gte, lt, store.count);
  const after = q.get("starting_after");
  // Newest first: created descending, then id descending; both follow id.
  const top = after === null
    ? hi
    : Math.min(hi, intParam(q, "starting_after", 0, 1) - 1);
  const ids: number[] = [];
  for (let id = top; id >= lo && ids.length < limit; id--) ids.push(id);
  const lastId = ids.at(-1);
  const hasMore = lastId !== undefined && lastId > lo;
  return {
    status: 200,
    body: `{"object":"list","data":${
      store.jsonList(ids, true)
    },"has_more":${hasMore},"url":"/stripe/items"}`,
  };
}

function nextUrlItems(store: RecordStore, url: URL): Reply {
  const q = url.searchParams;
  const page = intParam(q, "page", 1, 1);
  const size = intParam(q, "page_size", DEFAULT_PAGE, 1, MAX_PAGE);
  const from = (page - 1) * size + 1;
  const last = Math.min(from + size - 1, store.count);
  const next = last < store.count
    ? JSON.stringify(withParam(url, "page", page + 1))
    : "null";
  return {
    status: 200,
    body: `{"results":${store.jsonList(range(from, last))},"next":${next}}`,
  };
}

function linkItems(store: RecordStore, url: URL): Reply {
  const q = url.searchParams;
  const page = intParam(q, "page", 1, 1);
  const perPage = intParam(q, "per_page", DEFAULT_PAGE, 1, MAX_PAGE);
  const lastPage = Math.max(1, Math.ceil(store.count / perPage));
  const from = (page - 1) * perPage + 1;
  const ids = range(from, Math.min(from + perPage - 1, store.count));
  // GitHub's order: next and last while there is more, prev and first after page 1.
  const links: string[] = [];
  if (page < lastPage) {
    links.push(`<${withParam(url, "page", page + 1)}>; rel="next"`);
    links.push(`<${withParam(url, "page", lastPage)}>; rel="last"`);
  }
  if (page > 1) {
    links.push(
      `<${withParam(url, "page", Math.min(page - 1, lastPage))}>; rel="prev"`,
    );
    links.push(`<${withParam(url, "page", 1)}>; rel="first"`);
  }
  const headers: Record<string, string> = links.length > 0
    ? { link: links.join(", ") }
    : {};
  return { status: 200, body: store.jsonList(ids), headers };
}

function updatedItems(store: RecordStore, q: URLSearchParams): Reply {
  const since = q.get("since");
  const sinceMs = since === null || since === ""
    ? -Infinity
    : Date.parse(since);
  if (Number.isNaN(sinceMs)) {
    throw new BadParam(`since must be an ISO timestamp, got "${since}"`);
  }
  const offset = intParam(q, "offset", 0, 0);
  const limit = intParam(q, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
  const { ids, total } = store.updatedSince(sinceMs, offset, limit);
  const t = q.get("total") === "false" ? "" : `,"total":${total}`;
  return { status: 200, body: `{"items":${store.jsonList(ids)}${t}}` };
}

const HN_ITEM = /^\/v0\/item\/([^/]+)\.json$/;

/** Answer a GET for `url` from `store`. */
export function route(store: RecordStore, url: URL): Reply {
  const q = url.searchParams;
  try {
    switch (url.pathname) {
      case "/offset/items":
        return offsetItems(store, q);
      case "/pages/items":
        return pagedItems(store, q);
      case "/cursor/items":
        return cursorItems(store, q);
      case "/stripe/items":
        return stripeItems(store, q);
      case "/next/items":
        return nextUrlItems(store, url);
      case "/link/items":
        return linkItems(store, url);
      case "/updated/items":
        return updatedItems(store, q);
      case "/v0/maxitem.json":
        return { status: 200, body: String(store.count) };
    }
    const hn = HN_ITEM.exec(url.pathname);
    if (hn !== null) {
      // Firebase answers 200 with `null` for an item that does not exist.
      return { status: 200, body: hnItemJson(Number(hn[1]), store.count) };
    }
    return { status: 404, body: `{"error":"not found"}` };
  } catch (err) {
    if (err instanceof BadParam) {
      return { status: 400, body: JSON.stringify({ error: err.message }) };
    }
    throw err;
  }
}
