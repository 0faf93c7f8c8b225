import assert from "node:assert/strict";
import { getPath } from "../../../core/connector/json_path.ts";
import {
  type LinkValue,
  parseLinkHeader,
} from "../../../core/paging/_link_header.ts";
import { PaginationError } from "../../../core/connector/errors.ts";
import {
  cursorPaginator,
  idRangePaginator,
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  pageNumberPaginator,
  singlePaginator,
} from "../../../core/paging/paginators.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  PaginateContext,
  Paginator,
  Row,
} from "../../../core/connector/types.ts";

const URL0 = "http://127.0.0.1:8000/items";

function page(
  request: PageRequest,
  over: Partial<PageResponse> = {},
): PageResponse {
  return {
    request,
    url: URL0,
    status: 200,
    headers: new Headers(),
    body: {},
    records: [],
    ...over,
  };
}

function rows(n: number, from = 1): Row[] {
  return Array.from({ length: n }, (_, i) => ({ id: from + i }));
}

// Up to `max` planned requests: window plans are infinite without a limit.
function planned(next: Next, max = 1000): PageRequest[] {
  if (next.type === "done") return [];
  if (next.type === "next") return [next.request];
  const out: PageRequest[] = [];
  for (const r of next.requests) {
    if (out.length >= max) break;
    out.push(r);
  }
  return out;
}

// The plan's values of `param` are exactly `want` (indices 1..n), or start
// with them when the plan goes on (`more`).
function assertPlan(
  next: Next,
  param: string,
  want: string[],
  more?: true,
): void {
  const got = planned(next, want.length + 1);
  assert.equal(
    got.length,
    want.length + (more ? 1 : 0),
    "number of planned requests",
  );
  const head = got.slice(0, want.length);
  assert.deepEqual(head.map((r) => r.params?.[param]), want);
  assert.deepEqual(head.map((r) => r.index), want.map((_, i) => i + 1));
}

function assertStringParams(reqs: PageRequest[]): void {
  for (const r of reqs) {
    assert.equal(typeof r.index, "number");
    for (const v of Object.values(r.params ?? {})) {
      assert.equal(typeof v, "string");
    }
  }
}

// Runs the paginator on a first page built from `first`, as the engine would.
function afterFirst(
  p: Paginator,
  over: Partial<PageResponse>,
  ctx: PaginateContext = {},
): Next {
  const next = p.next(page(p.first(ctx), over), ctx);
  assertStringParams(planned(next, 50));
  return next;
}

function assertPaginationError(fn: () => unknown, includes: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(
      err instanceof PaginationError,
      `expected PaginationError, got ${err}`,
    );
    for (const s of includes) {
      assert.ok(err.message.includes(s), `"${err.message}" lacks "${s}"`);
    }
    return true;
  });
}

// ---------------------------------------------------------------- offset

Deno.test("offsetPaginator: first request", () => {
  assert.deepEqual(offsetPaginator({ limit: 50 }).first({}), {
    index: 0,
    params: { offset: "0", limit: "50" },
  });
  assert.deepEqual(
    offsetPaginator({
      limit: 20,
      limitParam: "size",
      offsetParam: "skip",
      start: 5,
    }).first({}),
    { index: 0, params: { skip: "5", size: "20" } },
  );
});

const offsetCases: {
  name: string;
  opts: Parameters<typeof offsetPaginator>[0];
  records: number;
  body?: unknown;
  ctx?: PaginateContext;
  type: Next["type"];
  offsets: string[];
  /** The plan goes on past the listed requests (an open window). */
  more?: true;
}[] = [
  {
    name: "total: fan-out of the rest",
    opts: { limit: 50, totalPath: "count" },
    records: 50,
    body: { count: 120 },
    type: "fanout",
    offsets: ["50", "100"],
  },
  {
    name: "total a multiple of limit",
    opts: { limit: 50, totalPath: "count" },
    records: 50,
    body: { count: 150 },
    type: "fanout",
    offsets: ["50", "100"],
  },
  {
    name: "total within the first page",
    opts: { limit: 50, totalPath: "count" },
    records: 50,
    body: { count: 50 },
    type: "done",
    offsets: [],
  },
  {
    name: "short first page that is everything",
    opts: { limit: 50, totalPath: "count" },
    records: 30,
    body: { count: 30 },
    type: "done",
    offsets: [],
  },
  {
    name: "total 0",
    opts: { limit: 50, totalPath: "count" },
    records: 0,
    body: { count: 0 },
    type: "done",
    offsets: [],
  },
  {
    name: "nested total, quoted digits",
    opts: { limit: 10, totalPath: "meta.total" },
    records: 10,
    body: { meta: { total: "25" } },
    type: "fanout",
    offsets: ["10", "20"],
  },
  {
    name: "ctx.limit stops planning past start+limit",
    opts: { limit: 50, totalPath: "count" },
    records: 50,
    body: { count: 1000 },
    ctx: { limit: 101 },
    type: "fanout",
    offsets: ["50", "100"],
  },
  {
    name: "ctx.limit met by the first page",
    opts: { limit: 50, totalPath: "count" },
    records: 50,
    body: { count: 1000 },
    ctx: { limit: 50 },
    type: "done",
    offsets: [],
  },
  {
    name: "start shifts offsets and the limit",
    opts: { limit: 50, totalPath: "count", start: 10 },
    records: 50,
    body: { count: 200 },
    ctx: { limit: 100 },
    type: "fanout",
    offsets: ["60"],
  },
  {
    name: "no total: window",
    opts: { limit: 50 },
    records: 50,
    type: "window",
    offsets: ["50", "100", "150", "200", "250"],
    more: true,
  },
  {
    name: "no total: window capped by ctx.limit",
    opts: { limit: 50 },
    records: 50,
    ctx: { limit: 120 },
    type: "window",
    offsets: ["50", "100"],
  },
  {
    name: "no total: window ends exactly at start+ctx.limit",
    opts: { limit: 50, start: 7 },
    records: 50,
    ctx: { limit: 150 },
    type: "window",
    offsets: ["57", "107"],
  },
  {
    // The source may cap its page size at 49: only an empty page ends.
    name: "no total: short first page asks from the offset after it",
    opts: { limit: 50 },
    records: 49,
    type: "next",
    offsets: ["49"],
  },
  {
    name: "no total: short first page that meets ctx.limit",
    opts: { limit: 50 },
    records: 49,
    ctx: { limit: 49 },
    type: "done",
    offsets: [],
  },
  {
    name: "no total: empty first page",
    opts: { limit: 50 },
    records: 0,
    type: "done",
    offsets: [],
  },
  {
    name: "no total: ctx.limit met by the first page",
    opts: { limit: 50 },
    records: 50,
    ctx: { limit: 30 },
    type: "done",
    offsets: [],
  },
];

