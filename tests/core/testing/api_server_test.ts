import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects,
  throws,
} from "node:assert/strict";
import {
  type ApiServer,
  type ApiServerOptions,
  startApiServer,
} from "../../../core/testing/api_server.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function withServer(
  options: ApiServerOptions,
  fn: (server: ApiServer) => Promise<void>,
): Promise<void> {
  const server = await startApiServer(options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function get(
  url: string,
  init?: RequestInit,
): Promise<{ res: Response; body: Json }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { res, body: text === "" ? undefined : JSON.parse(text) };
}

const ids = (rows: Json[]): number[] => rows.map((r) => r.id);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Polls `cond` on real ticks, bounded, for state reached through the network. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A sleep the test releases by hand, so queueing is observed without timing. */
function manualSleep() {
  const pending: Array<{ ms: number; wake: () => void }> = [];
  return {
    pending,
    sleep: (ms: number) =>
      new Promise<void>((wake) => pending.push({ ms, wake })),
    wakeOne() {
      const p = pending.shift();
      if (p === undefined) throw new Error("nothing is sleeping");
      p.wake();
    },
    wakeAll() {
      while (pending.length > 0) pending.shift()!.wake();
    },
  };
}

Deno.test("api server: records follow the documented shape in every route", async () => {
  await withServer({ records: 20 }, async ({ url }) => {
    const { body } = await get(`${url}/offset/items?offset=0&limit=20`);
    assertEquals(body.items[4], {
      id: 5,
      name: "item-5",
      score: 7.5,
      active: false,
      created_at: "2024-01-01T00:05:00.000Z",
      updated_at: "2024-01-01T00:05:00.000Z",
      tags: ["t2", "five"],
      meta: { rank: 5, source: "api" },
    });
    assertEquals(body.items[1].tags, ["t2"]);
    assertEquals(body.items[1].active, true);
    const pages = (await get(`${url}/pages/items?per_page=20`)).body.data;
    const cursor = (await get(`${url}/cursor/items?limit=20`)).body.data;
    const next = (await get(`${url}/next/items?page_size=20`)).body.results;
    const link = (await get(`${url}/link/items?per_page=20`)).body;
    const stripe = (await get(`${url}/stripe/items?limit=20`)).body.data;
    for (const rows of [pages, cursor, next, link]) {
      assertEquals(rows, body.items);
    }
    const { created: _, ...sansCreated } = stripe.at(-1);
    assertEquals(sansCreated, body.items[0]);
  });
});

Deno.test("api server: timestamps stay exact across day and year boundaries", async () => {
  await withServer({ records: 530_000 }, async ({ url }) => {
    // 2024 is a leap year: minute 527040 is 2025-01-01T00:00:00Z.
    for (const offset of [1437, 527_037]) {
      const { body } = await get(
        `${url}/offset/items?offset=${offset}&limit=4`,
      );
      for (const r of body.items) {
        const expected = new Date(Date.UTC(2024, 0, 1) + r.id * 60_000)
          .toISOString();
        assertEquals([r.created_at, r.updated_at], [expected, expected]);
      }
    }
  });
});

Deno.test("api server: offset route pages, totals, limits and bad parameters", async () => {
  await withServer({ records: 120 }, async ({ url }) => {
    let { res, body } = await get(`${url}/offset/items`);
    assertEquals(res.headers.get("content-type"), "application/json");
    assertEquals(ids(body.items), range(1, 50));
    assertEquals(body.total, 120);
    ({ body } = await get(`${url}/offset/items?offset=100&limit=50`));
    assertEquals(ids(body.items), range(101, 120));
    ({ body } = await get(`${url}/offset/items?offset=120&limit=50`));
    assertEquals(body, { items: [], total: 120 });
    ({ body } = await get(`${url}/offset/items?offset=10&limit=5&total=false`));
    assertEquals(ids(body.items), range(11, 15));
    assert(!("total" in body));
    ({ res, body } = await get(`${url}/offset/items?limit=-1`));
    assertEquals(res.status, 400);
    assertMatch(body.error, /limit/);
  });
  await withServer({ records: 2000 }, async ({ url }) => {
    const { body } = await get(`${url}/offset/items?limit=5000`);
    assertEquals(body.items.length, 1000, "page size is clamped at 1000");
  });
});

Deno.test("api server: page-number route, 1-based with total_pages", async () => {
  await withServer({ records: 95 }, async ({ url }) => {
    let { body } = await get(`${url}/pages/items?page=1&per_page=40`);
    assertEquals({ page: body.page, total_pages: body.total_pages }, {
      page: 1,
      total_pages: 3,
    });
    assertEquals(ids(body.data), range(1, 40));
    ({ body } = await get(`${url}/pages/items?page=3&per_page=40`));
    assertEquals(ids(body.data), range(81, 95));
    ({ body } = await get(`${url}/pages/items?page=4&per_page=40&total=false`));
    assertEquals(body, { data: [], page: 4 });
    const { res } = await get(`${url}/pages/items?page=0`);
    assertEquals(res.status, 400);
  });
});

Deno.test("api server: cursor route ends with a null cursor and no empty page", async () => {
  for (const records of [120, 100]) {
    await withServer({ records }, async ({ url }) => {
      const seen: number[] = [];
      let cursor: string | null = "";
      let pages = 0;
      while (cursor !== null && pages < 10) {
        const { body }: { body: Json } = await get(
          `${url}/cursor/items?limit=50&cursor=${encodeURIComponent(cursor)}`,
        );
        seen.push(...ids(body.data));
        cursor = body.next_cursor;
        pages++;
      }
      assertEquals(seen, range(1, records));
      assertEquals(pages, Math.ceil(records / 50));
    });
  }
  await withServer({ records: 10 }, async ({ url }) => {
    const { res, body } = await get(`${url}/cursor/items?cursor=garbage`);
    assertEquals(res.status, 400);
    assertMatch(body.error, /invalid cursor/);
  });
});

Deno.test("api server: stripe route walks newest first with has_more", async () => {
  await withServer({ records: 25 }, async ({ url }) => {
    const seen: number[] = [];
    let after: number | undefined;
    for (let i = 0; i < 10; i++) {
      const q = after === undefined ? "" : `&starting_after=${after}`;
      const { body } = await get(`${url}/stripe/items?limit=10${q}`);
      assertEquals(body.object, "list");
      assertEquals(body.url, "/stripe/items");
      seen.push(...ids(body.data));
      for (const r of body.data) {
        assertEquals(r.created, 1704067200 + Math.floor(r.id / 3));
      }
      if (!body.has_more) break;
      after = body.data.at(-1).id;
    }
    assertEquals(seen, range(1, 25).reverse());
    const created = (await get(`${url}/stripe/items?limit=100`)).body.data.map((
      r: Json,
    ) => r.created);
    assertEquals(
      created,
      [...created].sort((a, b) => b - a),
      "descending by created",
    );
    const { body } = await get(`${url}/stripe/items?limit=5&starting_after=6`);
    assertEquals(ids(body.data), [5, 4, 3, 2, 1]);
    assertEquals(
      body.has_more,
      false,
      "no has_more when the page ends exactly at the last record",
    );
  });
});

Deno.test("api server: stripe created range is exact at the edges (gte inclusive, lt exclusive)", async () => {
  await withServer({ records: 40 }, async ({ url }) => {
    const all: Json[] = (await get(`${url}/stripe/items?limit=100`)).body.data;
    const base = 1704067200;
    // Partition edges fall inside groups of ids sharing a second.
    const edges = [base, base + 2, base + 5, base + 6, base + 14];
    const union: number[] = [];
    for (let i = 0; i + 1 < edges.length; i++) {
      const [gte, lt] = [edges[i]!, edges[i + 1]!];
      const got: number[] = [];
      let after: number | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const q = after === undefined ? "" : `&starting_after=${after}`;
        const { body } = await get(
          `${url}/stripe/items?limit=2&created[gte]=${gte}&created[lt]=${lt}${q}`,
        );
        got.push(...ids(body.data));
        if (!body.has_more) break;
        after = body.data.at(-1).id;
      }
      const expected = all.filter((r) => r.created >= gte && r.created < lt)
        .map((r) => r.id);
      assertEquals(got, expected, `[${gte - base}, ${lt - base})`);
      union.push(...got);
    }
    assertEquals(
      union.sort((a, b) => a - b),
      range(1, 40),
      "partitions cover everything once",
    );
    const lte = (await get(
      `${url}/stripe/items?created[gt]=${base + 2}&created[lte]=${base + 3}`,
    )).body;
    assertEquals(ids(lte.data), [11, 10, 9]);
    const exact = (await get(`${url}/stripe/items?created=${base}`)).body;
    assertEquals(ids(exact.data), [2, 1]);
  });
});

