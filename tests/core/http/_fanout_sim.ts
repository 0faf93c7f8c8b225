/**
 * The whole fan-out path on a fake clock: an ordered `pooledMap` of pages,
 * each fetched by a real `HttpClient` (retries, backoff, retry budget)
 * through a real `AdaptiveLimiter`, from a modelled source that serves
 * `capacity` requests at once for `serviceMs` each, queues the rest, and
 * answers a share of them 503 at random. No network, no real sleeps: the
 * figures are the same on a loaded machine as on an idle one.
 *
 * @module
 */

import { pooledMap } from "../../../core/async/pool.ts";
import { AdaptiveLimiter } from "../../../core/http/adaptive_limiter.ts";
import { HttpClient, newRequestStats } from "../../../core/http/http.ts";
import { seededRandom, SimEvents } from "./_sim_events.ts";

/** The modelled source and client. */
export interface FanoutModel {
  pages: number;
  /** Share of answers that are a 503 without a wait, at random. */
  errorShare: number;
  /** @default 32 */
  capacity?: number;
  /** @default 20 */
  serviceMs?: number;
  /** The ordered pool's width (the run's for `auto`). @default 256 */
  poolWidth?: number;
  seed?: number;
}

/** What a simulated pull did. */
export interface FanoutResult {
  /** Pages delivered in order per second of fake time. */
  pagesPerSecond: number;
  requests: number;
  retries: number;
  errors: number;
  limiter: AdaptiveLimiter;
}

/** Pull `pages` pages in order from the modelled source; see {@linkcode FanoutModel}. */
export async function simulateFanout(m: FanoutModel): Promise<FanoutResult> {
  let now = 1_000_000;
  const events = new SimEvents();
  const at = (t: number, run: () => void) => events.push(t, run);
  const random = seededRandom(m.seed ?? 11);
  const capacity = m.capacity ?? 32;
  const serviceMs = m.serviceMs ?? 20;
  let busy = 0;
  const queue: (() => void)[] = [];
  const serve = (resolve: (r: Response) => void) => {
    busy++;
    const fault = random() < m.errorShare;
    at(now + serviceMs * (0.9 + 0.2 * random()), () => {
      busy--;
      resolve(
        fault
          ? Response.json({ error: "down" }, { status: 503 })
          : Response.json({ items: [1] }),
      );
      if (queue.length > 0 && busy < capacity) queue.shift()!();
    });
  };
  const fetch = (_url: string | URL | Request): Promise<Response> =>
    new Promise((resolve) => {
      if (busy < capacity) serve(resolve);
      else queue.push(() => serve(resolve));
    });
  const limiter = new AdaptiveLimiter({ now: () => now });
  const http = new HttpClient({
    fetch: fetch as typeof globalThis.fetch,
    now: () => now,
    sleep: (ms) => new Promise((resolve) => at(now + ms, resolve)),
    random,
    limiter: () => limiter,
  });
  const stats = newRequestStats();
  const start = now;
  let delivered = 0;
  let done = false;
  const pull = (async () => {
    const pages = pooledMap(
      Array.from({ length: m.pages }, (_, i) => i),
      (i) => http.getJson({ url: `http://src.test/items?page=${i}`, stats }),
      { concurrency: m.poolWidth ?? 256, ordered: true },
    );
    for await (const _ of pages) delivered++;
  })().finally(() => done = true);
  // Run each event, then let every promise it resolved run to its next
  // wait on the fake clock.
  const settle = async () => {
    for (let i = 0; i < 64; i++) await null;
  };
  await settle();
  while (!done) {
    const event = events.pop();
    if (!event) {
      // Nothing scheduled: what is left waits on a real (macro) task.
      await new Promise((resolve) => setTimeout(resolve, 0));
      continue;
    }
    now = event.t;
    event.run();
    await settle();
  }
  await pull;
  return {
    pagesPerSecond: delivered / ((now - start) / 1000),
    requests: stats.requests,
    retries: stats.retries,
    errors: stats.errors,
    limiter,
  };
}