for (const c of offsetCases) {
  Deno.test(`offsetPaginator: ${c.name}`, () => {
    const next = afterFirst(
      offsetPaginator(c.opts),
      { records: rows(c.records), body: c.body ?? {} },
      c.ctx,
    );
    assert.equal(next.type, c.type);
    assertPlan(next, c.opts.offsetParam ?? "offset", c.offsets, c.more);
  });
}

Deno.test("offsetPaginator: the fan-out is lazy, re-iterable and keeps the first request's params", () => {
  const p = offsetPaginator({ limit: 2, totalPath: "n" });
  const first = {
    ...p.first({}),
    params: { ...p.first({}).params, since: "2024-01-01" },
  };
  const next = p.next(page(first, { records: rows(2), body: { n: 7 } }), {});
  assert.equal(next.type, "fanout");
  const once = planned(next);
  assert.deepEqual(planned(next), once);
  assert.deepEqual(once, [
    { index: 1, params: { offset: "2", limit: "2", since: "2024-01-01" } },
    { index: 2, params: { offset: "4", limit: "2", since: "2024-01-01" } },
    { index: 3, params: { offset: "6", limit: "2", since: "2024-01-01" } },
  ]);
});

Deno.test("offsetPaginator: window ends at the first short page", () => {
  const next = afterFirst(offsetPaginator({ limit: 3 }), { records: rows(3) });
  assert.equal(next.type, "window");
  if (next.type !== "window") return;
  const req = planned(next, 1)[0]!;
  assert.equal(next.isLast(page(req, { records: rows(3) })), false);
  assert.equal(next.isLast(page(req, { records: rows(2) })), true);
  assert.equal(next.isLast(page(req, { records: [] })), true);
});

Deno.test("offsetPaginator: errors name the problem", () => {
  const p = offsetPaginator({ limit: 50, totalPath: "meta.total" });
  for (
    const body of [{}, { meta: {} }, { meta: { total: "many" } }, {
      meta: { total: -1 },
    }]
  ) {
    assertPaginationError(
      () => p.next(page(p.first({}), { records: rows(50), body }), {}),
      ['total "meta.total"', "page 1", URL0],
    );
  }
  assertPaginationError(
    () =>
      p.next(
        page(p.first({}), {
          records: rows(20),
          body: { meta: { total: 100 } },
        }),
        {},
      ),
    ["fewer than limit=50", "caps its page size"],
  );
  assertPaginationError(
    () =>
      offsetPaginator({ limit: 50 }).next(
        page({ index: 0 }, { records: rows(51) }),
        {},
      ),
    ["more than limit=50", "ignores"],
  );
});

// ----------------------------------------------------------- page number

Deno.test("pageNumberPaginator: first request", () => {
  assert.deepEqual(pageNumberPaginator().first({}), {
    index: 0,
    params: { page: "1" },
  });
  assert.deepEqual(
    pageNumberPaginator({
      pageParam: "p",
      sizeParam: "per_page",
      size: 100,
      start: 0,
    }).first({}),
    { index: 0, params: { p: "0", per_page: "100" } },
  );
});