Deno.test("api server: next-URL route hands out absolute URLs, null at the end", async () => {
  await withServer({ records: 110 }, async ({ url }) => {
    const seen: number[] = [];
    let next: string | null = `${url}/next/items`;
    let pages = 0;
    while (next !== null && pages < 10) {
      const { body }: { body: Json } = await get(next);
      seen.push(...ids(body.results));
      if (body.next !== null) {
        assert(body.next.startsWith(`${url}/next/items?`), body.next);
      }
      next = body.next;
      pages++;
    }
    assertEquals(seen, range(1, 110));
    assertEquals(pages, 3);
    const { body } = await get(`${url}/next/items?page_size=10&page=2`);
    assertEquals(
      new URL(body.next).searchParams.get("page_size"),
      "10",
      "other params kept",
    );
  });
});

function parseLink(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (header ?? "").matchAll(/<([^>]+)>;\s*rel="([^"]+)"/g)) {
    out[m[2]!] = m[1]!;
  }
  return out;
}

Deno.test("api server: Link header route, GitHub style", async () => {
  await withServer({ records: 250 }, async ({ url }) => {
    let { res, body } = await get(`${url}/link/items?per_page=100`);
    assert(Array.isArray(body));
    assertEquals(ids(body), range(1, 100));
    let links = parseLink(res.headers.get("link"));
    assertEquals(links, {
      next: `${url}/link/items?per_page=100&page=2`,
      last: `${url}/link/items?per_page=100&page=3`,
    });
    ({ res, body } = await get(links.next!));
    assertEquals(ids(body), range(101, 200));
    assertEquals(Object.keys(parseLink(res.headers.get("link"))).sort(), [
      "first",
      "last",
      "next",
      "prev",
    ]);
    ({ res, body } = await get(links.last!));
    assertEquals(ids(body), range(201, 250));
    links = parseLink(res.headers.get("link"));
    assert(!("next" in links), "no next on the last page");
    assertEquals(links.prev, `${url}/link/items?per_page=100&page=2`);
  });
  await withServer({ records: 0 }, async ({ url }) => {
    const { res, body } = await get(`${url}/link/items`);
    assertEquals(body, []);
    assertEquals(res.headers.get("link"), null);
  });
});

