/**
 * {@linkcode DemandGate}: lets work start only while the work already
 * started could fall short of what is still wanted, so a run that needs ten
 * records does not fetch three hundred pages ahead.
 *
 * @module
 */

/**
 * Admits items of a source while `started items × per item < wanted()`.
 * Each admitted item counts as started until {@linkcode DemandGate.settle}
 * says its results are counted in `wanted()`; then the gate looks again.
 * Nothing is dropped: once `wanted()` is 0 or less the gated source ends,
 * and the rest is left for whoever asks next.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DemandGate } from "./demand_gate.ts";
 * let wanted = 25;
 * const gate = new DemandGate(() => wanted);
 * const admitted: number[] = [];
 * const it = gate.admit([1, 2, 3, 4, 5], () => 10)[Symbol.asyncIterator]();
 * for (let i = 0; i < 3; i++) admitted.push((await it.next()).value);
 * // A fourth page of 10 cannot be needed while three are out for 25 records.
 * let fourth = false;
 * const next = it.next().then((r) => (fourth = true, r));
 * await Promise.resolve();
 * assert.equal(fourth, false);
 * wanted = 0; // The first three brought every record wanted.
 * gate.settle();
 * assert.equal((await next).done, true);
 * assert.deepEqual(admitted, [1, 2, 3]);
 * ```
 */
export class DemandGate {
  readonly #wanted: () => number;
  #started = 0;
  #wakes: Array<() => void> = [];
  #closed = false;

  /** `wanted()`: how much is still wanted (`Infinity`: no bound). */
  constructor(wanted: () => number) {
    this.#wanted = wanted;
  }

  /** One admitted item settled: its results are counted in `wanted()`. */
  settle(): void {
    this.#started = Math.max(0, this.#started - 1);
    this.#wake();
  }

  /**
   * Admit nothing more: a gated source waiting for room ends (and closes
   * its own source) instead of waiting for a settle that will not come.
   */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #wake(): void {
    const wakes = this.#wakes;
    this.#wakes = [];
    for (const w of wakes) w();
  }

  /**
   * The items of `source`, each admitted only while the items started so
   * far, at `per()` each, could fall short of `wanted()`.
   */
  admit<T>(
    source: Iterable<T> | AsyncIterable<T>,
    per: () => number,
  ): AsyncIterable<T> {
    return { [Symbol.asyncIterator]: () => this.#gated(source, per) };
  }

  async *#gated<T>(
    source: Iterable<T> | AsyncIterable<T>,
    per: () => number,
  ): AsyncGenerator<T> {
    const it = Symbol.asyncIterator in source
      ? source[Symbol.asyncIterator]()
      : source[Symbol.iterator]();
    try {
      while (true) {
        // The gate is asked before the source: taking an item may cost a
        // request (the next page of a parent stream).
        while (true) {
          const wanted = this.#wanted();
          if (wanted <= 0 || this.#closed) return;
          if (this.#started * Math.max(1, per()) < wanted) break;
          await new Promise<void>((resolve) => this.#wakes.push(resolve));
        }
        const r = await it.next();
        if (r.done) return;
        this.#started++;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
}