const pageCases: {
  name: string;
  opts: Parameters<typeof pageNumberPaginator>[0];
  records: number;
  body?: unknown;
  ctx?: PaginateContext;
  type: Next["type"];
  pages: string[];
  /** The plan goes on past the listed requests (an open window). */
  more?: true;
}[] = [
  {
    name: "total pages: fan-out",
    opts: { totalPagesPath: "pages" },
    records: 10,
    body: { pages: 4 },
    type: "fanout",
    pages: ["2", "3", "4"],
  },
  {
    name: "total pages 1",
    opts: { totalPagesPath: "pages" },
    records: 10,
    body: { pages: 1 },
    type: "done",
    pages: [],
  },
  {
    name: "total records and size",
    opts: { sizeParam: "per_page", size: 100, totalPath: "total" },
    records: 100,
    body: { total: 250 },
    type: "fanout",
    pages: ["2", "3"],
  },
  {
    name: "total records, size from the first page",
    opts: { totalPath: "meta.count" },
    records: 20,
    body: { meta: { count: 50 } },
    type: "fanout",
    pages: ["2", "3"],
  },
  {
    name: "total pages capped by ctx.limit",
    opts: { size: 100, totalPagesPath: "pages" },
    records: 100,
    body: { pages: 50 },
    ctx: { limit: 250 },
    type: "fanout",
    pages: ["2", "3"],
  },
  {
    name: "start 0",
    opts: { start: 0, totalPagesPath: "pages" },
    records: 5,
    body: { pages: 3 },
    type: "fanout",
    pages: ["1", "2"],
  },
  {
    name: "window",
    opts: { size: 10 },
    records: 10,
    type: "window",
    pages: ["2", "3", "4", "5"],
    more: true,
  },
  {
    name: "window capped by ctx.limit, size from the first page",
    opts: {},
    records: 10,
    ctx: { limit: 25 },
    type: "window",
    pages: ["2", "3"],
  },
  {
    // The source may cap its page size at 9: only an empty page ends.
    name: "short first page with known size asks for the next page",
    opts: { size: 10 },
    records: 9,
    type: "next",
    pages: ["2"],
  },
  {
    name: "short first page, size unknown: only an empty page ends",
    opts: {},
    records: 9,
    type: "window",
    pages: ["2", "3"],
    more: true,
  },
  {
    name: "empty first page",
    opts: {},
    records: 0,
    type: "done",
    pages: [],
  },
  {
    name: "empty first page with a total",
    opts: { totalPagesPath: "pages" },
    records: 0,
    body: { pages: 0 },
    type: "done",
    pages: [],
  },
  {
    name: "ctx.limit met by the first page",
    opts: { size: 10 },
    records: 10,
    ctx: { limit: 10 },
    type: "done",
    pages: [],
  },
];

for (const c of pageCases) {
  Deno.test(`pageNumberPaginator: ${c.name}`, () => {
    const next = afterFirst(
      pageNumberPaginator(c.opts),
      { records: rows(c.records), body: c.body ?? {} },
      c.ctx,
    );
    assert.equal(next.type, c.type);
    assertPlan(next, c.opts?.pageParam ?? "page", c.pages, c.more);
  });
}

Deno.test("pageNumberPaginator: window end conditions", () => {
  const sized = afterFirst(pageNumberPaginator({ size: 3 }), {
    records: rows(3),
  });
  const unsized = afterFirst(pageNumberPaginator(), { records: rows(3) });
  assert.ok(sized.type === "window" && unsized.type === "window");
  const req = { index: 1, params: { page: "2" } };
  assert.equal(sized.isLast(page(req, { records: rows(2) })), true);
  assert.equal(sized.isLast(page(req, { records: rows(3) })), false);
  assert.equal(unsized.isLast(page(req, { records: rows(2) })), false);
  assert.equal(unsized.isLast(page(req, { records: [] })), true);
});

Deno.test("pageNumberPaginator: errors name the problem", () => {
  const byPages = pageNumberPaginator({ totalPagesPath: "meta.pages" });
  assertPaginationError(
    () =>
      byPages.next(page(byPages.first({}), { records: rows(5), body: {} }), {}),
    ['total pages "meta.pages"', "is missing"],
  );
  const byTotal = pageNumberPaginator({
    sizeParam: "per_page",
    size: 100,
    totalPath: "total",
  });
  assertPaginationError(
    () =>
      byTotal.next(
        page(byTotal.first({}), { records: rows(30), body: { total: 500 } }),
        {},
      ),
    ["fewer than size=100", "caps its page size"],
  );
});

// ---------------------------------------------------------------- cursor

const cursorCases: {
  name: string;
  opts: Parameters<typeof cursorPaginator>[0];
  request?: PageRequest;
  records: number;
  body: unknown;
  want: Next;
}[] = [
  {
    name: "body cursor",
    opts: { cursorParam: "cursor", cursorPath: "next_cursor" },
    records: 2,
    body: { next_cursor: "abc" },
    want: { type: "next", request: { index: 1, params: { cursor: "abc" } } },
  },
  {
    name: "nested numeric cursor, limit sent along",
    opts: {
      cursorParam: "after",
      cursorPath: "meta.next",
      limitParam: "size",
      limit: 2,
    },
    request: { index: 4, params: { size: "2", after: "40" } },
    records: 2,
    body: { meta: { next: 42 } },
    want: {
      type: "next",
      request: { index: 5, params: { size: "2", after: "42" } },
    },
  },
  ...[null, "", undefined].map((next_cursor) => ({
    name: `body cursor ${JSON.stringify(next_cursor) ?? "missing"} ends`,
    opts: { cursorParam: "cursor", cursorPath: "next_cursor" },
    records: 2,
    body: next_cursor === undefined ? {} : { next_cursor },
    want: { type: "done" } as Next,
  })),
  {
    name: "body cursor on an empty page goes on (no has_more to contradict it)",
    opts: { cursorParam: "cursor", cursorPath: "next_cursor" },
    records: 0,
    body: { next_cursor: "b" },
    want: { type: "next", request: { index: 1, params: { cursor: "b" } } },
  },
  {
    name: "has_more false ends whatever the cursor",
    opts: {
      cursorParam: "cursor",
      cursorPath: "next",
      hasMorePath: "has_more",
    },
    records: 2,
    body: { has_more: false, next: "zzz" },
    want: { type: "done" },
  },
  {
    name: "Stripe: starting_after the last record's id",
    opts: {
      cursorParam: "starting_after",
      cursorFrom: "lastRecord",
      hasMorePath: "has_more",
      limitParam: "limit",
      limit: 3,
    },
    records: 3,
    body: { object: "list", has_more: true },
    want: {
      type: "next",
      request: { index: 1, params: { limit: "3", starting_after: "3" } },
    },
  },
  {
    name: "Stripe: has_more false",
    opts: {
      cursorParam: "starting_after",
      cursorFrom: "lastRecord",
      hasMorePath: "has_more",
    },
    records: 3,
    body: { has_more: false },
    want: { type: "done" },
  },
  {
    name: "last record, no has_more: empty page ends",
    opts: {
      cursorParam: "since_id",
      cursorFrom: "lastRecord",
      recordField: "meta.id",
      limitParam: "n",
      limit: 2,
    },
    records: 0,
    body: {},
    want: { type: "done" },
  },
  {
    name: "last record, no has_more: short page ends",
    opts: {
      cursorParam: "after",
      cursorFrom: "lastRecord",
      limitParam: "n",
      limit: 5,
    },
    records: 4,
    body: {},
    want: { type: "done" },
  },
  {
    name: "last record, no has_more, no limit: non-empty page goes on",
    opts: { cursorParam: "after", cursorFrom: "lastRecord" },
    records: 4,
    body: {},
    want: { type: "next", request: { index: 1, params: { after: "4" } } },
  },
];

