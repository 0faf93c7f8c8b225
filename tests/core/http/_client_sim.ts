/**
 * A deterministic discrete-event model of the whole HTTP client (retries,
 * rate budget, adaptive limiter) against a source that sheds load past its
 * capacity, on a fake clock: no sockets, no real sleeps. Unlike
 * `_limiter_sim.ts` it models the round trip between the source's answer and
 * the next request (`wireMs` each way), which is what a limit held exactly at
 * the capacity loses, and the client's own waits (per request and per host).
 *
 * @module
 */

import {
  AdaptiveLimiter,
  type AdaptiveLimiterOptions,
} from "../../../core/http/adaptive_limiter.ts";
import { HttpClient } from "../../../core/http/http.ts";
import {
  RateBudget,
  type RateBudgetOptions,
} from "../../../core/http/rate_budget.ts";
import { seededRandom, SimEvents } from "./_sim_events.ts";

/** A source that serves `capacity` requests at once and answers 429 past it. */
export interface ShedSource {
  capacity: number | ((t: number) => number);
  /** Service time of a request, ms (jittered by ±10 %). */
  serviceMs: number;
  /** Headers of each 429. */
  headers: Record<string, string>;
  /** One way between client and source, ms (jittered by ±50 %). @default 1 */
  wireMs?: number;
}

export interface ClientSimResult {
  /** Fake ms from the first request to the last answer. */
  end: number;
  served: number;
  throttled: number;
  limiter: AdaptiveLimiter;
  budget: RateBudget;
}

/**
 * Fetch `pages` pages through one `HttpClient` with `workers` requests
 * wanting to go out at once (the engine's pool), against `source`.
 */
export async function simulateClient(
  source: ShedSource,
  options: {
    pages: number;
    workers?: number;
    limiter?: Omit<AdaptiveLimiterOptions, "now">;
    budget?: Omit<RateBudgetOptions, "now" | "sleep">;
    seed?: number;
  },
): Promise<ClientSimResult> {
  const T0 = 1_800_000_000_000;
  let now = T0;
  const events = new SimEvents();
  const random = seededRandom(options.seed ?? 7);
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let done = false;
      signal?.addEventListener("abort", () => {
        if (done) return;
        done = true;
        reject(signal.reason);
      }, { once: true });
      events.push(now + Math.max(0, ms), () => {
        if (done) return;
        done = true;
        resolve();
      });
    });
  const capacity = typeof source.capacity === "number"
    ? (() => source.capacity) as (t: number) => number
    : source.capacity;
  const wire = () => (source.wireMs ?? 1) * (0.5 + random());
  let busy = 0, served = 0, throttled = 0;
  const fetch = (): Promise<Response> =>
    new Promise((resolve) => {
      events.push(now + wire(), () => {
        if (busy >= capacity(now - T0)) {
          throttled++;
          const headers = source.headers;
          events.push(
            now + wire(),
            () => resolve(Response.json({}, { status: 429, headers })),
          );
          return;
        }
        busy++;
        const ms = source.serviceMs * (0.9 + 0.2 * random());
        events.push(now + ms, () => {
          busy--;
          served++;
          events.push(now + wire(), () => resolve(Response.json({ ok: 1 })));
        });
      });
    });
  const limiter = new AdaptiveLimiter({
    ...options.limiter,
    now: () => now,
  });
  const budget = new RateBudget({ ...options.budget, now: () => now, sleep });
  const http = new HttpClient({
    fetch: fetch as typeof globalThis.fetch,
    now: () => now,
    sleep,
    random,
    limiter: () => limiter,
    rateBudget: () => budget,
  });
  let next = 0;
  const worker = async () => {
    while (next < options.pages) {
      next++;
      await http.getJson({ url: "http://src.test/items" });
    }
  };
  const done = Promise.all(
    Array.from({ length: options.workers ?? 256 }, worker),
  );
  let finished = false;
  done.finally(() => finished = true);
  // Every promise chain an event starts runs before the next event.
  const tick = async () => {
    for (let i = 0; i < 64; i++) await null;
  };
  await tick();
  while (!finished && events.size > 0) {
    const event = events.pop()!;
    now = event.t;
    event.run();
    await tick();
  }
  await done;
  return { end: now - T0, served, throttled, limiter, budget };
}
