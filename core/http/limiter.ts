/**
 * Limiters bound the requests in flight to one host. The HTTP layer takes a
 * permit before each request and gives it back with what it observed, which
 * is how the adaptive limiter learns; the fixed one ignores it.
 *
 * @module
 */

import { Semaphore } from "./_semaphore.ts";
import type { Permit, PermitOutcome } from "./permit.ts";

export type { Permit, PermitOutcome };

/**
 * How a permit is asked for.
 *
 * @example
 * ```ts
 * import type { AcquireOptions } from "./limiter.ts";
 * const options: AcquireOptions = { retry: true };
 * ```
 */
export interface AcquireOptions {
  /**
   * The request is a retry: it waits ahead of first attempts.
   * @default false
   */
  retry?: boolean;
}

/**
 * Bounds the requests in flight to one host. Acquirers are served first
 * come, first served, retries ahead of first attempts: the ordered pool
 * relies on the oldest item getting its permit first, and a retry is of an
 * item older than any first attempt still waiting.
 *
 * @example
 * ```ts
 * import type { Limiter } from "./limiter.ts";
 * import { FixedLimiter } from "./limiter.ts";
 *
 * async function timed(limiter: Limiter, work: () => Promise<void>) {
 *   const permit = await limiter.acquire();
 *   const started = performance.now();
 *   try {
 *     await work();
 *     permit.release({ latencyMs: performance.now() - started, dropped: false });
 *   } catch (err) {
 *     permit.release("ignore");
 *     throw err;
 *   }
 * }
 * await timed(new FixedLimiter(4), () => Promise.resolve());
 * ```
 */
export interface Limiter {
  /**
   * Wait for a permit. Rejects with `signal.reason` if `signal` is aborted
   * before the permit is granted (the place in line is given up).
   */
  acquire(signal?: AbortSignal, options?: AcquireOptions): Promise<Permit>;
  /** Permits allowed at once right now. */
  readonly limit: number;
  /** Permits held right now. */
  readonly inFlight: number;
  /** Acquirers waiting right now. */
  readonly queued: number;
  /** Called with the new limit whenever it changes. */
  onChange?: ((limit: number) => void) | undefined;
}

/**
 * A limiter with a fixed limit (`--concurrency n`): a FIFO semaphore.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FixedLimiter } from "./limiter.ts";
 * const limiter = new FixedLimiter(2);
 * const a = await limiter.acquire();
 * const b = await limiter.acquire();
 * const third = limiter.acquire(); // waits: both permits are held
 * assert.deepEqual([limiter.inFlight, limiter.queued], [2, 1]);
 * a.release({ latencyMs: 20, dropped: false });
 * const c = await third;
 * b.release("ignore");
 * c.release("ignore");
 * assert.equal(limiter.inFlight, 0);
 * ```
 */
export class FixedLimiter implements Limiter {
  #semaphore: Semaphore;
  /** Never called: a fixed limit does not change. Present for the interface. */
  onChange: ((limit: number) => void) | undefined = undefined;

  /** @param limit Permits allowed at once, an integer >= 1. */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(
        `Cannot create limiter: limit must be an integer >= 1, got ${limit}`,
      );
    }
    this.#semaphore = new Semaphore(limit, () => {});
  }

  /** Wait for a permit, first come, first served (retries first). */
  acquire(signal?: AbortSignal, options?: AcquireOptions): Promise<Permit> {
    return this.#semaphore.acquire(signal, options?.retry);
  }

  /** Permits allowed at once. */
  get limit(): number {
    return this.#semaphore.limit;
  }

  /** Permits held right now. */
  get inFlight(): number {
    return this.#semaphore.inFlight;
  }

  /** Acquirers waiting right now. */
  get queued(): number {
    return this.#semaphore.queued;
  }
}