Deno.test("api server: updateRecord moves a record to the end of /updated with its patch", async () => {
  await withServer({ records: 100 }, async (server) => {
    const { url } = server;
    const since = "2024-01-01T01:30:00Z"; // created_at of id 90
    let { body } = await get(`${url}/updated/items?since=${since}`);
    assertEquals(ids(body.items), range(90, 100));
    assertEquals(body.total, 11);

    server.updateRecord(95, { name: "changed" });
    server.updateRecord(3, { score: -1 });
    server.updateRecord(95, { active: "yes" });
    ({ body } = await get(`${url}/updated/items?since=${since}&limit=50`));
    assertEquals(ids(body.items), [...range(90, 94), ...range(96, 100), 3, 95]);
    assertEquals(body.total, 12);
    const [r3, r95] = body.items.slice(-2);
    assertEquals(
      [r3.score, r95.name, r95.active],
      [-1, "changed", "yes"],
      "patches merge",
    );
    assert(
      r3.updated_at > "2024-01-01T01:40:00.000Z",
      "after every created_at",
    );
    assert(r95.updated_at > r3.updated_at, "the logical clock increases");
    assertEquals(r95.created_at, "2024-01-01T01:35:00.000Z");

    // Paging across the boundary between untouched and updated records.
    const paged: number[] = [];
    for (let offset = 0; offset < 20; offset += 4) {
      paged.push(
        ...ids(
          (await get(
            `${url}/updated/items?since=${since}&offset=${offset}&limit=4`,
          )).body.items,
        ),
      );
    }
    assertEquals(paged, ids(body.items));

    // Only what changed since the last bump.
    ({ body } = await get(
      `${url}/updated/items?since=${encodeURIComponent(r95.updated_at)}`,
    ));
    assertEquals(ids(body.items), [95]);
    // The patch shows in every route.
    ({ body } = await get(`${url}/offset/items?offset=94&limit=1`));
    assertEquals(body.items[0].name, "changed");
    assertEquals(
      (await get(`${url}/updated/items?since=nope`)).res.status,
      400,
    );
    assertEquals((await get(`${url}/updated/items`)).body.total, 100);
    throws(() => server.updateRecord(101, {}), RangeError);
  });
});