for (const c of cursorCases) {
  Deno.test(`cursorPaginator: ${c.name}`, () => {
    const p = cursorPaginator(c.opts);
    const req = c.request ?? p.first({});
    assert.deepEqual(
      p.next(page(req, { records: rows(c.records), body: c.body }), {}),
      c.want,
    );
  });
}

Deno.test("cursorPaginator: first request", () => {
  assert.deepEqual(
    cursorPaginator({ cursorParam: "c", cursorPath: "n" }).first({}),
    {
      index: 0,
      params: {},
    },
  );
  assert.deepEqual(
    cursorPaginator({
      cursorParam: "c",
      cursorPath: "n",
      limitParam: "limit",
      limit: 100,
    })
      .first({}),
    { index: 0, params: { limit: "100" } },
  );
});

Deno.test("cursorPaginator: record field by dot path", () => {
  const p = cursorPaginator({
    cursorParam: "after",
    cursorFrom: "lastRecord",
    recordField: "m.k",
  });
  const next = p.next(
    page(p.first({}), { records: [{ m: { k: "x" } }, { m: { k: "y" } }] }),
    {},
  );
  assert.deepEqual(next, {
    type: "next",
    request: { index: 1, params: { after: "y" } },
  });
});

Deno.test("cursorPaginator: loop guards and bad cursors", () => {
  const body = cursorPaginator({
    cursorParam: "cursor",
    cursorPath: "next_cursor",
  });
  assertPaginationError(
    () =>
      body.next(
        page({ index: 3, params: { cursor: "abc" } }, {
          records: rows(1),
          body: { next_cursor: "abc" },
        }),
        {},
      ),
    ["cursor repeats: cursor=abc", "page 4", URL0],
  );
  assertPaginationError(
    () =>
      body.next(
        page({ index: 0 }, {
          records: rows(1),
          body: { next_cursor: { a: 1 } },
        }),
        {},
      ),
    ['cursor at "next_cursor" must be a string or a number'],
  );

  const stripe = cursorPaginator({
    cursorParam: "starting_after",
    cursorFrom: "lastRecord",
    hasMorePath: "has_more",
  });
  assertPaginationError(
    () =>
      stripe.next(
        page({ index: 2 }, { records: [], body: { has_more: true } }),
        {},
      ),
    ["empty page with has_more=true", "page 3"],
  );
  assertPaginationError(
    () =>
      stripe.next(
        page({ index: 1, params: { starting_after: "ch_9" } }, {
          records: [{ id: "ch_9" }],
          body: { has_more: true },
        }),
        {},
      ),
    ["cursor repeats: starting_after=ch_9"],
  );
  for (const b of [{}, { has_more: "true" }, { has_more: null }]) {
    assertPaginationError(
      () => stripe.next(page({ index: 0 }, { records: rows(1), body: b }), {}),
      ['"has_more" is missing or not a boolean'],
    );
  }
  assertPaginationError(
    () =>
      stripe.next(
        page({ index: 0 }, {
          records: [{ name: "x" }],
          body: { has_more: true },
        }),
        {},
      ),
    ['the last record has no "id"'],
  );
  const bodyMore = cursorPaginator({
    cursorParam: "cursor",
    cursorPath: "next",
    hasMorePath: "more",
  });
  assertPaginationError(
    () =>
      bodyMore.next(
        page({ index: 0 }, { records: rows(1), body: { more: true } }),
        {},
      ),
    ['more=true but no cursor at "next"'],
  );
});

