/**
 * When the source pushes back: the wait it asks for is read from its most
 * precise header and kept exactly, by the request and by the whole host; a
 * throttle does not spend a request's attempts while the run makes
 * progress, and fails the run only once none was made for the stall
 * timeout; plain failures are capped by a ratio of recent requests.
 * Time is injected: nothing here sleeps.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { HttpError, StalledError } from "../../../core/connector/errors.ts";
import {
  HttpClient,
  type HttpEvent,
  type HttpOptions,
  newRequestStats,
} from "../../../core/http/http.ts";
import type { Limiter, PermitOutcome } from "../../../core/http/limiter.ts";
import { parseRetryAfterHeaders } from "../../../core/http/parse_retry_after_headers.ts";
import { RateBudget } from "../../../core/http/rate_budget.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const SHED = { "retry-after": "1", "retry-after-ms": "20" };

// A fetch that answers the path of each call with `reply(path, n)`, n
// counting that path's calls from 0: no socket, so time is all injected.
function fakeFetch(reply: (path: string, n: number) => Response) {
  const calls = new Map<string, number>();
  const fetch = (input: RequestInfo | URL): Promise<Response> => {
    const path = new URL(String(input)).pathname;
    const n = calls.get(path) ?? 0;
    calls.set(path, n + 1);
    return Promise.resolve(reply(path, n));
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

function setup(
  reply: (path: string, n: number) => Response,
  options: HttpOptions = {},
) {
  let clock = T0;
  const delays: number[] = [];
  const events: HttpEvent[] = [];
  const { fetch, calls } = fakeFetch(reply);
  const time = {
    now: () => clock,
    advance: (ms: number) => void (clock += ms),
  };
  const http = new HttpClient({
    fetch,
    now: time.now,
    sleep: (ms) => {
      delays.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { http, time, delays, events, calls };
}

const status = (code: number, headers: Record<string, string> = {}) =>
  Response.json({ error: code }, { status: code, headers });
const ok = () => Response.json({ items: [1] });

Deno.test("pushback: retry-after-ms, then x-ms-retry-after-ms, then Retry-After", () => {
  const h = (init: Record<string, string>) => new Headers(init);
  assertEquals(parseRetryAfterHeaders(h(SHED), T0), 20);
  assertEquals(
    parseRetryAfterHeaders(
      h({ "x-ms-retry-after-ms": "35", "retry-after": "1" }),
      T0,
    ),
    35,
  );
  assertEquals(
    parseRetryAfterHeaders(
      h({ "retry-after-ms": "5", "x-ms-retry-after-ms": "35" }),
      T0,
    ),
    5,
  );
  assertEquals(parseRetryAfterHeaders(h({ "retry-after": "2" }), T0), 2000);
  assertEquals(
    parseRetryAfterHeaders(
      h({ "retry-after": "Thu, 01 Jan 2026 00:00:07 GMT" }),
      T0,
    ),
    7000,
  );
  // Unreadable forms give way to the next header, not to a guess.
  assertEquals(
    parseRetryAfterHeaders(
      h({
        "retry-after-ms": "-5",
        "x-ms-retry-after-ms": "",
        "retry-after": "3",
      }),
      T0,
    ),
    3000,
  );
  assertEquals(parseRetryAfterHeaders(h({}), T0), undefined);
});

Deno.test("pushback: a request waits exactly the milliseconds asked, not a rounded-up second", async () => {
  const { http, delays, events } = setup((_path, n) =>
    n === 0
      ? status(429, SHED)
      : n === 1
      ? status(503, { "x-ms-retry-after-ms": "150", "retry-after": "2" })
      : n === 2
      // No wait header: a spent quota's reset, as before.
      ? status(429, { "ratelimit": "limit=100, remaining=0, reset=3" })
      : ok()
  );
  const res = await http.getJson({ url: "http://src.test/items" });
  assertEquals(res.attempts, 4);
  assertEquals(delays, [20, 150, 3000]);
  const until = events.flatMap((e) =>
    e.type === "throttle" ? [e.untilMs - T0] : []
  );
  assertEquals(until, [20, 20 + 150, 20 + 150 + 3000]);
});

Deno.test("pushback: a 429 asking a second or more pauses the whole host for exactly the time asked", async () => {
  let clock = T0;
  const slept: number[] = [];
  const budget = new RateBudget({
    now: () => clock,
    sleep: (ms) => {
      slept.push(ms);
      clock += ms;
      return Promise.resolve();
    },
  });
  await budget.take();
  budget.observe(
    429,
    new Headers({ "retry-after": "2", "retry-after-ms": "1500" }),
    T0,
  );
  assertEquals(budget.pausedUntil, T0 + 1500);
  // Another worker, which got no 429 itself, waits out the same 1.5 s.
  await budget.take();
  assertEquals(slept, [1500]);
  assertEquals(clock, T0 + 1500);
  assertEquals(budget.stats.pauses, 1);
});

Deno.test("pushback: the limiter learns the drop cost the source asked, in ms", async () => {
  const outcomes: PermitOutcome[] = [];
  const limiter: Limiter = {
    limit: 8,
    inFlight: 0,
    queued: 0,
    acquire: () => Promise.resolve({ release: (o) => void outcomes.push(o) }),
  };
  const { http } = setup(
    (_p, n) => n === 0 ? status(429, SHED) : ok(),
    { limiter: () => limiter },
  );
  await http.getJson({ url: "http://src.test/items" });
  const first = outcomes[0];
  assert(first !== undefined && first !== "ignore");
  assertEquals((first as { retryAfterMs?: number }).retryAfterMs, 20);
});

Deno.test("pushback: a throttle asked by the source spends no attempt while the run makes progress", async () => {
  const { http, delays, calls } = setup(
    (path, n) => path === "/shed" && n < 30 ? status(429, SHED) : ok(),
    { maxAttempts: 2 },
  );
  const stats = newRequestStats();
  await http.getJson({ url: "http://src.test/other" });
  const left = http.retriesLeft;
  const res = await http.getJson({ url: "http://src.test/shed", stats });
  assertEquals(res.attempts, 31, "30 throttles, far more than 2 attempts");
  assertEquals(calls.get("/shed"), 31);
  assert(delays.every((d) => d === 20));
  assertEquals([stats.retries, stats.throttled], [30, 30]);
  assertEquals(http.retriesLeft, left, "throttles spend no retry budget");
});

Deno.test("pushback: plain 5xx still have bounded attempts, throttles aside", async () => {
  const { http, calls } = setup(
    (_p, n) => n < 10 ? status(429, SHED) : status(502),
    { maxAttempts: 3 },
  );
  const err = await http.getJson({ url: "http://src.test/x" }).catch((e) => e);
  assert(err instanceof HttpError && !(err instanceof StalledError));
  assertEquals(err.status, 502);
  assertMatch((err.cause as Error).message, /gave up after 3 attempts/);
  assertEquals(calls.get("/x"), 13);
});

Deno.test("pushback: a run that makes no progress fails after the stall timeout, naming page, stream and URL", async () => {
  const { http, delays } = setup(
    () => status(429, { "retry-after": "30" }),
    { stallTimeoutMs: 60_000 },
  );
  const stats = newRequestStats();
  const err = await http.getJson({
    url: "http://src.test/items?offset=28800",
    stats,
    context: { stream: "ov/items", page: 576 },
  }).catch((e) => e);
  assert(err instanceof StalledError, String(err));
  assert(err instanceof HttpError, "a StalledError is an HttpError");
  assertEquals(err.status, 429);
  assertEquals(err.stalledMs, 60_000);
  assertEquals(err.url, "http://src.test/items?offset=28800");
  assertEquals(err.stream, "ov/items");
  assertMatch(
    err.message,
    /^Cannot fetch page 577 of "ov\/items": no progress for 1m0s, the source kept answering 429 \(.*\) at http:\/\/src\.test\/items\?offset=28800/,
  );
  assertEquals(delays, [30_000, 30_000], "it waited what was asked, twice");
  assertEquals(stats.errors, 1);
});

Deno.test("pushback: time before a request's first throttle is not a stall", async () => {
  const { http, time } = setup(
    (path, n) => path === "/late" && n < 2 ? status(429, SHED) : ok(),
    { stallTimeoutMs: 60_000 },
  );
  await http.getJson({ url: "http://src.test/first" });
  // Ten minutes without a request (a quota window, a slow parent stream).
  time.advance(600_000);
  const res = await http.getJson({ url: "http://src.test/late" });
  assertEquals(res.attempts, 3);
});

Deno.test("pushback: progress anywhere in the run keeps a throttled request waiting, past the stall timeout", async () => {
  const elsewhere: number[] = [];
  const { fetch } = fakeFetch((path, n) =>
    path === "/shed" && n < 5 ? status(429, { "retry-after": "30" }) : ok()
  );
  let clock = T0;
  const http: HttpClient = new HttpClient({
    fetch,
    now: () => clock,
    // While this request waits, other requests of the run succeed.
    sleep: async (ms) => {
      clock += ms;
      elsewhere.push(
        (await http.getJson({ url: "http://src.test/other" }))
          .status,
      );
    },
    stallTimeoutMs: 60_000,
  });
  const res = await http.getJson({ url: "http://src.test/shed" });
  assertEquals(res.attempts, 6);
  assertEquals(clock - T0, 150_000, "2.5 times the stall timeout");
  assertEquals(elsewhere, [200, 200, 200, 200, 200]);
});

Deno.test("pushback: the run-wide cap on retries is a ratio, so a long flaky run completes", async () => {
  // Every tenth request fails once: 1,200 retries, past the old fixed
  // total of 1,000 for the client's whole life.
  const { http } = setup((path, n) =>
    Number(path.slice(1)) % 10 === 0 && n === 0 ? status(503) : ok()
  );
  const stats = newRequestStats();
  for (let i = 0; i < 12_000; i++) {
    await http.getJson({ url: `http://src.test/${i}`, stats });
  }
  assertEquals(stats.retries, 1_200);
  assertEquals(stats.errors, 0);
});

Deno.test("pushback: a source failing most requests runs out of the ratio budget", async () => {
  const { http } = setup(() => status(500), {
    maxAttempts: 100,
    retryBudget: { ratio: 0.2, minPerSecond: 0 },
  });
  const stats = newRequestStats();
  const errors: string[] = [];
  for (let i = 0; i < 50; i++) {
    await http.getJson({ url: `http://src.test/${i}`, stats }).catch((e) =>
      errors.push(((e as Error).cause as Error).message)
    );
  }
  assertEquals(errors.length, 50);
  assert(stats.retries <= 0.2 * 50, `retries: ${stats.retries}`);
  assertMatch(
    errors.at(-1)!,
    /^retry budget spent: \d+ retries for \d+ requests/,
  );
});