Deno.test("api server: Hacker News protocol under /v0", async () => {
  await withServer({ records: 10 }, async ({ url }) => {
    const base = `${url}/v0`;
    assertEquals((await get(`${base}/maxitem.json`)).body, 10);
    const story = (await get(`${base}/item/9.json`)).body;
    assertEquals(story.type, "story");
    assertEquals(story.kids, [10]);
    assertEquals(typeof story.title, "string");
    assertEquals(story.time, 1704067200 + 9 * 60);
    const comment = (await get(`${base}/item/7.json`)).body;
    assertEquals([comment.type, comment.parent, typeof comment.text], [
      "comment",
      5,
      "string",
    ]);
    for (const id of [0, 11, -1]) {
      const { res, body } = await get(`${base}/item/${id}.json`);
      assertEquals([res.status, body], [200, null]);
    }
  });
});

Deno.test("api server: unknown paths get a JSON 404; /stats is served but not counted", async () => {
  await withServer({ records: 10 }, async ({ url, stats }) => {
    const { res, body } = await get(`${url}/nope`);
    assertEquals(res.status, 404);
    assertEquals(body, { error: "not found" });
    await get(`${url}/offset/items`);
    const served = (await get(`${url}/stats`)).body;
    assertEquals(served.requests, 2);
    assertEquals(served.byStatus, { "200": 1, "404": 1 });
    assertEquals(stats.requests, 2);
    assertEquals(stats.served, 2);
  });
});

Deno.test("api server: capacity queues requests in arrival order; maxInFlight never exceeds it", async () => {
  const clock = manualSleep();
  await withServer({
    records: 100,
    latencyMs: 20,
    capacity: 3,
    sleep: clock.sleep,
  }, async ({ url, stats }) => {
    const finished: number[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      all.push(
        get(`${url}/offset/items?offset=${i}&limit=1`).then(() =>
          void finished.push(i)
        ),
      );
      // Let each request reach the server before the next so arrival order is known.
      await until(() => stats.requests === i + 1, `request ${i}`);
    }
    assertEquals([stats.inFlight, stats.queued], [3, 7]);
    assertEquals(clock.pending.map((p) => p.ms), [20, 20, 20]);
    for (let done = 1; done <= 10; done++) {
      clock.wakeOne();
      await until(() => finished.length === done, `${done} answers`);
      await until(
        () => clock.pending.length === Math.min(3, 10 - done),
        "the next in line",
      );
      assert(stats.inFlight <= 3);
    }
    await Promise.all(all);
    assertEquals(finished, range(0, 9));
    assertEquals(stats.maxInFlight, 3);
    assertEquals([stats.inFlight, stats.queued, stats.served], [0, 0, 10]);
  });
});

Deno.test("api server: many parallel requests stay within capacity", async () => {
  // Service times end when the test says, not after real milliseconds: a
  // loaded machine cannot spread the requests so that fewer overlap.
  const clock = manualSleep();
  await withServer(
    { records: 1000, latencyMs: 2, capacity: 4, sleep: clock.sleep },
    async ({ url, stats }) => {
      let answered = 0;
      const all = Promise.all(
        range(0, 39).map((i) =>
          get(`${url}/offset/items?offset=${i * 10}&limit=10`).then((r) => {
            answered++;
            return r;
          })
        ),
      );
      await until(() => stats.requests === 40, "40 requests");
      await until(() => clock.pending.length === 4, "4 in service");
      assertEquals([stats.inFlight, stats.queued], [4, 36]);
      for (let done = 4; done <= 40; done += 4) {
        clock.wakeAll();
        await until(() => answered === done, `${done} answers`);
        await until(
          () => clock.pending.length === Math.min(4, 40 - done),
          "the next four",
        );
      }
      await all;
      assertEquals(stats.served, 40);
      assertEquals(stats.maxInFlight, 4);
    },
  );
});

