import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  DeadlineWheel,
  type Ticker,
} from "../../../core/http/_deadline_wheel.ts";
import { AttemptTimeout } from "../../../core/http/_failure.ts";

// A ticker driven by the test: `tick()` is one period gone by.
function manualTicker() {
  let tick: (() => void) | undefined;
  let starts = 0, stops = 0;
  const ticker: Ticker = {
    start: (_ms, fn) => {
      starts++;
      tick = fn;
      return starts;
    },
    stop: () => {
      stops++;
      tick = undefined;
    },
  };
  return {
    ticker,
    get starts() {
      return starts;
    },
    get stops() {
      return stops;
    },
    get running() {
      return tick !== undefined;
    },
    tick(n = 1) {
      for (let i = 0; i < n; i++) tick?.();
    },
  };
}

Deno.test("deadline wheel: an attempt is aborted once a full timeout of ticks passed, never before", () => {
  const time = manualTicker();
  const wheel = new DeadlineWheel(50, time.ticker);
  assertEquals(wheel.tickMs, 5);
  const d = wheel.start(undefined);
  time.tick(10);
  assert(!d.signal.aborted, "10 ticks: the first may have come at once");
  time.tick();
  assert(d.timedOut && d.signal.aborted);
  assert(d.signal.reason instanceof AttemptTimeout);
  d.dispose();
  assertEquals(time.running, false);
});

Deno.test("deadline wheel: one ticker for every attempt out, stopped when the last ends", () => {
  const time = manualTicker();
  const wheel = new DeadlineWheel(30_000, time.ticker);
  assertEquals(wheel.tickMs, 1_000, "a 30 s timeout ticks once a second");
  const early = wheel.start(undefined);
  time.tick(15);
  const late = Array.from({ length: 100 }, () => wheel.start(undefined));
  assertEquals(time.starts, 1);
  time.tick(16);
  assert(early.timedOut, "31 ticks after it started");
  assert(late.every((d) => !d.signal.aborted), "16 ticks after they started");
  early.dispose();
  for (const d of late.slice(1)) d.dispose();
  assertEquals(time.running, true, "one attempt is still out");
  time.tick(15);
  assert(late[0]!.timedOut);
  late[0]!.dispose();
  assertEquals([time.starts, time.stops, time.running], [1, 1, false]);
  assertEquals(wheel.size, 0);
  // The next attempt starts the ticker again, with a full timeout ahead.
  const next = wheel.start(undefined);
  assertEquals(time.starts, 2);
  time.tick(30);
  assert(!next.signal.aborted);
  time.tick();
  assert(next.timedOut);
  next.dispose();
});

Deno.test("deadline wheel: an attempt that ended is never aborted", () => {
  const time = manualTicker();
  const wheel = new DeadlineWheel(100, time.ticker);
  const keep = wheel.start(undefined);
  const done = wheel.start(undefined);
  done.dispose();
  time.tick(11);
  assert(keep.timedOut);
  assert(!done.signal.aborted && !done.timedOut);
  keep.dispose();
});

Deno.test("deadline wheel: the caller's abort aborts the attempt with its reason, not as a timeout", () => {
  const time = manualTicker();
  const wheel = new DeadlineWheel(100, time.ticker);
  const caller = new AbortController();
  const d = wheel.start(caller.signal);
  const other = wheel.start(undefined);
  caller.abort(new Error("stop"));
  assert(d.signal.aborted);
  assertEquals((d.signal.reason as Error).message, "stop");
  time.tick(20);
  assert(!d.timedOut, "aborted by the caller before its deadline");
  assert(other.timedOut);
  d.dispose();
  other.dispose();
});

Deno.test("deadline wheel: a caller already aborted aborts the attempt at once; an ended attempt stops listening", () => {
  const time = manualTicker();
  const wheel = new DeadlineWheel(100, time.ticker);
  const gone = AbortSignal.abort(new Error("gone"));
  const d = wheel.start(gone);
  assert(d.signal.aborted);
  assertEquals((d.signal.reason as Error).message, "gone");
  d.dispose();
  const caller = new AbortController();
  const ended = wheel.start(caller.signal);
  ended.dispose();
  caller.abort(new Error("later"));
  assert(!ended.signal.aborted, "its attempt was over");
  assertEquals(time.running, false);
});

Deno.test("deadline wheel: a real ticker times out an attempt and leaves no timer behind", async () => {
  const wheel = new DeadlineWheel(20);
  const d = wheel.start(undefined);
  const started = performance.now();
  await new Promise((resolve) =>
    d.signal.addEventListener("abort", resolve, { once: true })
  );
  assert(performance.now() - started >= 19, "not before its timeout");
  assert(d.timedOut);
  d.dispose();
});

Deno.test("deadline wheel: an endless timeout starts no ticker and never fires", () => {
  const time = manualTicker();
  const wheel = new DeadlineWheel(Infinity, time.ticker);
  const d = wheel.start(undefined);
  assertEquals(time.starts, 0);
  d.dispose();
  assertEquals([time.starts, time.stops, wheel.size], [0, 0, 0]);
});
