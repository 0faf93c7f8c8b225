import assert, {
  deepEqual as assertEquals,
  equal as assertStrictEquals,
  throws as assertThrows,
} from "node:assert/strict";
import { pooledMap } from "../../../core/async/pool.ts";

/** The error `fn` rejects with; fails if it resolves (or matches nothing). */
async function assertRejects(
  fn: () => Promise<unknown>,
  expected?: RegExp | (new (...args: never[]) => Error),
): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    if (expected instanceof RegExp) {
      assert.match(String((err as Error)?.message ?? err), expected);
    } else if (expected) {
      assert.ok(
        err instanceof expected,
        `expected ${expected.name}, got ${err}`,
      );
    }
    return err;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

/** Let every pending promise callback run (a macrotask turn, no timed wait). */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function* counter(pulled: { n: number }, finallyRan?: { v: boolean }) {
  try {
    for (let i = 0;; i++) {
      pulled.n++;
      yield i;
    }
  } finally {
    if (finallyRan) finallyRan.v = true;
  }
}

/** Resolves with `signal.reason` rejected when the signal aborts. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), {
      once: true,
    });
  });
}

Deno.test("pooledMap never has more than `concurrency` calls in flight, and reaches it", async () => {
  for (const ordered of [true, false]) {
    let inFlight = 0;
    let maxInFlight = 0;
    const out: number[] = [];
    for await (
      const n of pooledMap(
        Array.from({ length: 60 }, (_, i) => i),
        async (n) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          // Deterministic but uneven completion times.
          for (let k = 0; k < (n * 7) % 5; k++) await turn();
          inFlight--;
          return n * 2;
        },
        { concurrency: 4, ordered },
      )
    ) out.push(n);
    assertEquals(maxInFlight, 4, `ordered=${ordered}`);
    assertEquals(
      out.toSorted((a, b) => a - b),
      Array.from({ length: 60 }, (_, i) => i * 2),
    );
  }
});

Deno.test("pooledMap stops starting work while a slow consumer leaves maxBuffered results untaken", async () => {
  for (const ordered of [true, false]) {
    const pulled = { n: 0 };
    let started = 0;
    const it = pooledMap(counter(pulled), (n) => {
      // Without backpressure this would run forever; fail instead of hanging.
      if (++started > 50) throw new Error("runaway: no backpressure");
      return Promise.resolve(n);
    }, { concurrency: 4, maxBuffered: 3, ordered });
    try {
      const first = await it.next();
      assertEquals(first, { done: false, value: 0 });
      // The consumer stalls: the pool may fill its buffer, then must wait.
      for (let i = 0; i < 20; i++) await turn();
      const stalledAt = started;
      assert(
        stalledAt <= 1 + 4 + 3,
        `ordered=${ordered}: ${stalledAt} calls started while the consumer took 1`,
      );
      assert(stalledAt >= 1 + 3, `ordered=${ordered}: it should work ahead`);
      assert(pulled.n <= stalledAt + 1, "the source is pulled lazily");
      // Taking one result lets exactly a little more work start, not unbounded.
      const second = await it.next();
      assertEquals(second, { done: false, value: 1 });
      for (let i = 0; i < 20; i++) await turn();
      assert(started <= 2 + 4 + 3, `ordered=${ordered}: ${started} started`);
    } finally {
      await it.return!();
    }
  }
});

Deno.test("pooledMap (ordered) bounds the window when the head item is slow", async () => {
  const head = Promise.withResolvers<number>();
  let started = 0;
  const it = pooledMap(counter({ n: 0 }), (n) => {
    if (++started > 50) throw new Error("runaway: no backpressure");
    return n === 0 ? head.promise : Promise.resolve(n);
  }, { concurrency: 4, maxBuffered: 5 });
  try {
    const firstPull = it.next();
    for (let i = 0; i < 20; i++) await turn();
    // The head is in flight; results behind it wait for it, up to four
    // times maxBuffered, and no more.
    assert(started >= 1 + 4 * 5, `${started} started`);
    assert(started <= 4 + 4 * 5, `${started} started behind a stuck head`);
    head.resolve(0);
    assertEquals(await firstPull, { done: false, value: 0 });
    const rest: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await it.next();
      rest.push(r.value as number);
    }
    assertEquals(rest, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  } finally {
    await it.return!();
  }
});

Deno.test("pooledMap yields in source order when ordered, in completion order otherwise", async () => {
  // Items complete in the reverse of their source order.
  const finishOrder = [4, 3, 2, 1, 0];
  for (const ordered of [true, false]) {
    const gates = finishOrder.map(() => Promise.withResolvers<void>());
    const out: number[] = [];
    const done = (async () => {
      for await (
        const n of pooledMap([0, 1, 2, 3, 4], async (n) => {
          await gates[n]!.promise;
          return n;
        }, { concurrency: 5, ordered })
      ) out.push(n);
    })();
    for (const n of finishOrder) {
      await turn();
      gates[n]!.resolve();
    }
    await done;
    assertEquals(out, ordered ? [0, 1, 2, 3, 4] : [4, 3, 2, 1, 0]);
  }
});

Deno.test("pooledMap (unordered) surfaces the first error at once and starts nothing after it", async () => {
  let started = 0;
  const aborted: number[] = [];
  const boom = new Error("boom at 5");
  const it = pooledMap(counter({ n: 0 }), async (n, signal) => {
    started++;
    if (n === 5) throw boom;
    if (n < 5) return n;
    // Later items hang until aborted: the error must not wait for them forever.
    try {
      return await untilAborted(signal);
    } finally {
      aborted.push(n);
    }
  }, { concurrency: 3, ordered: false });
  const seen: number[] = [];
  const err = await assertRejects(async () => {
    for await (const n of it) seen.push(n);
  });
  assertStrictEquals(err, boom);
  assert(started <= 5 + 3, `${started} started`);
  // Everything that was running was aborted and settled before the error surfaced.
  assertEquals(aborted.length, started - 6);
  assert(seen.every((n) => n < 5));
  assertEquals(await it.next(), { done: true, value: undefined });
});

Deno.test("pooledMap (ordered) yields the prefix before the failing item, then its error", async () => {
  const gate = Promise.withResolvers<void>();
  let started = 0;
  const abortedAfter: number[] = [];
  // A sync source: all six calls start in the same turn.
  const it = pooledMap(
    Array.from({ length: 100 }, (_, i) => i),
    async (n, signal) => {
      started++;
      if (n === 3) throw new RangeError("bad page 3");
      if (n < 3) {
        await gate.promise; // earlier items finish after the error
        return n;
      }
      try {
        return await untilAborted(signal);
      } finally {
        abortedAfter.push(n);
      }
    },
    { concurrency: 6 },
  );
  const seen: number[] = [];
  const result = (async () => {
    for await (const n of it) seen.push(n);
  })();
  await turn();
  // Items after the failing one are aborted at once, not when the head gets there.
  assertEquals(abortedAfter.toSorted(), [4, 5]);
  gate.resolve();
  const err = await assertRejects(() => result);
  assert(err instanceof RangeError);
  assertEquals(seen, [0, 1, 2]);
  assertEquals(started, 6);
  assertEquals(abortedAfter.toSorted(), [4, 5]);
});

Deno.test("pooledMap surfaces a source error after the items pulled before it", async () => {
  async function* failing() {
    yield 1;
    yield 2;
    throw new Error("source broke");
  }
  for (const ordered of [true, false]) {
    const seen: number[] = [];
    await assertRejects(async () => {
      for await (
        const n of pooledMap(failing(), (n) => Promise.resolve(n), {
          concurrency: 1,
          ordered,
        })
      ) seen.push(n);
    }, /source broke/);
    if (ordered) assertEquals(seen, [1, 2]);
  }
  // A sync source that throws while being pulled.
  const throwing: Iterable<number> = {
    [Symbol.iterator]: () => ({
      next: () => {
        throw new Error("sync source broke");
      },
    }),
  };
  await assertRejects(async () => {
    for await (
      const _ of pooledMap(throwing, (n) => Promise.resolve(n), {
        concurrency: 2,
      })
    ) { /* nothing */ }
  }, /sync source broke/);
});