Deno.test("follow-ups keep the request's path and params, changing only paging params", () => {
  const first = {
    index: 0,
    path: "/repos/a/b/issues",
    params: { state: "all", page: "1" },
  };
  const cursor = cursorPaginator({ cursorParam: "c", cursorPath: "n" });
  assert.deepEqual(
    cursor.next(page(first, { records: rows(1), body: { n: "x" } }), {}),
    {
      type: "next",
      request: {
        index: 1,
        path: "/repos/a/b/issues",
        params: { state: "all", page: "1", c: "x" },
      },
    },
  );
  const pages = pageNumberPaginator({ size: 1 });
  assert.deepEqual(
    planned(pages.next(page(first, { records: rows(1) }), {}), 1),
    [
      {
        index: 1,
        path: "/repos/a/b/issues",
        params: { state: "all", page: "2" },
      },
    ],
  );
});

Deno.test("cursorPaginator: one paginator serves interleaved chains without state", () => {
  const p = cursorPaginator({ cursorParam: "c", cursorPath: "n" });
  const a1 = p.next(
    page(p.first({}), { records: rows(1), body: { n: "a1" } }),
    {},
  );
  const b1 = p.next(
    page(p.first({}), { records: rows(1), body: { n: "b1" } }),
    {},
  );
  assert.ok(a1.type === "next" && b1.type === "next");
  const a2 = p.next(
    page(a1.request, { records: rows(1), body: { n: "a2" } }),
    {},
  );
  const b2 = p.next(
    page(b1.request, { records: rows(1), body: { n: null } }),
    {},
  );
  assert.deepEqual(a2, {
    type: "next",
    request: { index: 2, params: { c: "a2" } },
  });
  assert.deepEqual(b2, { type: "done" });
});

// -------------------------------------------------------------- next URL

const nextUrlCases: {
  name: string;
  path?: string;
  body: unknown;
  want: string | null;
}[] = [
  {
    name: "absolute",
    body: { next: "https://api.example.com/items?page=2" },
    want: "https://api.example.com/items?page=2",
  },
  {
    name: "root-relative",
    body: { next: "/v2/items?page=2" },
    want: "http://127.0.0.1:8000/v2/items?page=2",
  },
  { name: "query-relative", body: { next: "?page=2" }, want: `${URL0}?page=2` },
  {
    name: "nested path",
    path: "links.next",
    body: { links: { next: "/p2" } },
    want: "http://127.0.0.1:8000/p2",
  },
  { name: "null ends", body: { next: null }, want: null },
  { name: "empty ends", body: { next: "" }, want: null },
  { name: "missing ends", body: {}, want: null },
];

for (const c of nextUrlCases) {
  Deno.test(`nextUrlPaginator: ${c.name}`, () => {
    const p = nextUrlPaginator(c.path === undefined ? {} : { path: c.path });
    assert.deepEqual(p.first({}), { index: 0 });
    const next = p.next(
      page({ index: 2 }, { records: rows(1), body: c.body }),
      {},
    );
    assert.deepEqual(
      next,
      c.want === null
        ? { type: "done" }
        : { type: "next", request: { index: 3, url: c.want } },
    );
  });
}

Deno.test("nextUrlPaginator: errors", () => {
  const p = nextUrlPaginator();
  assertPaginationError(
    () => p.next(page({ index: 0 }, { body: { next: URL0 } }), {}),
    ["next URL repeats", URL0],
  );
  // The engine may add auth params to the fetched URL: compare with the request's own URL too.
  const own = "http://127.0.0.1:8000/items?cursor=x";
  assertPaginationError(
    () =>
      p.next(
        page({ index: 1, url: own }, {
          url: own + "&key=k",
          body: { next: own },
        }),
        {},
      ),
    ["next URL repeats"],
  );
  assertPaginationError(
    () => p.next(page({ index: 0 }, { body: { next: 2 } }), {}),
    [
      'next URL at "next" must be a string',
    ],
  );
  assertPaginationError(
    () => p.next(page({ index: 0 }, { body: { next: "http://[x" } }), {}),
    [
      "is not a URL",
    ],
  );
});

// ----------------------------------------------------------- Link header

const GITHUB_LINK =
  '<https://api.github.com/repositories/1/issues?page=2>; rel="next", ' +
  '<https://api.github.com/repositories/1/issues?page=5>; rel="last"';

