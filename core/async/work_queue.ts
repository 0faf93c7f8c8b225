/**
 * An async queue of work items that may grow while it is consumed (a lane
 * splits into two) and ends once it is empty and nothing is active.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkQueue } from "./work_queue.ts";
 * const q = new WorkQueue<number>([1]);
 * const seen: number[] = [];
 * for await (const n of q) {
 *   seen.push(n);
 *   if (n < 3) q.push(n + 1);
 *   q.done();
 * }
 * assert(seen.join() === "1,2,3");
 * ```
 */
export class WorkQueue<T> implements AsyncIterable<T> {
  #items: T[];
  #active = 0;
  #wake: (() => void) | undefined;

  /** Start with `items`. */
  constructor(items: Iterable<T> = []) {
    this.#items = [...items];
  }

  /** Add an item (before calling `done()` for the item that produced it). */
  push(item: T): void {
    this.#items.push(item);
    this.#signal();
  }

  /** Mark one item taken from the queue as finished. */
  done(): void {
    this.#active--;
    this.#signal();
  }

  #signal(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Items until the queue is empty and every taken item is done. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    while (true) {
      const item = this.#items.shift();
      if (item !== undefined) {
        this.#active++;
        yield item;
        continue;
      }
      if (this.#active <= 0) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }
}
