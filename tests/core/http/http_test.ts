import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { sleep } from "../../../core/async/backoff.ts";
import {
  HttpError,
  NetworkError,
  PaginationError,
} from "../../../core/connector/errors.ts";
import {
  HttpClient,
  type HttpEvent,
  type HttpOptions,
  newRequestStats,
} from "../../../core/http/http.ts";
import {
  FixedLimiter,
  type Limiter,
  type Permit,
  type PermitOutcome,
} from "../../../core/http/limiter.ts";
import { RateBudget } from "../../../core/http/rate_budget.ts";
import { Http1Agent } from "../../../core/http/http1_agent.ts";

// A loopback server answering request n (from 0) with `reply(n, req)`.
function scripted(
  reply: (n: number, req: Request) => Response | Promise<Response>,
) {
  let n = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      return reply(n++, req);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    host: `127.0.0.1:${server.addr.port}`,
    get count() {
      return n;
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

// A raw TCP server: `script[n]` decides what connection n gets, so a test can
// close a socket before or in the middle of an answer.
type RawReply = "close" | "truncate" | { status: number; body: string };
function rawServer(script: RawReply[]) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const enc = new TextEncoder();
  let n = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      const step = script[Math.min(n++, script.length - 1)]!;
      try {
        // Read the request head (small: one read on loopback is enough).
        await conn.read(new Uint8Array(16 * 1024));
        if (step === "truncate") {
          await conn.write(enc.encode(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n" +
              '{"items": [1, 2',
          ));
        } else if (step !== "close") {
          const body = enc.encode(step.body);
          await conn.write(enc.encode(
            `HTTP/1.1 ${step.status} X\r\ncontent-type: application/json\r\n` +
              `content-length: ${body.length}\r\nconnection: close\r\n\r\n`,
          ));
          await conn.write(body);
        }
      } finally {
        conn.close();
      }
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    get count() {
      return n;
    },
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await loop.catch(() => {});
    },
  };
}

// Fake time: sleeps are recorded and return at once.
function fakeTime(start = Date.parse("2024-01-01T00:00:00Z")) {
  let clock = start;
  const delays: number[] = [];
  return {
    delays,
    now: () => clock,
    sleep: (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      delays.push(ms);
      clock += ms;
      return Promise.resolve();
    },
  };
}

// `http_agent_parity_test.ts` sets this to run these tests again through
// inlet's own HTTP/1.1 connections (a new one per request: no connection
// outlives its test).
const viaAgent = () =>
  (globalThis as { inletHttpTestAgent?: boolean }).inletHttpTestAgent === true;

function client(options: HttpOptions = {}) {
  const time = fakeTime();
  const events: HttpEvent[] = [];
  const http = new HttpClient({
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
    timeoutMs: 5_000,
    onEvent: (e) => events.push(e),
    ...(viaAgent() ? { fetch: new Http1Agent({ idleMs: 0 }).fetch } : {}),
    ...options,
  });
  return { http, time, events };
}

// A limiter that never blocks and records what each permit reported.
function recordingLimiter() {
  const outcomes: PermitOutcome[] = [];
  const limiter: Limiter = {
    limit: 100,
    inFlight: 0,
    queued: 0,
    acquire(signal?: AbortSignal): Promise<Permit> {
      signal?.throwIfAborted();
      return Promise.resolve({ release: (o) => void outcomes.push(o) });
    },
  };
  return { limiter, outcomes };
}

const json = (body: unknown, init: ResponseInit = {}) =>
  Response.json(body, init);