Deno.test("pooledMap rejects with the signal's reason and aborts the calls in flight", async () => {
  const controller = new AbortController();
  const reason = new Error("user pressed Ctrl-C");
  let started = 0;
  let settled = 0;
  const it = pooledMap(counter({ n: 0 }), async (_n, signal) => {
    started++;
    try {
      return await untilAborted(signal);
    } finally {
      settled++;
    }
  }, { concurrency: 4, signal: controller.signal });
  const pending = it.next();
  await turn();
  assertEquals(started, 4);
  controller.abort(reason);
  const err = await assertRejects(() => pending);
  assertStrictEquals(err, reason);
  assertEquals(settled, 4);
  assertEquals(await it.next(), { done: true, value: undefined });
});

Deno.test("pooledMap with an already aborted signal calls nothing and pulls nothing", async () => {
  const pulled = { n: 0 };
  let called = 0;
  const it = pooledMap(counter(pulled), () => {
    called++;
    return Promise.resolve(0);
  }, { concurrency: 2, signal: AbortSignal.abort(new Error("too late")) });
  await assertRejects(() => it.next(), /too late/);
  assertEquals([called, pulled.n], [0, 0]);
});

Deno.test("pooledMap: breaking early aborts the calls in flight and waits for them", async () => {
  for (const ordered of [true, false]) {
    let started = 0;
    let settled = 0;
    const finallyRan = { v: false };
    const gate = Promise.withResolvers<void>();
    for await (
      const n of pooledMap(counter({ n: 0 }, finallyRan), async (n, signal) => {
        started++;
        if (started === 5) gate.resolve();
        try {
          if (n === 0) {
            await gate.promise; // yield 0 only once the pool is full
            return n;
          }
          return await untilAborted(signal);
        } finally {
          settled++;
        }
      }, { concurrency: 5, ordered })
    ) {
      assertEquals(n, 0);
      break;
    }
    // return() resolved only after every call settled.
    assertEquals(started, 5, `ordered=${ordered}`);
    assertEquals(settled, started, `ordered=${ordered}`);
    assert(finallyRan.v, "the source was closed");
  }
});

