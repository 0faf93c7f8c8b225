/**
 * A first-in, first-out queue with O(1) `shift()`, for the pool's results.
 *
 * @module
 */

/**
 * A FIFO queue over an array and a head index: `Array.prototype.shift` is
 * O(n), which a pool of long-running sources would pay once per result.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Items queued. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Add `item` at the tail. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The head item, left in place; `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Remove and return the head item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    // Taken items are dropped at once so the consumer owns them alone.
    this.#items[this.#head++] = undefined;
    this.#compact();
    return item;
  }

  /** Drop every item. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.clear();
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
