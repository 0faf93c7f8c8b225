/**
 * A deterministic discrete-event model of a source and a client for the
 * adaptive limiter's tests.
 *
 * @module
 */

import {
  AdaptiveLimiter,
  type AdaptiveLimiterOptions,
  type DropCost,
} from "../../../core/http/adaptive_limiter.ts";
import type { PermitOutcome } from "../../../core/http/limiter.ts";
import { seededRandom, SimEvents } from "./_sim_events.ts";

// A deterministic discrete-event model of a source and a client, on a fake
// clock: no real sleeps, no network. The source serves `capacity(t)`
// requests at once, each for `service(t)` ms (with seeded jitter); past
// capacity it either queues them (FIFO) or answers at once with a drop
// (a 429). The client keeps `workers` requests wanting to go out, each
// through the limiter, as the engine's pool does.

export interface Model {
  mode: "queue" | "drop";
  capacity: (t: number) => number;
  service: (t: number) => number;
  /** While true, every request is answered at once with a 429 (a storm). */
  storm?: (t: number) => boolean;
  /** The status of a drop past capacity (a storm's are 429s). @default 429 */
  dropStatus?: number;
  /** The wait each drop asks for, in ms. @default none */
  retryAfterMs?: number;
  /** Share of served requests answered 503 without a wait, at random. @default 0 */
  errorShare?: number;
}

export interface Completion {
  t: number;
  dropped: boolean;
  limit: number;
  /** A random 503 of `errorShare`. */
  error?: boolean;
}

export interface SimResult {
  completions: Completion[];
  limiter: AdaptiveLimiter;
  end: number;
}

export async function simulate(
  model: Model,
  options: {
    requests: number;
    workers?: number;
    limiter?: Omit<AdaptiveLimiterOptions, "now">;
    seed?: number;
  },
): Promise<SimResult> {
  let now = 0;
  const events = new SimEvents();
  const at = (t: number, run: () => void) => events.push(t, run);
  const random = seededRandom(options.seed ?? 7);
  const limiter = new AdaptiveLimiter({ ...options.limiter, now: () => now });
  let busy = 0;
  const waiting: (() => void)[] = [];
  type Answer = "ok" | "drop" | "storm" | "error";
  const serve = (respond: (answer: Answer) => void) => {
    busy++;
    const ms = model.service(now) * (0.9 + 0.2 * random());
    const error = (model.errorShare ?? 0) > 0 &&
      random() < model.errorShare!;
    at(now + ms, () => {
      busy--;
      respond(error ? "error" : "ok");
      while (waiting.length > 0 && busy < model.capacity(now)) {
        waiting.shift()!();
      }
    });
  };
  const arrive = (respond: (answer: Answer) => void) => {
    if (model.storm?.(now)) at(now + 1, () => respond("storm"));
    else if (busy < model.capacity(now)) serve(respond);
    else if (model.mode === "drop") at(now + 1, () => respond("drop"));
    else waiting.push(() => serve(respond));
  };
  const completions: Completion[] = [];
  let started = 0;
  const worker = () => {
    if (started >= options.requests) return;
    started++;
    limiter.acquire().then((permit) => {
      const sentAt = now;
      arrive((answer) => {
        const latencyMs = now - sentAt;
        const outcome = (o: PermitOutcome & DropCost) => o;
        if (answer === "ok") permit.release({ latencyMs, dropped: false });
        else if (answer === "error") {
          permit.release(outcome({ latencyMs, dropped: true, status: 503 }));
        } else {
          const wait = model.retryAfterMs;
          permit.release(outcome({
            latencyMs,
            dropped: true,
            status: answer === "drop" ? model.dropStatus ?? 429 : 429,
            ...(wait !== undefined ? { retryAfterMs: wait } : {}),
          }));
        }
        const dropped = answer !== "ok";
        completions.push({ t: now, dropped, limit: limiter.limit });
        worker();
      });
    });
  };
  for (let i = 0; i < (options.workers ?? 256); i++) worker();
  // Let the acquire callbacks run after each event (microtasks only).
  const settle = async () => {
    for (let i = 0; i < 4; i++) await null;
  };
  await settle();
  while (events.size > 0) {
    const event = events.pop()!;
    now = event.t;
    event.run();
    await settle();
  }
  return { completions, limiter, end: now };
}

/** Successful completions per ms in [from, to), as a share of capacity / service. */
export function share(
  r: SimResult,
  from: number,
  to: number,
  perMs: number,
): number {
  const ok =
    r.completions.filter((c) => !c.dropped && c.t >= from && c.t < to).length;
  return ok / ((to - from) * perMs);
}

export function dropRate(r: SimResult): number {
  return r.completions.filter((c) => c.dropped).length / r.completions.length;
}

/** Time-weighted mean of the limit over [from, to). */
export function meanLimit(r: SimResult, from: number, to: number): number {
  let area = 0;
  let last = from;
  let limit = r.completions.find((c) => c.t >= from)?.limit ?? 0;
  for (const c of r.completions) {
    if (c.t < from) {
      limit = c.limit;
      continue;
    }
    if (c.t >= to) break;
    area += limit * (c.t - last);
    last = c.t;
    limit = c.limit;
  }
  area += limit * (to - last);
  return area / (to - from);
}

/** Share of [from, to) during which the limit was within [lo, hi]. */
export function timeWithin(
  r: SimResult,
  from: number,
  to: number,
  lo: number,
  hi: number,
): number {
  let inside = 0;
  let last = from;
  let limit = r.completions.find((c) => c.t >= from)?.limit ?? 0;
  for (const c of r.completions) {
    if (c.t < from) {
      limit = c.limit;
      continue;
    }
    if (c.t >= to) break;
    if (limit >= lo && limit <= hi) inside += c.t - last;
    last = c.t;
    limit = c.limit;
  }
  if (limit >= lo && limit <= hi) inside += to - last;
  return inside / (to - from);
}

export function limitsBetween(
  r: SimResult,
  from: number,
  to: number,
): number[] {
  return r.completions.filter((c) => c.t >= from && c.t < to).map((c) =>
    c.limit
  );
}