Deno.test("api server: setCapacity lets waiters in, setLatency changes the service time", async () => {
  const clock = manualSleep();
  await withServer({
    records: 10,
    latencyMs: 5,
    capacity: 1,
    sleep: clock.sleep,
  }, async (server) => {
    const all = range(1, 4).map(() => get(`${server.url}/offset/items`));
    await until(() => server.stats.requests === 4, "4 requests");
    assertEquals(server.stats.queued, 3);
    server.setLatency(7);
    server.setCapacity(4);
    await until(() => clock.pending.length === 4, "all four served at once");
    assertEquals(clock.pending.map((p) => p.ms), [5, 7, 7, 7]);
    assertEquals(server.stats.maxInFlight, 4);
    clock.wakeAll();
    await Promise.all(all);
  });
});

Deno.test("api server: a client that gives up while queued loses its place", async () => {
  const clock = manualSleep();
  await withServer({
    records: 10,
    latencyMs: 5,
    capacity: 1,
    sleep: clock.sleep,
  }, async ({ url, stats }) => {
    const first = get(`${url}/offset/items`);
    await until(() => stats.inFlight === 1, "first in service");
    const ctl = new AbortController();
    const gaveUp = fetch(`${url}/offset/items`, { signal: ctl.signal });
    await until(() => stats.queued === 1, "second queued");
    ctl.abort();
    await rejects(gaveUp);
    await until(() => stats.queued === 0, "queue empties");
    clock.wakeAll();
    await first;
    assertEquals(stats.served, 1);
  });
});

Deno.test("api server: overflow 429 answers at once with Retry-After", async () => {
  const clock = manualSleep();
  await withServer(
    {
      records: 10,
      latencyMs: 5,
      capacity: 1,
      overflow: "429",
      sleep: clock.sleep,
    },
    async ({ url, stats }) => {
      const first = get(`${url}/offset/items`);
      await until(() => stats.inFlight === 1, "first in service");
      const { res, body } = await get(`${url}/offset/items`);
      assertEquals(res.status, 429);
      assertEquals(res.headers.get("retry-after"), "1");
      assertMatch(body.error, /too many/);
      assertEquals(stats.throttled, 1);
      clock.wakeAll();
      assertEquals((await first).res.status, 200);
      assertEquals(stats.byStatus, { 200: 1, 429: 1 });
    },
  );
  await withServer({
    capacity: 1,
    overflow: "429",
    retryAfterSeconds: 7,
    latencyMs: 5,
    sleep: clock.sleep,
  }, async (s) => {
    const first = get(`${s.url}/offset/items`);
    await until(() => s.stats.inFlight === 1, "first in service");
    assertEquals(
      (await get(`${s.url}/offset/items`)).res.headers.get("retry-after"),
      "7",
    );
    clock.wakeAll();
    await first;
  });
});

Deno.test("api server: X-RateLimit headers count down, 429 after the budget, a new window resets", async () => {
  let now = 1_700_000_000_500;
  await withServer(
    { records: 10, rateLimit: { requests: 3, perSeconds: 60 }, now: () => now },
    async ({ url, stats }) => {
      const reset = String(Math.ceil((now + 60_000) / 1000));
      for (const remaining of ["2", "1", "0"]) {
        const { res } = await get(`${url}/offset/items`);
        assertEquals(res.status, 200);
        assertEquals(res.headers.get("x-ratelimit-limit"), "3");
        assertEquals(res.headers.get("x-ratelimit-remaining"), remaining);
        assertEquals(res.headers.get("x-ratelimit-reset"), reset);
        now += 1000;
      }
      const { res } = await get(`${url}/offset/items`);
      assertEquals(res.status, 429);
      assertEquals(res.headers.get("x-ratelimit-remaining"), "0");
      assertEquals(
        res.headers.get("retry-after"),
        "57",
        "seconds until the window renews",
      );
      assertEquals(stats.throttled, 1);
      now += 57_000;
      const again = await get(`${url}/offset/items`);
      assertEquals(again.res.status, 200);
      assertEquals(again.res.headers.get("x-ratelimit-remaining"), "2");
    },
  );
});

