/**
 * A 5xx asking for no wait (issue #11, a source answering 10 % of requests
 * 503 at random): retried within twice its latency while other requests
 * succeed, with the usual backoff when none does, and ahead of first
 * attempts waiting for the host's limiter. Time is injected: nothing here
 * sleeps.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { HttpClient, type HttpOptions } from "../../../core/http/http.ts";
import { FixedLimiter } from "../../../core/http/limiter.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

// A fetch whose answers the test hands out one by one, each after
// `latencyMs` of fake time, in the order it chooses.
function manual(options: HttpOptions = {}) {
  let clock = T0;
  const calls: string[] = [];
  const waiting = new Map<string, (res: Response) => void>();
  const fetch = (input: RequestInfo | URL): Promise<Response> => {
    const path = new URL(String(input)).pathname;
    calls.push(path);
    return new Promise((resolve) => waiting.set(path, resolve));
  };
  const delays: number[] = [];
  const http = new HttpClient({
    fetch: fetch as typeof globalThis.fetch,
    now: () => clock,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    random: () => 1,
    ...options,
  });
  // Let the client run up to its next fetch (or its end).
  const settle = async () => {
    for (let i = 0; i < 50; i++) await null;
  };
  const answer = async (path: string, status: number, latencyMs = 0) => {
    clock += latencyMs;
    const resolve = waiting.get(path)!;
    waiting.delete(path);
    resolve(Response.json({ path }, { status }));
    await settle();
  };
  return { http, calls, delays, answer, settle };
}

Deno.test("fault retry: a 5xx while other requests succeed is retried within twice its latency", async () => {
  const { http, delays, answer, settle } = manual();
  const a = http.getJson({ url: "http://src.test/a" });
  const b = http.getJson({ url: "http://src.test/b" });
  await settle();
  await answer("/b", 200, 10);
  // /a went out before /b succeeded, and its 503 took 30 ms.
  await answer("/a", 503, 20);
  await answer("/a", 200, 5);
  assertEquals((await a).attempts, 2);
  assertEquals((await b).status, 200);
  // random() = 1: the cap itself, 2 x 30 ms, not the usual 250 ms.
  assertEquals(delays, [60]);
});

Deno.test("fault retry: a 5xx with no success since it went out gets the usual backoff", async () => {
  const { http, delays, answer, settle } = manual();
  const a = http.getJson({ url: "http://src.test/a" });
  await settle();
  await answer("/a", 503, 30);
  await answer("/a", 500, 30);
  await answer("/a", 200, 30);
  assertEquals((await a).attempts, 3);
  assertEquals(delays, [250, 500], "250 ms doubling");
});

Deno.test("fault retry: the cap is at least baseMs / 16 and at most baseMs", async () => {
  const { http, delays, answer, settle } = manual({
    backoff: { baseMs: 160 },
  });
  const a = http.getJson({ url: "http://src.test/a" });
  const b = http.getJson({ url: "http://src.test/b" });
  const c = http.getJson({ url: "http://src.test/c" });
  await settle();
  await answer("/b", 200);
  await answer("/a", 503, 1); // 2 x 1 ms: the floor, 10 ms
  await answer("/c", 503, 500); // 2 x 501 ms: the cap, 160 ms
  await answer("/a", 200);
  await answer("/c", 200);
  await Promise.all([a, b, c]);
  assertEquals(delays, [10, 160]);
});

Deno.test("fault retry: a retry takes the host's permit ahead of first attempts waiting", async () => {
  const limiter = new FixedLimiter(1);
  const { http, calls, answer, settle } = manual({ limiter: () => limiter });
  const pages = ["a", "b", "c", "d"].map((p) =>
    http.getJson({ url: `http://src.test/${p}` })
  );
  await settle();
  assertEquals([calls, limiter.queued], [["/a"], 3]);
  await answer("/a", 503);
  // /b had the permit while /a slept; /a's retry goes before /c and /d.
  await answer("/b", 200);
  await answer("/a", 200);
  await answer("/c", 200);
  await answer("/d", 200);
  await Promise.all(pages);
  assertEquals(calls, ["/a", "/b", "/a", "/c", "/d"]);
});
