/**
 * The fake clock's pieces the HTTP simulations share: timer events in time
 * order, and a seeded random source, so every simulated run is reproducible.
 *
 * @module
 */

interface Event {
  t: number;
  seq: number;
  run: () => void;
}

function before(a: Event, b: Event): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

/** Timer events on a binary heap, earliest first, ties in order of scheduling. */
export class SimEvents {
  #heap: Event[] = [];
  #seq = 0;
  get size(): number {
    return this.#heap.length;
  }
  push(t: number, run: () => void): void {
    const h = this.#heap;
    h.push({ t, seq: this.#seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  /** The earliest event, removed; `undefined` when none is left. */
  pop(): { t: number; run: () => void } | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      while (true) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** A seeded linear congruential generator: numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}