Deno.test("api server: IETF RateLimit and RateLimit-Policy headers", async () => {
  let now = 1_000_000;
  await withServer(
    {
      records: 10,
      rateLimit: { requests: 2, perSeconds: 10, headers: "ietf" },
      now: () => now,
    },
    async ({ url }) => {
      let { res } = await get(`${url}/offset/items`);
      assertEquals(res.headers.get("ratelimit-policy"), `"default";q=2;w=10`);
      assertEquals(res.headers.get("ratelimit"), `"default";r=1;t=10`);
      assertEquals(res.headers.get("x-ratelimit-limit"), null);
      now += 4_500;
      ({ res } = await get(`${url}/offset/items`));
      assertEquals(res.headers.get("ratelimit"), `"default";r=0;t=6`);
      ({ res } = await get(`${url}/offset/items`));
      assertEquals(res.status, 429);
    },
  );
  await withServer({
    rateLimit: { requests: 1, perSeconds: 10, headers: "none" },
  }, async ({ url }) => {
    const { res } = await get(`${url}/offset/items?limit=1`);
    assertEquals(
      [...res.headers.keys()].filter((k) => k.includes("ratelimit")),
      [],
    );
    assertEquals((await get(`${url}/offset/items?limit=1`)).res.status, 429);
  });
});

Deno.test("api server: status faults honour path, after and times", async () => {
  await withServer({
    records: 100,
    faults: [
      {
        path: "offset=50",
        after: 1,
        times: 2,
        kind: "status",
        status: 503,
        retryAfter: "2",
      },
      { kind: "status", status: 500, path: "pages" },
    ],
  }, async ({ url, stats }) => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await get(`${url}/offset/items?offset=50`)).res.status);
    }
    assertEquals(statuses, [200, 503, 503, 200]);
    const { res, body } = await get(`${url}/offset/items?offset=0`);
    assertEquals(res.status, 200, "other paths untouched");
    assert(body.items.length > 0);
    const faulted = await get(`${url}/pages/items`);
    assertEquals(faulted.res.status, 500);
    assertEquals(faulted.res.headers.get("content-type"), "application/json");
    assertEquals(
      (await get(`${url}/pages/items`)).res.status,
      200,
      "times defaults to 1",
    );
    assertEquals(stats.byStatus, { 200: 4, 500: 1, 503: 2 });
  });
  await withServer({
    faults: [{ kind: "status", status: 503, retryAfter: "2" }],
  }, async ({ url }) => {
    assertEquals(
      (await get(`${url}/cursor/items`)).res.headers.get("retry-after"),
      "2",
    );
  });
});

Deno.test("api server: a drop fault closes the connection without an answer", async () => {
  await withServer({
    records: 10,
    faults: [{ kind: "drop", path: "/cursor/" }],
  }, async ({ url, stats }) => {
    await rejects(fetch(`${url}/cursor/items`), TypeError);
    assertEquals(stats.dropped, 1);
    assertEquals(stats.byStatus, {});
    assertEquals(
      (await get(`${url}/cursor/items`)).res.status,
      200,
      "fires once",
    );
  });
});

Deno.test("api server: slow, malformed and HTML faults", async () => {
  const clock = manualSleep();
  await withServer({
    records: 10,
    latencyMs: 3,
    sleep: clock.sleep,
    faults: [
      { kind: "slow", ms: 100, path: "slow" },
      { kind: "malformed", path: "malformed" },
      { kind: "html", path: "html" },
    ],
  }, async ({ url }) => {
    const slow = get(`${url}/offset/items?slow`);
    await until(() => clock.pending.length === 1, "the slow request");
    assertEquals(clock.pending[0]!.ms, 103);
    clock.wakeAll();
    assertEquals((await slow).res.status, 200);

    const malformed = fetch(`${url}/offset/items?malformed`);
    await until(() => clock.pending.length === 1, "the malformed request");
    clock.wakeAll();
    const res = await malformed;
    assertEquals(res.status, 200);
    await rejects(res.json(), SyntaxError);

    const htmlPage = fetch(`${url}/offset/items?html`);
    await until(() => clock.pending.length === 1, "the html request");
    clock.wakeAll();
    const html = await htmlPage;
    assertEquals(html.status, 200);
    assertMatch(html.headers.get("content-type")!, /^text\/html/);
    assertMatch(await html.text(), /^<!DOCTYPE html>/);
  });
  // Even a tiny body such as the max id is made invalid.
  await withServer(
    { records: 5, faults: [{ kind: "malformed" }] },
    async ({ url }) => {
      await rejects(
        (await fetch(`${url}/v0/maxitem.json`)).json(),
        SyntaxError,
      );
    },
  );
});

