import {
  deepStrictEqual as assertEquals,
  rejects,
  throws,
} from "node:assert/strict";
import {
  backoffDelay,
  parseRetryAfter,
  sleep,
} from "../../../core/async/backoff.ts";

Deno.test("backoffDelay: full jitter under an exponential cap", () => {
  const opts = { baseMs: 100, maxMs: 1000 };
  // random() = 1 shows the cap itself: 100, 200, 400, 800, then maxMs.
  assertEquals([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 1)), [
    100,
    200,
    400,
    800,
    1000,
    1000,
  ]);
  assertEquals(backoffDelay(2, opts, () => 0), 0);
  assertEquals(backoffDelay(2, opts, () => 0.25), 100);
});

Deno.test("backoffDelay: defaults are 250 ms base and 30 s cap", () => {
  assertEquals(backoffDelay(0, {}, () => 1), 250);
  assertEquals(backoffDelay(1000, {}, () => 1), 30_000);
});

Deno.test("backoffDelay: bad arguments are RangeErrors", () => {
  throws(() => backoffDelay(-1), RangeError);
  throws(() => backoffDelay(1.5), RangeError);
  throws(() => backoffDelay(0, { baseMs: -1 }), RangeError);
});

Deno.test("parseRetryAfter: seconds, HTTP dates and junk", () => {
  const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
  const cases: [string | null | undefined, number | undefined][] = [
    ["0", 0],
    ["2", 2000],
    [" 120 ", 120_000],
    ["1.5", 1500],
    ["Wed, 21 Oct 2015 07:28:30 GMT", 30_000],
    ["Wednesday, 21-Oct-15 07:29:00 GMT", 60_000],
    ["Wed, 21 Oct 2015 07:00:00 GMT", 0], // in the past
    ["-1", undefined],
    ["1e3", undefined],
    ["soon", undefined],
    ["", undefined],
    [null, undefined],
    [undefined, undefined],
  ];
  for (const [value, want] of cases) {
    assertEquals(
      parseRetryAfter(value, now),
      want,
      `Retry-After ${JSON.stringify(value)}`,
    );
  }
});

Deno.test("sleep: resolves, and rejects at once with the abort reason", async () => {
  await sleep(1);
  const ac = new AbortController();
  const reason = new Error("stop");
  const waiting = sleep(60_000, ac.signal);
  ac.abort(reason);
  await rejects(waiting, (err) => err === reason);
  const aborted = AbortSignal.abort(reason);
  await rejects(sleep(60_000, aborted), (err) => err === reason);
});
