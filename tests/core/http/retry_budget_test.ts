import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws,
} from "node:assert/strict";
import { RetryBudget } from "../../../core/http/retry_budget.ts";

function budget(options: { ratio?: number; minPerSecond?: number } = {}) {
  let clock = 1_700_000_000_000;
  const b = new RetryBudget({ ...options, now: () => clock });
  return {
    b,
    advance: (ms: number) => void (clock += ms),
  };
}

Deno.test("retry budget: retries are at most a share of recent requests", () => {
  const { b } = budget({ ratio: 0.2, minPerSecond: 0 });
  assertEquals(b.available, 0, "no request yet, no floor: nothing to retry");
  for (let i = 0; i < 100; i++) b.deposit();
  assertEquals(b.available, 20);
  let granted = 0;
  while (b.withdraw()) granted++;
  assertEquals(granted, 20);
  assertEquals([b.requests, b.retries, b.available], [100, 20, 0]);
  b.deposit();
  assertEquals(b.available, 0, "one more request is a fifth of a retry");
  for (let i = 0; i < 4; i++) b.deposit();
  assert(b.withdraw(), "five more requests earn one retry");
});

Deno.test("retry budget: a floor per second lets a run that sent little retry", () => {
  const { b } = budget({ ratio: 0.2, minPerSecond: 10 });
  // 10 per second over the 10 s window.
  assertEquals(b.available, 100);
  b.deposit();
  assertEquals(b.available, 100, "100.2 rounds down");
  for (let i = 0; i < 4; i++) b.deposit();
  assertEquals(b.available, 101);
});

Deno.test("retry budget: the window slides, so a long run never spends it for good", () => {
  const { b, advance } = budget({ ratio: 0.2, minPerSecond: 0 });
  // A flaky source: 10 % of 50 requests a second fail, for an hour; the
  // old fixed total of 1,000 retries was spent after 200 s.
  let refused = 0;
  for (let second = 0; second < 3600; second++) {
    for (let i = 0; i < 50; i++) {
      b.deposit();
      if (i % 10 === 9 && !b.withdraw()) refused++;
    }
    advance(1000);
  }
  assertEquals(refused, 0);
  assert(b.retries <= 0.2 * b.requests);
});

Deno.test("retry budget: what was spent a window ago is back, bucket by bucket", () => {
  const { b, advance } = budget({ ratio: 0, minPerSecond: 1 });
  assertEquals(b.available, 10);
  for (let i = 0; i < 5; i++) assert(b.withdraw());
  advance(5_000);
  for (let i = 0; i < 5; i++) assert(b.withdraw());
  assert(!b.withdraw(), "10 retries in 10 s spend a floor of 1/s");
  advance(4_999);
  assert(!b.withdraw(), "the first five are still in the window");
  advance(1);
  assertEquals(b.available, 5, "the first five left it");
  advance(5_000);
  assertEquals([b.available, b.retries], [10, 0]);
  advance(3_600_000);
  assertEquals(b.available, 10, "an idle hour leaves no stale bucket");
});

Deno.test("retry budget: a clock that steps back keeps counting in the newest bucket", () => {
  const { b, advance } = budget({ ratio: 0, minPerSecond: 0.2 });
  assert(b.withdraw());
  advance(-60_000);
  assert(b.withdraw());
  assert(!b.withdraw());
  assertEquals(b.retries, 2);
});

Deno.test("retry budget: bad options are RangeErrors", () => {
  throws(() => new RetryBudget({ ratio: -0.1 }), RangeError);
  throws(() => new RetryBudget({ minPerSecond: NaN }), RangeError);
  throws(() => new RetryBudget({ windowMs: 0 }), RangeError);
});

Deno.test("retry budget: describe says what was spent against what", () => {
  const { b } = budget({ ratio: 0.2, minPerSecond: 1 });
  for (let i = 0; i < 10; i++) b.deposit();
  b.withdraw();
  assertEquals(
    b.describe(),
    "1 retries for 10 requests in the last 10 s (at most 20 % of requests + 10)",
  );
});