Deno.test("pooledMap over an infinite source stops pulling when the consumer breaks", async () => {
  // Sync infinite source.
  let pulledSync = 0;
  function* naturals() {
    for (let i = 0;; i++) {
      pulledSync++;
      yield i;
    }
  }
  const taken: number[] = [];
  for await (
    const n of pooledMap(naturals(), (n) => Promise.resolve(n), {
      concurrency: 8,
    })
  ) {
    taken.push(n);
    if (taken.length === 10) break;
  }
  assertEquals(taken, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert(pulledSync <= 10 + 8 + 8, `pulled ${pulledSync}`);
  // Async infinite source.
  const pulled = { n: 0 };
  const finallyRan = { v: false };
  let count = 0;
  for await (
    const _ of pooledMap(
      counter(pulled, finallyRan),
      (n) => Promise.resolve(n),
      { concurrency: 3, ordered: false },
    )
  ) {
    if (++count === 25) break;
  }
  assert(pulled.n <= 25 + 3 + 3 + 1, `pulled ${pulled.n}`);
  assert(finallyRan.v);
});

Deno.test("pooledMap handles empty sources and sync throws from fn", async () => {
  const empty: number[] = [];
  for await (
    const n of pooledMap([], (n: number) => Promise.resolve(n), {
      concurrency: 2,
    })
  ) empty.push(n);
  assertEquals(empty, []);
  await assertRejects(async () => {
    for await (
      const _ of pooledMap([1], () => {
        throw new TypeError("sync throw");
      }, { concurrency: 1 })
    ) { /* nothing */ }
  }, TypeError);
});

Deno.test("pooledMap does no work until it is iterated", async () => {
  let called = 0;
  const it = pooledMap([1, 2, 3], (n) => {
    called++;
    return Promise.resolve(n);
  }, { concurrency: 2 });
  await turn();
  assertEquals(called, 0);
  assertEquals(await it.return!(), { done: true, value: undefined });
  assertEquals(await it.next(), { done: true, value: undefined });
  assertEquals(called, 0);
});

Deno.test("pooledMap validates its arguments", () => {
  const fn = (n: number) => Promise.resolve(n);
  for (const concurrency of [0, -1, 1.5, NaN, Infinity]) {
    assertThrows(() => pooledMap([1], fn, { concurrency }), RangeError);
  }
  assertThrows(
    () => pooledMap([1], fn, { concurrency: 2, maxBuffered: 0 }),
    RangeError,
  );
  assertThrows(
    () =>
      pooledMap(
        [1],
        "nope" as unknown as (n: number) => Promise<number>,
        { concurrency: 1 },
      ),
    TypeError,
  );
  assertThrows(
    () => pooledMap(42 as unknown as number[], fn, { concurrency: 1 }),
    TypeError,
  );
});

Deno.test("pooledMap with a concurrency function follows its value as it grows and shrinks", async () => {
  for (const ordered of [true, false]) {
    let width = 2;
    const gates: Array<() => void> = [];
    let inFlight = 0;
    const seen: Array<{ width: number; inFlight: number }> = [];
    const pool = pooledMap(
      Array.from({ length: 40 }, (_, i) => i),
      async (n) => {
        inFlight++;
        seen.push({ width, inFlight });
        await new Promise<void>((resolve) => gates.push(resolve));
        inFlight--;
        return n;
      },
      { concurrency: () => width, ordered },
    );
    const out: number[] = [];
    const done = (async () => {
      for await (const n of pool) out.push(n);
    })();
    await turn();
    assertEquals(inFlight, 2, `ordered=${ordered}: width 2`);
    width = 6;
    gates.shift()!();
    await turn();
    assertEquals(
      inFlight,
      6,
      `ordered=${ordered}: grown to 6 on the next settle`,
    );
    width = 1;
    while (inFlight > 1) {
      gates.shift()!();
      await turn();
    }
    for (let i = 0; i < 5; i++) {
      gates.shift()!();
      await turn();
      assertEquals(inFlight, 1, `ordered=${ordered}: shrunk to 1`);
    }
    width = 0.5; // read as at least 1
    while (gates.length > 0) {
      gates.shift()!();
      await turn();
    }
    await done;
    assertEquals(
      out.toSorted((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.ok(seen.every((s) => s.inFlight <= Math.max(1, s.width)));
  }
});

Deno.test("pooledMap ordered: one slow item does not stall the pool until 4 x concurrency results wait behind it", async () => {
  let release!: () => void;
  const slow = new Promise<void>((r) => release = r);
  let started = 0;
  const it = pooledMap(
    Array.from({ length: 100 }, (_, i) => i),
    async (i) => {
      started++;
      if (i === 0) await slow;
      return i;
    },
    { concurrency: 4 },
  )[Symbol.asyncIterator]();
  const first = it.next();
  for (let i = 0; i < 50; i++) await Promise.resolve();
  // Item 0 holds one slot; the other three keep the source served until
  // 16 finished results wait behind it (it was 4, a quarter of the work).
  assert(started >= 1 + 16 && started <= 1 + 16 + 3, `started ${started}`);
  release();
  assertEquals((await first).value, 0);
  let n = 1;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    assertEquals(r.value, n++);
  }
  assertEquals(n, 100);
});
