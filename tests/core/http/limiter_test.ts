import assert, {
  deepEqual as assertEquals,
  throws as assertThrows,
} from "node:assert/strict";
import { FixedLimiter, type Permit } from "../../../core/http/limiter.ts";

Deno.test("FixedLimiter grants at most `limit` permits at once", async () => {
  const limiter = new FixedLimiter(3);
  const held = await Promise.all([1, 2, 3].map(() => limiter.acquire()));
  let fourth: Permit | undefined;
  const pending = limiter.acquire().then((p) => (fourth = p));
  await Promise.resolve();
  assertEquals([limiter.inFlight, limiter.queued, fourth], [3, 1, undefined]);
  held[0]!.release({ latencyMs: 5, dropped: false });
  await pending;
  assertEquals([limiter.inFlight, limiter.queued], [3, 0]);
  for (const p of [...held.slice(1), fourth!]) p.release("ignore");
  assertEquals(limiter.inFlight, 0);
  assertEquals(limiter.limit, 3);
});

Deno.test("FixedLimiter serves waiters first come, first served", async () => {
  const limiter = new FixedLimiter(2);
  const first = await limiter.acquire();
  const second = await limiter.acquire();
  const order: number[] = [];
  const waiters = Array.from(
    { length: 6 },
    (_, i) =>
      limiter.acquire().then((p) => {
        order.push(i);
        return p;
      }),
  );
  // A newcomer must not jump the queue when a slot frees up.
  first.release("ignore");
  const late = limiter.acquire().then((p) => {
    order.push(99);
    return p;
  });
  second.release("ignore");
  for (const w of [...waiters, late]) (await w).release("ignore");
  assertEquals(order, [0, 1, 2, 3, 4, 5, 99]);
});

Deno.test("FixedLimiter: an aborted acquire rejects with the reason and leaves the queue", async () => {
  const limiter = new FixedLimiter(1);
  const held = await limiter.acquire();
  const controller = new AbortController();
  const reason = new Error("stream cancelled");
  const aborted = limiter.acquire(controller.signal);
  const next = limiter.acquire();
  assertEquals(limiter.queued, 2);
  controller.abort(reason);
  await assert.rejects(aborted, (err) => err === reason);
  assertEquals(limiter.queued, 1);
  held.release("ignore");
  // The slot goes to the next live waiter, not to the aborted one.
  const p = await next;
  assertEquals([limiter.inFlight, limiter.queued], [1, 0]);
  p.release("ignore");
  // A signal aborted before acquire rejects at once, permit or not.
  await assert.rejects(
    limiter.acquire(AbortSignal.abort(new Error("too late"))),
    /too late/,
  );
  assertEquals([limiter.inFlight, limiter.queued], [0, 0]);
  // Aborting after the grant changes nothing: the permit is held.
  const c2 = new AbortController();
  const granted = await limiter.acquire(c2.signal);
  c2.abort();
  assertEquals(limiter.inFlight, 1);
  granted.release("ignore");
});

Deno.test("FixedLimiter: releasing a permit twice frees one slot only", async () => {
  const limiter = new FixedLimiter(1);
  const a = await limiter.acquire();
  const b = limiter.acquire();
  const c = limiter.acquire();
  a.release({ latencyMs: 1, dropped: false });
  a.release({ latencyMs: 1, dropped: false });
  const pb = await b;
  await Promise.resolve();
  assertEquals([limiter.inFlight, limiter.queued], [1, 1]);
  pb.release("ignore");
  (await c).release("ignore");
  assertEquals(limiter.inFlight, 0);
});

Deno.test("FixedLimiter keeps order through a long queue with aborts in it", async () => {
  const limiter = new FixedLimiter(1);
  const held = await limiter.acquire();
  const served: number[] = [];
  const controllers: AbortController[] = [];
  const waits: Promise<void>[] = [];
  for (let i = 0; i < 3_000; i++) {
    const controller = new AbortController();
    controllers.push(controller);
    waits.push(
      limiter.acquire(controller.signal).then(
        (p) => {
          served.push(i);
          p.release("ignore");
        },
        () => {},
      ),
    );
  }
  for (let i = 0; i < 3_000; i += 3) controllers[i]!.abort();
  assertEquals(limiter.queued, 2_000);
  held.release("ignore");
  await Promise.all(waits);
  assertEquals(
    served,
    Array.from({ length: 3_000 }, (_, i) => i).filter((i) => i % 3 !== 0),
  );
  assertEquals([limiter.inFlight, limiter.queued], [0, 0]);
});

Deno.test("FixedLimiter serves retries ahead of first attempts, each in arrival order", async () => {
  const limiter = new FixedLimiter(1);
  const held = await limiter.acquire();
  const order: string[] = [];
  const take = (name: string, retry: boolean, signal?: AbortSignal) =>
    limiter.acquire(signal, { retry }).then((p) => {
      order.push(name);
      p.release("ignore");
    }, () => order.push(`${name} aborted`));
  const gone = new AbortController();
  const waits = [
    take("first 1", false),
    take("retry 1", true),
    take("first 2", false),
    take("retry gone", true, gone.signal),
    take("retry 2", true),
  ];
  gone.abort();
  assertEquals(limiter.queued, 4);
  held.release("ignore");
  await Promise.all(waits);
  assertEquals(order, [
    "retry gone aborted",
    "retry 1",
    "retry 2",
    "first 1",
    "first 2",
  ]);
  assertEquals([limiter.inFlight, limiter.queued], [0, 0]);
});

Deno.test("FixedLimiter validates its limit and never changes it", () => {
  for (const bad of [0, -1, 1.5, NaN, Infinity]) {
    assertThrows(() => new FixedLimiter(bad), RangeError);
  }
  const limiter = new FixedLimiter(4);
  let changes = 0;
  limiter.onChange = () => changes++;
  assertEquals([limiter.limit, changes], [4, 0]);
});