const linkCases: { name: string; header: string; want: LinkValue[] }[] = [
  {
    name: "GitHub",
    header: GITHUB_LINK,
    want: [
      {
        target: "https://api.github.com/repositories/1/issues?page=2",
        rel: ["next"],
        params: { rel: "next" },
      },
      {
        target: "https://api.github.com/repositories/1/issues?page=5",
        rel: ["last"],
        params: { rel: "last" },
      },
    ],
  },
  {
    name: "RFC 8288 §3.5: title",
    header:
      '<http://example.com/TheBook/chapter2>; rel="previous"; title="previous chapter"',
    want: [{
      target: "http://example.com/TheBook/chapter2",
      rel: ["previous"],
      params: { rel: "previous", title: "previous chapter" },
    }],
  },
  {
    name: "RFC 8288 §3.5: extension relation type",
    header: '</>; rel="http://example.net/foo"',
    want: [{
      target: "/",
      rel: ["http://example.net/foo"],
      params: { rel: "http://example.net/foo" },
    }],
  },
  {
    name: "RFC 8288 §3.5: anchor",
    header: '</terms>; rel="copyright"; anchor="#foo"',
    want: [{
      target: "/terms",
      rel: ["copyright"],
      params: { rel: "copyright", anchor: "#foo" },
    }],
  },
  {
    name: "RFC 8288 §3.5: title* (RFC 8187)",
    header:
      "</TheBook/chapter2>; rel=\"previous\"; title*=UTF-8'de'letztes%20Kapitel, " +
      "</TheBook/chapter4>; rel=\"next\"; title*=UTF-8'de'n%c3%a4chstes%20Kapitel",
    want: [
      {
        target: "/TheBook/chapter2",
        rel: ["previous"],
        params: { rel: "previous", "title*": "letztes Kapitel" },
      },
      {
        target: "/TheBook/chapter4",
        rel: ["next"],
        params: { rel: "next", "title*": "nächstes Kapitel" },
      },
    ],
  },
  {
    name: "RFC 8288 §3.5: several relation types",
    header:
      '<http://example.org/>; rel="start http://example.net/relation/other"',
    want: [{
      target: "http://example.org/",
      rel: ["start", "http://example.net/relation/other"],
      params: { rel: "start http://example.net/relation/other" },
    }],
  },
  {
    name: "RFC 8288 §3.5: two links",
    header:
      '<https://example.org/>; rel="start", <https://example.org/index>; rel="index"',
    want: [
      {
        target: "https://example.org/",
        rel: ["start"],
        params: { rel: "start" },
      },
      {
        target: "https://example.org/index",
        rel: ["index"],
        params: { rel: "index" },
      },
    ],
  },
  {
    name: "commas and semicolons inside <> and quotes",
    header:
      '<https://x.test/?ids=1,2;3>; title="a, b; c"; rel=next, <https://x.test/z>; rel=last',
    want: [
      {
        target: "https://x.test/?ids=1,2;3",
        rel: ["next"],
        params: { title: "a, b; c", rel: "next" },
      },
      { target: "https://x.test/z", rel: ["last"], params: { rel: "last" } },
    ],
  },
  {
    name: "case, whitespace, escapes, repeated rel, bare param, empty elements",
    header:
      ' ,  <a>\t;REL = "Next  Prev" ; rel=last; title="say \\"hi\\""; crossorigin ,, <b>;rel=first',
    want: [
      {
        target: "a",
        rel: ["next", "prev"],
        params: { rel: "Next  Prev", title: 'say "hi"', crossorigin: "" },
      },
      { target: "b", rel: ["first"], params: { rel: "first" } },
    ],
  },
  {
    name: "no rel",
    header: "<a>",
    want: [{ target: "a", rel: [], params: {} }],
  },
  { name: "empty", header: "", want: [] },
  { name: "not a link", header: "https://x.test/; rel=next", want: [] },
  {
    name: "unterminated target",
    header: "<https://x.test/; rel=next",
    want: [],
  },
  {
    name: "garbage after a link keeps what came before",
    header: '<a>; rel=next x <b>; rel="last"',
    want: [{
      target: "a",
      rel: ["next", "x", "<b>"],
      params: { rel: "next x <b>" },
    }],
  },
  {
    name: "a link without a comma before it stops the list",
    header: '<a>; rel="next" <b>; rel="last"',
    want: [{ target: "a", rel: ["next"], params: { rel: "next" } }],
  },
  {
    name: "garbage between links stops the list",
    header: '<a>; rel=next, junk, <b>; rel="last"',
    want: [{ target: "a", rel: ["next"], params: { rel: "next" } }],
  },
];

for (const c of linkCases) {
  Deno.test(`parseLinkHeader: ${c.name}`, () => {
    assert.deepEqual(parseLinkHeader(c.header), c.want);
  });
}

const linkPaginatorCases: {
  name: string;
  headers: HeadersInit;
  rel?: string;
  want: string | null;
}[] = [
  {
    name: "GitHub",
    headers: { link: GITHUB_LINK },
    want: "https://api.github.com/repositories/1/issues?page=2",
  },
  {
    name: "last page has no next",
    headers: {
      link:
        '<https://api.github.com/repositories/1/issues?page=1>; rel="first", ' +
        '<https://api.github.com/repositories/1/issues?page=4>; rel="prev"',
    },
    want: null,
  },
  { name: "no Link header", headers: {}, want: null },
  {
    name: "relative target",
    headers: { link: '</items?page=2>; rel="next"' },
    want: "http://127.0.0.1:8000/items?page=2",
  },
  {
    name: "rel among several",
    headers: { link: '<p3>; rel="prev NEXT"' },
    want: "http://127.0.0.1:8000/p3",
  },
  {
    name: "two Link header lines",
    headers: [["link", "<https://x.test/1>; rel=prev"], [
      "link",
      "<https://x.test/3>; rel=next",
    ]],
    want: "https://x.test/3",
  },
  {
    name: "custom rel",
    headers: {
      link: "<https://x.test/1>; rel=prev, <https://x.test/3>; rel=next",
    },
    rel: "prev",
    want: "https://x.test/1",
  },
];

for (const c of linkPaginatorCases) {
  Deno.test(`linkHeaderPaginator: ${c.name}`, () => {
    const p = linkHeaderPaginator(c.rel === undefined ? {} : { rel: c.rel });
    assert.deepEqual(p.first({}), { index: 0 });
    const next = p.next(
      page({ index: 0 }, { records: rows(1), headers: new Headers(c.headers) }),
      {},
    );
    assert.deepEqual(
      next,
      c.want === null
        ? { type: "done" }
        : { type: "next", request: { index: 1, url: c.want } },
    );
  });
}

