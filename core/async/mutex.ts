/**
 * A promise-chain mutex: critical sections run one at a time, in call order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Mutex } from "./mutex.ts";
 * const m = new Mutex();
 * const order: number[] = [];
 * await Promise.all([
 *   m.run(async () => { await Promise.resolve(); order.push(1); }),
 *   m.run(() => { order.push(2); }),
 * ]);
 * assert(order.join() === "1,2");
 * ```
 */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Run `fn` once every earlier section has finished. */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => {});
    return result;
  }
}