Deno.test("api server: counts TCP connections (keep-alive reuse vs Connection: close)", async () => {
  await withServer({ records: 10 }, async ({ url, stats }) => {
    for (let i = 0; i < 5; i++) await get(`${url}/offset/items`);
    assertEquals(stats.connections, 1);
  });
  await withServer({ records: 10 }, async ({ url, stats }) => {
    for (let i = 0; i < 5; i++) {
      await get(`${url}/offset/items`, { headers: { connection: "close" } });
    }
    assertEquals(stats.connections, 5);
  });
  // Service times held until all four are in: each needs its own connection.
  const clock = manualSleep();
  await withServer({
    records: 10,
    latencyMs: 10,
    sleep: clock.sleep,
  }, async ({ url, stats }) => {
    const all = Promise.all(range(1, 4).map(() => get(`${url}/offset/items`)));
    await until(() => clock.pending.length === 4, "all four in service");
    clock.wakeAll();
    await all;
    assertEquals(stats.maxInFlight, 4);
    assertEquals(
      stats.connections,
      4,
      "parallel requests open parallel connections",
    );
  });
});

Deno.test("api server: close() ends pending service times, queued requests and idle connections", async () => {
  const server = await startApiServer({
    records: 10,
    latencyMs: 60_000,
    capacity: 1,
  });
  const inService = rejects(fetch(`${server.url}/offset/items`));
  const queued = rejects(fetch(`${server.url}/offset/items`));
  await until(
    () => server.stats.inFlight === 1 && server.stats.queued === 1,
    "one served, one queued",
  );
  await server.close();
  await inService;
  await queued;
  await server.close(); // idempotent
  await rejects(fetch(`${server.url}/offset/items`), TypeError);
  // Deno's sanitizers fail this test if a timer or socket outlives close().
});

Deno.test("api server: close() also interrupts an injected sleep", async () => {
  const server = await startApiServer({
    records: 10,
    latencyMs: 5,
    sleep: () => new Promise(() => {}),
  });
  const pending = rejects(fetch(`${server.url}/offset/items`));
  await until(() => server.stats.inFlight === 1, "in service");
  await server.close();
  await pending;
});

Deno.test("api server: bad options are refused", async () => {
  const bad: ApiServerOptions[] = [
    { records: -1 },
    { records: 1.5 },
    { latencyMs: -1 },
    { capacity: 0 },
    { rateLimit: { requests: 0, perSeconds: 1 } },
    { rateLimit: { requests: 1, perSeconds: 0 } },
    { faults: [{ kind: "slow", ms: -5 }] },
    { faults: [{ kind: "status", status: 5 }] },
  ];
  for (const options of bad) {
    await rejects(startApiServer(options), RangeError, JSON.stringify(options));
  }
  await rejects(startApiServer({ overflow: "drop" as "429" }), TypeError);
  await rejects(
    startApiServer({ faults: [{ kind: "boom" } as never] }),
    TypeError,
  );
});

Deno.test("api server: retry-after-ms beside Retry-After; a storm answers 429 to all; errorShare answers some 503s", async () => {
  await withServer(
    {
      records: 100,
      overflow: "429",
      capacity: 1,
      retryAfterMs: 20,
      errorShare: 0.5,
    },
    async (server) => {
      server.storm(60_000);
      const { res } = await get(`${server.url}/offset/items`);
      assertEquals(res.status, 429);
      assertEquals(res.headers.get("retry-after"), "1");
      assertEquals(res.headers.get("retry-after-ms"), "20");
      server.storm(0);
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        statuses.push((await get(`${server.url}/offset/items`)).res.status);
      }
      const errors = statuses.filter((s) => s === 503).length;
      assert(errors > 5 && errors < 35, `${errors} of 40 were 503`);
      assertEquals(errors + statuses.filter((s) => s === 200).length, 40);
    },
  );
  await rejects(startApiServer({ errorShare: 2 }), RangeError);
});