Deno.test("linkHeaderPaginator: errors", () => {
  const p = linkHeaderPaginator();
  assertPaginationError(
    () =>
      p.next(
        page({ index: 0 }, {
          headers: new Headers({ link: `<${URL0}>; rel=next` }),
        }),
        {},
      ),
    ["next URL repeats", 'rel="next"'],
  );
  assertPaginationError(
    () =>
      p.next(
        page({ index: 0 }, {
          headers: new Headers({ link: "<http://[x>; rel=next" }),
        }),
        {},
      ),
    ["is not a URL"],
  );
});

// -------------------------------------------------------------- id range

const HN = { maxIdPath: "/v0/maxitem.json", itemPath: "/v0/item/{id}.json" };

const idCases: {
  name: string;
  opts?: Partial<Parameters<typeof idRangePaginator>[0]>;
  max: number;
  ctx?: PaginateContext;
  ids: number[];
}[] = [
  {
    name: "newest count ids, desc",
    opts: { count: 4 },
    max: 100,
    ids: [100, 99, 98, 97],
  },
  {
    name: "asc order, same ids",
    opts: { count: 4, order: "asc" },
    max: 100,
    ids: [97, 98, 99, 100],
  },
  {
    name: "ctx.limit wins over count",
    opts: { count: 4 },
    max: 100,
    ctx: { limit: 2 },
    ids: [100, 99],
  },
  { name: "never below 1", opts: { count: 10 }, max: 3, ids: [3, 2, 1] },
  { name: "max 0", max: 0, ids: [] },
  { name: "ctx.limit 0", max: 10, ctx: { limit: 0 }, ids: [] },
  {
    name: "resume: start+1 up to max",
    max: 100,
    ctx: { start: 97 },
    ids: [98, 99, 100],
  },
  {
    name: "resume: oldest first under a limit",
    max: 100,
    ctx: { start: 90, limit: 3 },
    ids: [91, 92, 93],
  },
  {
    name: "resume: oldest first whatever order",
    opts: { order: "desc", count: 2 },
    max: 100,
    ctx: { start: 50 },
    ids: [51, 52],
  },
  { name: "resume: nothing new", max: 100, ctx: { start: 100 }, ids: [] },
  { name: "resume: start past max", max: 100, ctx: { start: 120 }, ids: [] },
  { name: "resume from 0", max: 3, ctx: { start: 0 }, ids: [1, 2, 3] },
];

for (const c of idCases) {
  Deno.test(`idRangePaginator: ${c.name}`, () => {
    const p = idRangePaginator({ ...HN, ...c.opts });
    const ctx = c.ctx ?? {};
    const seed = p.first(ctx);
    assert.deepEqual(seed, { index: 0, seed: true, path: "/v0/maxitem.json" });
    const next = p.next(page(seed, { body: c.max }), ctx);
    assert.equal(next.type, c.ids.length === 0 ? "done" : "fanout");
    assert.deepEqual(
      planned(next),
      c.ids.map((id, i) => ({ index: i + 1, path: `/v0/item/${id}.json` })),
    );
  });
}

Deno.test("idRangePaginator: default count is 10,000, planned lazily", () => {
  const p = idRangePaginator(HN);
  const next = p.next(page(p.first({}), { body: 50_000 }), {});
  const reqs = planned(next, 20_000);
  assert.equal(reqs.length, 10_000);
  assert.deepEqual(reqs[0], { index: 1, path: "/v0/item/50000.json" });
  assert.deepEqual(reqs.at(-1), { index: 10_000, path: "/v0/item/40001.json" });
  assert.equal(new Set(reqs.map((r) => r.path)).size, 10_000);
});

Deno.test("idRangePaginator: id as a query parameter", () => {
  const p = idRangePaginator({
    maxIdPath: "/max",
    itemPath: "/item",
    idParam: "item_id",
    count: 2,
  });
  assert.deepEqual(planned(p.next(page(p.first({}), { body: 9 }), {})), [
    { index: 1, path: "/item", params: { item_id: "9" } },
    { index: 2, path: "/item", params: { item_id: "8" } },
  ]);
});

Deno.test("idRangePaginator: a max id that is not a count", () => {
  const p = idRangePaginator(HN);
  for (const body of ["123", { max: 5 }, 1.5, -1, null, []]) {
    assertPaginationError(
      () => p.next(page(p.first({}), { body }), {}),
      ['max id from "/v0/maxitem.json" must be a non-negative integer'],
    );
  }
  // Item pages belong to the complete fan-out: nothing follows them.
  assert.deepEqual(
    p.next(
      page({ index: 3, path: "/v0/item/7.json" }, { body: { id: 7 } }),
      {},
    ),
    {
      type: "done",
    },
  );
});

// ---------------------------------------------------------------- single

Deno.test("singlePaginator: one request, done", () => {
  const p = singlePaginator();
  assert.equal(p.type, "single");
  assert.deepEqual(p.first({}), { index: 0 });
  assert.deepEqual(p.next(page({ index: 0 }, { records: rows(3) }), {}), {
    type: "done",
  });
});

// ------------------------------------------------------ shared behaviour

const all: [string, () => Paginator][] = [
  ["offset", () => offsetPaginator({ limit: 10 })],
  ["page_number", () => pageNumberPaginator()],
  ["cursor", () => cursorPaginator({ cursorParam: "c", cursorPath: "n" })],
  ["next_url", () => nextUrlPaginator()],
  ["link_header", () => linkHeaderPaginator()],
  ["id_range", () => idRangePaginator(HN)],
  ["single", () => singlePaginator()],
];

