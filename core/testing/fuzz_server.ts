/**
 * A generated-pages test API for property tests: the same records served by
 * any of the engine's paging schemes, with faults planned per page and
 * attempt (error statuses with or without `Retry-After`, connections closed
 * without an answer, bodies cut short), inserted or emptied pages and a
 * total that lies. Records are raw JSON text, so integers above 2^53 reach
 * the client exactly as written.
 *
 * Page numbers (the fault plan's keys): the 0-based page of offset, page
 * number and chain (cursor, next URL, Link) paging; for id ranges 0 is the
 * max-id request and `k` the request for id `k`.
 *
 * @module
 */

import { type RawReply, type RawServer, serveRaw } from "./_raw_http.ts";

/** How the fuzz API pages, and the paginator that reads it. */
export type FuzzPaging =
  | "offset_total"
  | "offset"
  | "page_total"
  | "page"
  | "cursor"
  | "next_url"
  | "link"
  | "id_range";

/** Every {@linkcode FuzzPaging}. */
export const FUZZ_PAGINGS: readonly FuzzPaging[] = [
  "offset_total",
  "offset",
  "page_total",
  "page",
  "cursor",
  "next_url",
  "link",
  "id_range",
];

/** One failed attempt at a page. */
export type FuzzFault =
  | { type: "status"; status: number; retryAfter?: string }
  /** The connection closes without an answer. */
  | { type: "reset" }
  /** A 200 whose body stops before its `content-length`, then a close. */
  | { type: "truncate" }
  /** A complete 200 whose JSON is cut in half (its length matches). */
  | { type: "cut" };

/**
 * A page the source gets wrong on every attempt: its records `null`, an
 * object instead of a list, its first record without the key `id`, or a
 * byte that is not UTF-8 inside its first record.
 */
export type FuzzBadPage =
  | "null_records"
  | "object_records"
  | "no_key"
  | "bad_utf8";

/** Options of {@linkcode startFuzzServer}. */
export interface FuzzServerOptions {
  /** The paging scheme. */
  paging: FuzzPaging;
  /** Records per page (ignored by `id_range`). */
  pageSize: number;
  /** Each record's JSON text, in paging order; for `id_range`, record `k-1` is id `k`. */
  records: readonly string[];
  /** Faults by page number: attempt `i` (0-based) of that page fails with `[i]`. @default {{}} */
  faults?: Readonly<Record<number, readonly FuzzFault[]>>;
  /**
   * Pages that answer no records: with a total (`offset_total`,
   * `page_total`), these pages come back empty; in a chain (`cursor`,
   * `next_url`, `link`), an empty page is inserted before each of these
   * positions, still pointing to the next one. @default {[]}
   */
  emptyPages?: readonly number[];
  /** Pages wrong on every attempt, by page number. @default {{}} */
  badPages?: Readonly<Record<number, FuzzBadPage>>;
  /** Added to the total the body reports (`offset_total`, `page_total`). @default {0} */
  totalExtra?: number;
  /** Called with each request's 1-based number before it is answered. */
  onRequest?: (n: number) => void;
}

/** A running fuzz API. */
export interface FuzzServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Requests received so far (retries included). */
  readonly requestCount: number;
  /** Pages the API serves when nothing fails (inserted empty pages included). */
  readonly pages: number;
  /** Stop it, closing every connection. */
  close(): Promise<void>;
}

const enc = new TextEncoder();

function ok(body: string, headers: Record<string, string> = {}): RawReply {
  const at = body.indexOf(BAD_BYTE);
  let bytes: string | Uint8Array = body;
  if (at >= 0) {
    const head = enc.encode(body.slice(0, at));
    const tail = enc.encode(body.slice(at + BAD_BYTE.length));
    bytes = new Uint8Array([...head, 0xff, ...tail]);
  }
  return {
    type: "response",
    status: 200,
    headers: { "content-type": "application/json", ...headers },
    body: bytes,
  };
}

function failure(fault: FuzzFault, good: RawReply): RawReply {
  const raw = good.type === "response" ? good.body : "";
  const body = typeof raw === "string" ? enc.encode(raw) : raw;
  switch (fault.type) {
    case "reset":
      return { type: "reset" };
    case "truncate":
      return {
        type: "truncate",
        status: 200,
        headers: { "content-type": "application/json" },
        body,
        sendBytes: Math.floor(body.length / 2),
      };
    case "cut":
      return {
        type: "response",
        status: 200,
        headers: { "content-type": "application/json" },
        body: body.subarray(0, Math.max(1, Math.floor(body.length / 2))),
      };
    case "status":
      return {
        type: "response",
        status: fault.status,
        headers: {
          "content-type": "application/json",
          ...(fault.retryAfter !== undefined
            ? { "retry-after": fault.retryAfter }
            : {}),
        },
        body: JSON.stringify({ error: `planned ${fault.status}` }),
      };
  }
}

/** A marker for the byte that is not UTF-8 (0xFF), put in by {@linkcode ok}. */
const BAD_BYTE = "\u0001BAD\u0001";