Deno.test("http: 503, 429 and 500 are retried with full-jitter backoff, then succeed", async () => {
  await using server = scripted((n) =>
    n === 0
      ? json({ error: "down" }, { status: 503 })
      : n === 1
      ? json({ error: "slow" }, { status: 429 })
      : n === 2
      ? json({ error: "boom" }, { status: 500 })
      : json({ items: [1, 2, 3] })
  );
  const { http, time, events } = client({
    backoff: { baseMs: 100, maxMs: 1000 },
  });
  const stats = newRequestStats();
  const res = await http.getJson({ url: `${server.url}/items`, stats });
  assertEquals(res.body, { items: [1, 2, 3] });
  assertEquals(res.status, 200);
  assertEquals(res.attempts, 4);
  assertEquals(server.count, 4);
  // random() = 0.5 of 100, 200, 400.
  assertEquals(time.delays, [50, 100, 200]);
  assertEquals(
    events.filter((e) => e.type === "retry").map((e) =>
      e.type === "retry" && e.status
    ),
    [503, 429, 500],
  );
  assertEquals(stats.requests, 4);
  assertEquals(stats.retries, 3);
  assertEquals(stats.throttled, 1);
  assertEquals(stats.errors, 0);
  assertEquals(stats.inFlight, 0);
  assertEquals(stats.bytes, res.bytes + 3 * 16); // three error bodies of 16 bytes
  // 100 (10/s over 10 s) + 20 % of 1 request, less the 503 and the 500:
  // the 429 is a throttle and spends none.
  assertEquals(http.retriesLeft, 98);
});

Deno.test("http: 408 is retried too", async () => {
  await using server = scripted((n) =>
    n === 0 ? new Response(null, { status: 408 }) : json([1])
  );
  const { http } = client();
  const res = await http.getJson({ url: server.url });
  assertEquals(res.attempts, 2);
  assertEquals(res.body, [1]);
});

Deno.test("http: a connection closed before or during the answer is retried", async () => {
  await using server = rawServer(["close", "truncate", {
    status: 200,
    body: '{"ok":true}',
  }]);
  const { http, events } = client();
  const stats = newRequestStats();
  const res = await http.getJson({ url: `${server.url}/x`, stats });
  assertEquals(res.body, { ok: true });
  assertEquals(res.attempts, 3);
  assertEquals(server.count, 3);
  const errors = events.flatMap((e) => e.type === "retry" ? [e.error] : []);
  assertEquals(errors, [
    "connection closed before the answer",
    "connection dropped while reading the body",
  ]);
  assertEquals(stats.inFlight, 0);
});

Deno.test("http: a non-retryable 404 fails at once with status, URL, page and body", async () => {
  await using server = scripted(() =>
    json({ message: "Not Found" }, { status: 404 })
  );
  const { http, time } = client();
  const stats = newRequestStats();
  const caught = await http.getJson({
    url: `${server.url}/repos/x/issues?page=3`,
    stats,
    context: { stream: "github/issues", page: 2 },
  }).catch((e) => e);
  assert(caught instanceof HttpError);
  assertEquals(caught.status, 404);
  assertEquals(caught.url, `${server.url}/repos/x/issues?page=3`);
  assertEquals(caught.stream, "github/issues");
  assertMatch(
    caught.message,
    /^Cannot fetch page 3 of "github\/issues": status 404 at http:/,
  );
  assertMatch(caught.message, /Not Found/);
  assertEquals(server.count, 1);
  assertEquals(time.delays, []);
  assertEquals(stats.requests, 1);
  assertEquals(stats.retries, 0);
  assertEquals(stats.errors, 1);
});

Deno.test("http: Retry-After in seconds replaces the backoff delay", async () => {
  await using server = scripted((n) =>
    n === 0
      ? json({}, { status: 429, headers: { "retry-after": "7" } })
      : n === 1
      ? json({}, { status: 503, headers: { "retry-after": "600" } }) // capped
      : json({ ok: 1 })
  );
  const { http, time, events } = client({ maxRetryAfterMs: 60_000 });
  const res = await http.getJson({ url: server.url });
  assertEquals(res.attempts, 3);
  assertEquals(time.delays, [7000, 60_000]);
  const throttles = events.filter((e) => e.type === "throttle");
  assertEquals(throttles.length, 2);
  assertEquals(
    throttles[0]!.type === "throttle" && throttles[0]!.host,
    server.url.slice(7),
  );
});

Deno.test("http: Retry-After as an HTTP date is read against the injected clock", async () => {
  const time = fakeTime(Date.parse("2015-10-21T07:28:00Z"));
  await using server = scripted((n) =>
    n === 0
      ? json({}, {
        status: 503,
        headers: { "retry-after": "Wed, 21 Oct 2015 07:28:42 GMT" },
      })
      : json({ ok: 1 })
  );
  const http = new HttpClient({
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
  });
  await http.getJson({ url: server.url });
  assertEquals(time.delays, [42_000]);
});