Deno.test("every paginator is frozen, typed and starts at index 0", () => {
  for (const [type, make] of all) {
    const p = make();
    assert.equal(p.type, type);
    assert.ok(Object.isFrozen(p), type);
    assert.throws(() => {
      (p as { type: string }).type = "x";
    }, TypeError);
    assert.equal(p.first({}).index, 0);
  }
});

Deno.test("a bad ctx.limit or ctx.start is a RangeError", () => {
  assert.throws(
    () => offsetPaginator({ limit: 10 }).first({ limit: -1 }),
    RangeError,
  );
  assert.throws(
    () => idRangePaginator(HN).first({ start: 1.5 }),
    /context "start"/,
  );
});

const badOptions: [
  string,
  () => unknown,
  typeof TypeError | typeof RangeError,
  string,
][] = [
  [
    "offset without limit",
    () => offsetPaginator({} as never),
    TypeError,
    '"limit" is required',
  ],
  [
    "offset limit 0",
    () => offsetPaginator({ limit: 0 }),
    RangeError,
    '"limit" must be an integer >= 1',
  ],
  [
    "offset limit string",
    () => offsetPaginator({ limit: "50" as never }),
    TypeError,
    '"limit" must be a number',
  ],
  [
    "offset limit 1.5",
    () => offsetPaginator({ limit: 1.5 }),
    RangeError,
    '"limit"',
  ],
  [
    "offset negative start",
    () => offsetPaginator({ limit: 5, start: -1 }),
    RangeError,
    '"start"',
  ],
  [
    "offset typo",
    () => offsetPaginator({ limit: 5, limitParm: "n" } as never),
    TypeError,
    'unknown option "limitParm"',
  ],
  [
    "offset bad path",
    () => offsetPaginator({ limit: 5, totalPath: "a..b" }),
    RangeError,
    '"totalPath" must be a dot path',
  ],
  [
    "offset same params",
    () => offsetPaginator({ limit: 5, limitParam: "x", offsetParam: "x" }),
    RangeError,
    "must differ",
  ],
  [
    "offset options not an object",
    () => offsetPaginator(null as never),
    TypeError,
    "options must be an object",
  ],
  [
    "page sizeParam without size",
    () => pageNumberPaginator({ sizeParam: "per_page" }),
    TypeError,
    '"sizeParam" needs option "size"',
  ],
  [
    "page two totals",
    () => pageNumberPaginator({ totalPath: "a", totalPagesPath: "b" }),
    TypeError,
    "not both",
  ],
  [
    "page empty param",
    () => pageNumberPaginator({ pageParam: "" }),
    RangeError,
    '"pageParam" must not be empty',
  ],
  [
    "cursor without cursorParam",
    () => cursorPaginator({ cursorPath: "n" } as never),
    TypeError,
    '"cursorParam" is required',
  ],
  [
    "cursor body without path",
    () => cursorPaginator({ cursorParam: "c" }),
    TypeError,
    '"cursorPath" is required',
  ],
  [
    "cursor lastRecord with path",
    () =>
      cursorPaginator({
        cursorParam: "c",
        cursorFrom: "lastRecord",
        cursorPath: "n",
      }),
    TypeError,
    '"cursorPath" is not read',
  ],
  [
    "cursor bad cursorFrom",
    () => cursorPaginator({ cursorParam: "c", cursorFrom: "header" as never }),
    RangeError,
    '"cursorFrom" must be one of',
  ],
  [
    "cursor limit alone",
    () => cursorPaginator({ cursorParam: "c", cursorPath: "n", limit: 5 }),
    TypeError,
    "go together",
  ],
  [
    "next URL bad path",
    () => nextUrlPaginator({ path: 5 as never }),
    TypeError,
    '"path" must be a string',
  ],
  [
    "link rel with space",
    () => linkHeaderPaginator({ rel: "next prev" }),
    RangeError,
    '"rel" must be one relation type',
  ],
  [
    "id range without itemPath",
    () => idRangePaginator({ maxIdPath: "/m" } as never),
    TypeError,
    '"itemPath" is required',
  ],
  [
    "id range bad order",
    () => idRangePaginator({ ...HN, order: "up" as never }),
    RangeError,
    '"order"',
  ],
  [
    "id range count 0",
    () => idRangePaginator({ ...HN, count: 0 }),
    RangeError,
    '"count"',
  ],
];

for (const [name, make, type, message] of badOptions) {
  Deno.test(`options: ${name}`, () => {
    assert.throws(make, (err: unknown) => {
      assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
      assert.ok(
        (err as Error).message.includes(message),
        (err as Error).message,
      );
      return true;
    });
  });
}

Deno.test("getPath: dot paths, arrays and prototypes", () => {
  const body = { a: { b: [{ c: 1 }, null] }, n: 0 };
  const cases: [string, unknown][] = [
    ["a.b.0.c", 1],
    ["a.b.1", null],
    ["a.b.2", undefined],
    ["a.b.x", undefined],
    ["a.b.01", undefined],
    ["n", 0],
    ["n.x", undefined],
    ["constructor", undefined],
    ["a.__proto__", undefined],
  ];
  for (const [path, want] of cases) {
    assert.equal(getPath(body, path), want, path);
  }
});