/** A page's JSON list of `texts`, made wrong as `bad` says. */
function list(texts: readonly string[], bad?: FuzzBadPage): string {
  const [first, ...rest] = texts;
  if (bad === "null_records") return "null";
  if (bad === "object_records") return first ?? "{}";
  if (first === undefined) return "[]";
  const wrong = bad === "no_key"
    ? first.replace(/^\{"id":/, '{"no_id":')
    : bad === "bad_utf8"
    ? first.replace(/^\{/, `{"bad":"${BAD_BYTE}",`)
    : first;
  return `[${[wrong, ...rest].join(",")}]`;
}

/** A page of a chain (cursor, next URL, Link header) pointing to the next. */
function chainReply(
  paging: FuzzPaging,
  page: number,
  list: string,
  more: boolean,
  base: string,
): RawReply {
  if (paging === "cursor") {
    const next = more ? `"c${page + 1}"` : "null";
    return ok(`{"items":${list},"next_cursor":${next}}`);
  }
  if (paging === "next_url") {
    const next = more ? `"${base}?p=${page + 1}"` : "null";
    return ok(`{"items":${list},"next":${next}}`);
  }
  return ok(list, more ? { link: `<${base}?p=${page + 1}>; rel="next"` } : {});
}

/** The chain of pages (record index ranges) with empty pages inserted. */
function chainOf(
  n: number,
  size: number,
  empty: readonly number[],
): Array<[number, number]> {
  const chunks: Array<[number, number]> = [];
  for (let i = 0; i < n; i += size) chunks.push([i, Math.min(n, i + size)]);
  if (chunks.length === 0) chunks.push([0, 0]);
  const out: Array<[number, number]> = [];
  for (const [i, c] of chunks.entries()) {
    for (const e of empty) if (e === i) out.push([c[0], c[0]]);
    out.push(c);
  }
  return out;
}

/**
 * Start the fuzz API on 127.0.0.1. Offset paging answers `/items?offset=&limit=`,
 * page numbers `/items?page=&per_page=` (from 1), a cursor `/items?cursor=`
 * (`next_cursor` in the body), next URLs `/items?p=` (`next`), Link headers
 * `/items?p=` (a bare array), id ranges `/maxid` and `/item/{id}`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startFuzzServer } from "./fuzz_server.ts";
 * await using server = startFuzzServer({
 *   paging: "cursor",
 *   pageSize: 2,
 *   records: ['{"id":1}', '{"id":2}', '{"id":9007199254740993}'],
 *   faults: { 1: [{ type: "status", status: 503, retryAfter: "0" }] },
 * });
 * const first = await (await fetch(`${server.url}/items`)).json();
 * assert.equal(first.next_cursor, "c1");
 * assert.equal((await fetch(`${server.url}/items?cursor=c1`)).status, 503);
 * const text = await (await fetch(`${server.url}/items?cursor=c1`)).text();
 * assert(text.includes("9007199254740993"));
 * ```
 */
export function startFuzzServer(options: FuzzServerOptions): FuzzServer {
  const { paging, records } = options;
  const size = Math.max(1, options.pageSize);
  const faults = options.faults ?? {};
  const empty = options.emptyPages ?? [];
  const total = records.length + (options.totalExtra ?? 0);
  const chain = chainOf(records.length, size, empty);
  const attempts = new Map<number, number>();
  const bad = options.badPages ?? {};
  const items = (from: number, to: number, page: number) =>
    empty.includes(page) ? "[]" : list(records.slice(from, to), bad[page]);
  const answer = (url: URL): { page: number; reply: RawReply } => {
    const q = url.searchParams;
    const base = `http://${url.host}/items`;
    switch (paging) {
      case "offset_total":
      case "offset": {
        const off = Number(q.get("offset") ?? 0);
        const lim = Number(q.get("limit") ?? size);
        const page = Math.floor(off / size);
        const list = items(off, off + lim, page);
        const t = paging === "offset_total" ? `,"total":${total}` : "";
        return { page, reply: ok(`{"items":${list}${t}}`) };
      }
      case "page_total":
      case "page": {
        const page = Number(q.get("page") ?? 1) - 1;
        const per = Number(q.get("per_page") ?? size);
        const list = items(page * per, page * per + per, page);
        const t = paging === "page_total" ? `,"total":${total}` : "";
        return { page, reply: ok(`{"items":${list}${t}}`) };
      }
      case "id_range": {
        if (url.pathname === "/maxid") {
          return { page: 0, reply: ok(String(records.length)) };
        }
        const id = Number(url.pathname.split("/").at(-1));
        const one = records[id - 1];
        const body = one === undefined ? "null" : list([one], bad[id]);
        // An item is the bare object: unwrap the list (a "null" stays).
        return {
          page: id,
          reply: ok(body.startsWith("[") ? body.slice(1, -1) : body),
        };
      }
      default: {
        const key = paging === "cursor"
          ? q.get("cursor")?.slice(1)
          : q.get("p");
        const page = Number(key ?? 0);
        const [from, to] = chain[page] ?? [0, 0];
        const more = page + 1 < chain.length;
        const body = items(from, to, page);
        return { page, reply: chainReply(paging, page, body, more, base) };
      }
    }
  };
  const server: RawServer = serveRaw((req) => {
    options.onRequest?.(server.requestCount);
    const { page, reply } = answer(req.url);
    const attempt = attempts.get(page) ?? 0;
    attempts.set(page, attempt + 1);
    const fault = faults[page]?.[attempt];
    return fault ? failure(fault, reply) : reply;
  });
  const pages = paging === "id_range"
    ? records.length + 1
    : paging === "cursor" || paging === "next_url" || paging === "link"
    ? chain.length
    : Math.max(1, Math.ceil(records.length / size));
  return {
    url: server.url,
    get requestCount() {
      return server.requestCount;
    },
    pages,
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  };
}