Deno.test("http: a GitHub 403 with an exhausted rate limit waits for the reset", async () => {
  const time = fakeTime(1_700_000_000_000);
  await using server = scripted((n) =>
    n === 0
      ? json({ message: "API rate limit exceeded" }, {
        status: 403,
        headers: {
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": "1700000030",
        },
      })
      : json({ ok: 1 })
  );
  const http = new HttpClient({ now: time.now, sleep: time.sleep });
  const stats = newRequestStats();
  await http.getJson({ url: server.url, stats });
  assertEquals(time.delays, [30_000]);
  assertEquals(stats.throttled, 1);
  // A plain 403 is not retried.
  await using denied = scripted(() =>
    json({ message: "Forbidden" }, { status: 403 })
  );
  await rejects(
    http.getJson({ url: denied.url }),
    (e) => e instanceof HttpError && e.status === 403,
  );
  assertEquals(denied.count, 1);
});

Deno.test("http: after the last attempt the last status surfaces, with the attempts in its cause", async () => {
  await using server = scripted(() =>
    new Response("<h1>Bad Gateway</h1>", { status: 502 })
  );
  const { http, time } = client({ maxAttempts: 3 });
  const stats = newRequestStats();
  const err = await http.getJson({
    url: server.url,
    stats,
    context: { stream: "a/b", page: 0 },
  })
    .catch((e) => e);
  assert(err instanceof HttpError);
  assertEquals(err.status, 502);
  assertMatch(
    err.message,
    /^Cannot fetch page 1 of "a\/b": status 502 at http:.*Bad Gateway/,
  );
  assertMatch(String((err.cause as Error).message), /gave up after 3 attempts/);
  assertEquals(server.count, 3);
  assertEquals(time.delays.length, 2);
  assertEquals(stats.requests, 3);
  assertEquals(stats.retries, 2);
  assertEquals(stats.errors, 1);
});

Deno.test("http: network errors surface as NetworkError after the last attempt", async () => {
  // A port that was just free: connection refused.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const { http } = client({ maxAttempts: 2 });
  const err = await http.getJson({ url: `http://127.0.0.1:${port}/x` }).catch((
    e,
  ) => e);
  assert(err instanceof NetworkError, String(err));
  assertEquals(err.timeout, false);
  assertMatch(
    err.message,
    /connection refused \(gave up after 2 attempts\) at http:\/\/127\.0\.0\.1/,
  );
  assert(err.cause instanceof Error);
});

Deno.test("http: once the retry budget is spent, errors surface at once, until the window moves on", async () => {
  await using server = scripted((n) =>
    n < 2 || n === 3 || n === 4 ? json({}, { status: 503 }) : json(1)
  );
  // No share of requests, 2 retries per 10 s window.
  const { http, time } = client({
    retryBudget: { ratio: 0, minPerSecond: 0.2 },
  });
  assertEquals((await http.getJson({ url: server.url })).attempts, 3);
  assertEquals(http.retriesLeft, 0);
  const err = await http.getJson({ url: server.url }).catch((e) => e);
  assert(err instanceof HttpError);
  assertEquals(err.status, 503);
  assertMatch(
    (err.cause as Error).message,
    /retry budget spent: 2 retries for 2 requests in the last 10 s/,
  );
  assertEquals(server.count, 4);
  assertEquals(time.delays.length, 2);
  await time.sleep(10_000);
  assertEquals(http.retriesLeft, 2, "a window later the budget is back");
  assertEquals((await http.getJson({ url: server.url })).attempts, 2);
});

Deno.test("http: an attempt that gets no answer times out, is retried, then fails", async () => {
  const pending = new Set<() => void>();
  await using server = scripted(() =>
    new Promise<Response>((resolve) => {
      // Never answers until the test ends (before the server shuts down).
      pending.add(() => resolve(new Response(null, { status: 504 })));
    })
  );
  const { limiter, outcomes } = recordingLimiter();
  const { http, events } = client({
    timeoutMs: 50,
    maxAttempts: 2,
    limiter: () => limiter,
  });
  const stats = newRequestStats();
  try {
    const err = await http.getJson({ url: server.url, stats }).catch((e) => e);
    assert(err instanceof NetworkError, String(err));
    assertEquals(err.timeout, true);
    assertMatch(
      err.message,
      /timed out after 50 ms \(gave up after 2 attempts\)/,
    );
    assertEquals(events.filter((e) => e.type === "retry").length, 1);
    assertEquals(outcomes.length, 2);
    assert(outcomes.every((o) => o !== "ignore" && o.dropped));
    assertEquals(stats.requests, 2);
    assertEquals(stats.inFlight, 0);
  } finally {
    for (const done of pending) done();
  }
});

Deno.test("http: a 200 HTML page is a PaginationError naming URL, content type and excerpt", async () => {
  await using server = scripted(() =>
    new Response("<html><body>Please log in</body></html>", {
      headers: { "content-type": "text/html; charset=utf-8" },
    })
  );
  const { http } = client();
  const stats = newRequestStats();
  const err = await http.getJson({
    url: `${server.url}/items?page=2`,
    stats,
    context: { stream: "demo/items", page: 1 },
  }).catch((e) => e);
  assert(err instanceof PaginationError, String(err));
  assertEquals(err.url, `${server.url}/items?page=2`);
  assertEquals(err.stream, "demo/items");
  assertMatch(
    err.message,
    /^Cannot read page 2 of "demo\/items": response is not JSON \(content-type text\/html; charset=utf-8\): <html><body>Please log in/,
  );
  assertMatch(err.message, /at http:\/\/127\.0\.0\.1:\d+\/items\?page=2$/);
  assertEquals(server.count, 1, "not retried");
  assertEquals(stats.errors, 1);
});

Deno.test("http: a JSON body cut short is retried like a 5xx, then succeeds", async () => {
  // Valid framing (content-length matches), invalid JSON: a proxy or the
  // source cut the body, and the next attempt gets it whole.
  await using server = scripted((n) =>
    n < 2
      ? new Response('{"items": [1, 2', {
        headers: { "content-type": "application/json" },
      })
      : json({ items: [1, 2, 3] })
  );
  const { http, time, events } = client({ backoff: { baseMs: 100 } });
  const stats = newRequestStats();
  const res = await http.getJson({ url: server.url, stats });
  assertEquals(res.body, { items: [1, 2, 3] });
  assertEquals(res.attempts, 3);
  assertEquals(server.count, 3);
  assertEquals(stats.retries, 2);
  assertEquals(time.delays, [50, 100], "the usual backoff");
  assertEquals(events.map((e) => e.type === "retry" && e.status), [200, 200]);
});

Deno.test("http: malformed or empty JSON fails after the last attempt with a PaginationError", async () => {
  await using server = scripted((n) =>
    n < 3
      ? new Response('{"items": [1, 2', {
        headers: { "content-type": "application/json" },
      })
      : new Response("", { headers: { "content-type": "application/json" } })
  );
  const { http } = client({ maxAttempts: 3 });
  const stats = newRequestStats();
  const a = await http.getJson({
    url: `${server.url}/items`,
    stats,
    context: { stream: "demo/items", page: 4 },
  }).catch((e) => e);
  assert(a instanceof PaginationError, String(a));
  assertMatch(
    a.message,
    /^Cannot read page 5 of "demo\/items": response is not JSON \(content-type application\/json, gave up after 3 attempts\): \{"items": \[1, 2 at http:\/\/127\.0\.0\.1:\d+\/items$/,
  );
  assertEquals(server.count, 3, "bounded by maxAttempts");
  assertEquals(stats.errors, 1);
  const b = await http.getJson({ url: server.url }).catch((e) => e);
  assert(b instanceof PaginationError);
  assertMatch(b.message, /empty body/);
  assertEquals(server.count, 6);
});

Deno.test("http: integers beyond 2^53 arrive as exact bigints, the rest as numbers", async () => {
  await using server = scripted(() =>
    new Response(
      '{"items":[{"id":9007199254740993,"neg":-12345678901234567890,' +
        '"max":9007199254740991,"f":1.5,"e":1e300,"t":1700000000000,' +
        '"s":"90071992547409930"}]}',
      { headers: { "content-type": "application/json" } },
    )
  );
  const { http } = client();
  const res = await http.getJson({ url: server.url });
  assertEquals(res.body, {
    items: [{
      id: 9007199254740993n,
      neg: -12345678901234567890n,
      max: 9007199254740991,
      f: 1.5,
      e: 1e300,
      t: 1700000000000,
      s: "90071992547409930",
    }],
  });
});

Deno.test("http: a body that is not UTF-8 fails at once, unless the request allows it", async () => {
  // "café" in Latin-1: the é byte (0xe9) starts no valid UTF-8 sequence here.
  const bytes = new Uint8Array([
    ...new TextEncoder().encode('{"name":"caf'),
    0xe9,
    ...new TextEncoder().encode('"}'),
  ]);
  await using server = scripted(() =>
    new Response(bytes, { headers: { "content-type": "application/json" } })
  );
  const { http } = client();
  const err = await http.getJson({
    url: `${server.url}/items?page=2`,
    context: { stream: "demo/items", page: 1 },
  }).catch((e) => e);
  assert(err instanceof PaginationError, String(err));
  assertMatch(
    err.message,
    /^Cannot read page 2 of "demo\/items": body is not valid UTF-8 \(first bad byte at offset 12\).*allowInvalidUtf8.* at http:\/\/127\.0\.0\.1:\d+\/items\?page=2$/,
  );
  assertEquals(server.count, 1, "not transient: not retried");
  const res = await http.getJson({ url: server.url, allowInvalidUtf8: true });
  assertEquals(res.body, { name: "caf\ufffd" });
});

Deno.test("http: secrets never appear in errors, causes or events", async () => {
  const secret = "sk_live_s3cr/t+key";
  const q = encodeURIComponent(secret);
  await using server = scripted((n) =>
    n === 0
      ? json({ error: `bad key ${secret}` }, { status: 500 })
      : n === 1
      ? json({ error: `key ${secret} not allowed` }, { status: 401 })
      : new Response(`<html>${secret}</html>`)
  );
  const { http, events } = client({ secrets: [secret] });
  const errors: unknown[] = [];
  errors.push(
    await http.getJson({ url: `${server.url}/a?api_key=${q}` }).catch((e) => e),
  );
  errors.push(
    await http.getJson({ url: `${server.url}/b?api_key=${q}` }).catch((e) => e),
  );
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = (l.addr as Deno.NetAddr).port;
  l.close();
  const client2 = new HttpClient({ secrets: [secret], maxAttempts: 1 });
  errors.push(
    await client2.getJson({ url: `http://127.0.0.1:${closed}/c?api_key=${q}` })
      .catch((e) => e),
  );
  errors.push(
    await client2.getJson({ url: `not a url ${secret}` }).catch((e) => e),
  );

  assert(errors[0] instanceof HttpError && errors[0].status === 401);
  assert(errors[1] instanceof PaginationError);
  assert(errors[2] instanceof NetworkError);
  assert(errors[3] instanceof TypeError);
  assertMatch((errors[0] as HttpError).url, /api_key=\*\*\*$/);
  assertEquals(events.length, 1);
  // Everything a log could print: messages, stacks, causes, fields, events.
  const dump = (e: unknown, depth = 0): string =>
    e instanceof Error
      ? [
        e.message,
        e.stack ?? "",
        JSON.stringify({ ...e }),
        depth < 5 ? dump(e.cause, depth + 1) : "",
      ]
        .join("\n")
      : String(e);
  const everything = errors.map((e) => dump(e)).join("\n") +
    JSON.stringify(events);
  for (const form of [secret, q, "s3cr"]) {
    assert(!everything.includes(form), `"${form}" leaked:\n${everything}`);
  }
  assertMatch(everything, /\*\*\*/);
});

Deno.test("http: an abort during the backoff sleep stops at once with the signal's reason", async () => {
  await using server = scripted(() => json({}, { status: 503 }));
  const ac = new AbortController();
  const reason = new Error("user stopped");
  const stats = newRequestStats();
  // Real sleeps with a minute-long backoff: only the abort can end the wait.
  // Whether it did is an event, not a time: the sleep ended early or not.
  let slept = 0, sleeping = 0;
  const http = new HttpClient({
    backoff: { baseMs: 60_000, maxMs: 60_000 },
    random: () => 1,
    sleep: async (ms, signal) => {
      sleeping++;
      await sleep(ms, signal);
      slept++;
    },
    onEvent: (e) => {
      if (e.type === "retry") setTimeout(() => ac.abort(reason), 5);
    },
  });
  await rejects(
    http.getJson({ url: server.url, signal: ac.signal, stats }),
    (e) => e === reason,
  );
  assertEquals([sleeping, slept], [1, 0], "the backoff sleep ran out");
  assertEquals(server.count, 1);
  assertEquals(stats.errors, 0, "an abort is not an error");
  assertEquals(stats.inFlight, 0);
});

Deno.test("http: an aborted signal stops before any request, and mid-request", async () => {
  const gate = Promise.withResolvers<void>();
  await using server = scripted(async (n) => {
    if (n === 0) await gate.promise;
    return json({ n });
  });
  const { http } = client();
  const reason = new Error("gone");
  await rejects(
    http.getJson({ url: server.url, signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
  assertEquals(server.count, 0);
  const ac = new AbortController();
  const { limiter, outcomes } = recordingLimiter();
  const budget = new RateBudget();
  const h2 = new HttpClient({
    limiter: () => limiter,
    rateBudget: () => budget,
  });
  const p = h2.getJson({ url: server.url, signal: ac.signal });
  while (server.count === 0) await new Promise((r) => setTimeout(r, 1));
  ac.abort(reason);
  await rejects(p, (e) => e === reason);
  gate.resolve();
  assertEquals(outcomes, ["ignore"]);
  assertEquals(budget.inFlight, 0);
});

Deno.test("http: each attempt takes the rate budget, then a permit, and reports back", async () => {
  await using server = scripted((n) =>
    n === 0
      ? json({}, { status: 429, headers: { "retry-after": "0" } })
      : n === 1
      ? json({ ok: 1 }, {
        headers: {
          "x-ratelimit-limit": "100",
          "x-ratelimit-remaining": "42",
          "x-ratelimit-reset": "60",
        },
      })
      : json({}, { status: 404 })
  );
  const order: string[] = [];
  const { limiter, outcomes } = recordingLimiter();
  const budget = new RateBudget();
  const take = budget.take.bind(budget);
  budget.take = (signal) => {
    order.push("take");
    return take(signal);
  };
  const acquire = limiter.acquire.bind(limiter);
  limiter.acquire = (signal) => {
    order.push("acquire");
    return acquire(signal);
  };
  const hosts: string[] = [];
  const { http } = client({
    limiter: (h) => (hosts.push(h), limiter),
    rateBudget: (h) => (hosts.push(h), budget),
  });
  await http.getJson({ url: server.url });
  assertEquals(budget.remaining, 42);
  await rejects(http.getJson({ url: `${server.url}/gone` }), HttpError);
  assertEquals(order, [
    "take",
    "acquire",
    "take",
    "acquire",
    "take",
    "acquire",
  ]);
  assertEquals(hosts, [server.host, server.host], "asked once per host");
  assertEquals(outcomes.map((o) => o === "ignore" ? o : o.dropped), [
    true,
    false,
    false,
  ]);
  assertEquals(budget.inFlight, 0);
  // The 404 announced nothing: its request still counts against the quota.
  assertEquals(budget.remaining, 41);
});

Deno.test("http: client and request headers are sent, the request's winning", async () => {
  await using server = scripted((_n, req) =>
    json({
      auth: req.headers.get("authorization"),
      x: req.headers.get("x-a"),
      accept: req.headers.get("accept"),
    })
  );
  const { http } = client({
    headers: { authorization: "Bearer t", "x-a": "1" },
  });
  const res = await http.getJson({ url: server.url, headers: { "x-a": "2" } });
  assertEquals(res.body, {
    auth: "Bearer t",
    x: "2",
    accept: "application/json",
  });
});

// A JSON answer whose status line and `head` go out at once and whose
// `tail` follows only once `until` resolves: a body still coming.
function heldJson(head: string, until: Promise<void>, tail: string): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(enc.encode(head));
      await until;
      controller.enqueue(enc.encode(tail));
      controller.close();
    },
  });
  return new Response(body, {
    headers: { "content-type": "application/json" },
  });
}

// inlet's own connections hand an answer over whole, so there the permit
// waits for the body: as it does for a body still coming over fetch.
Deno.test({
  name:
    "http: the permit is freed when the status line arrives, before the body is read",
  ignore: viaAgent(),
}, async () => {
  // Request 0 answers its status line at once and holds the rest of its
  // body until request 1 has been served: with one permit, request 1 can
  // only go out if the permit was freed before request 0's body ended.
  let releaseBody: () => void = () => {};
  const bodyHeld = new Promise<void>((r) => releaseBody = r);
  await using server = scripted((n) => {
    if (n === 1) {
      releaseBody();
      return json({ second: true });
    }
    return heldJson('{"first":', bodyHeld, "true}");
  });
  const limiter = new FixedLimiter(1);
  // Without the early release request 0 would time out, holding the permit
  // (a long timeout: a loaded machine must not time out a correct client).
  const { http } = client({
    limiter: () => limiter,
    timeoutMs: 30_000,
    maxAttempts: 1,
  });
  const stats = newRequestStats();
  const [first, second] = await Promise.all([
    http.getJson({ url: `${server.url}/0`, stats }),
    http.getJson({ url: `${server.url}/1`, stats }),
  ]);
  assertEquals(first.body, { first: true });
  assertEquals(second.body, { second: true });
  assertEquals(limiter.inFlight, 0);
  assertEquals(server.count, 2);
  // In flight means waiting for an answer, as the limiter counts it.
  assertEquals([stats.inFlight, stats.maxInFlight], [0, 1]);
});

Deno.test("http: once as many bodies as the limit are still coming, a permit waits for its body", async () => {
  const held = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
  // Requests 0 and 1 send their status line at once and the rest of the
  // body only when the test lets them; request 2 answers at once.
  await using server = scripted((n) => {
    if (n >= 2) return json({ n });
    return heldJson('{"n":', held[n]!.promise, `${n}}`);
  });
  const answered = Promise.withResolvers<void>();
  const limiter = new FixedLimiter(1);
  const { http } = client({
    limiter: () => limiter,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith("/1")) answered.resolve();
      return res;
    },
  });
  const all = Promise.all(
    [0, 1, 2].map((n) => http.getJson({ url: `${server.url}/${n}` })),
  );
  // Request 0's permit went back at its status line, so request 1 went
  // out; request 1's status line came while request 0's body is still
  // coming, one body already for a limit of one: it keeps its permit.
  await answered.promise;
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
  assertEquals(server.count, 2);
  assertEquals(limiter.inFlight, 1);
  held[1]!.resolve();
  held[0]!.resolve();
  const results = await all;
  assertEquals(results.map((r) => r.body), [{ n: 0 }, { n: 1 }, { n: 2 }]);
  assertEquals(server.count, 3);
  assertEquals(limiter.inFlight, 0);
});

Deno.test("HttpClient: latencies reach the limiter finer than whole milliseconds, so a fast source's limit has something to judge", async () => {
  await using server = scripted(() => Response.json({ ok: true }));
  const latencies: number[] = [];
  const inner = new FixedLimiter(1);
  const recording: Limiter = {
    async acquire(signal, options): Promise<Permit> {
      const permit = await inner.acquire(signal, options);
      return {
        ...permit,
        release(outcome: PermitOutcome) {
          if (outcome !== "ignore") latencies.push(outcome.latencyMs);
          permit.release(outcome);
        },
      };
    },
    get limit() {
      return inner.limit;
    },
    get inFlight() {
      return inner.inFlight;
    },
    get queued() {
      return inner.queued;
    },
  };
  const http = new HttpClient({ limiter: () => recording });
  for (let i = 0; i < 20; i++) await http.getJson({ url: `${server.url}/x` });
  assertEquals(latencies.length, 20);
  assert(latencies.every((ms) => ms >= 0), String(latencies));
  // Whole milliseconds (Date.now) made a loopback answer 0 or 1 ms.
  assert(latencies.some((ms) => !Number.isInteger(ms)), String(latencies));
});
