/**
 * One column of a row group filled a page at a time (see
 * `_column_builder.ts`): numbers, booleans and timestamps into typed
 * arrays, lists as element counts over such a column (text: see
 * `_text_filler.ts`).
 *
 * @module
 */
import { parseTimestamp, timestampMicros } from "./parse_timestamp.ts";
import type { BuiltColumn } from "./_column_group.ts";

/** Fills one column; `push` throws on a value the column cannot hold. */
export interface Filler {
  push(value: unknown): void;
  pushNull(): void;
  /** The page's values are all in: text is encoded now, once per page. */
  endPage(): void;
  /** Values so far. */
  readonly length: number;
  /** The column; the filler is not used again. */
  take(): BuiltColumn;
}

/** A growable typed array. */
export class Grow<
  T extends Uint8Array | Uint32Array | Float64Array | BigInt64Array,
> {
  array: T;
  length = 0;
  readonly #make: (n: number) => T;

  constructor(make: (n: number) => T) {
    this.#make = make;
    this.array = make(256);
  }

  /** Room for `n` more. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.array.length) return;
    const next = this.#make(Math.max(need, this.array.length * 2));
    (next as Uint8Array).set(this.array as Uint8Array);
    this.array = next;
  }

  view(): T {
    return this.array.subarray(0, this.length) as T;
  }
}

/** Makers of growable arrays. */
export const bytes = (n: number) => new Uint8Array(n);
/** See {@linkcode bytes}. */
export const u32 = (n: number) => new Uint32Array(n);
const f64 = (n: number) => new Float64Array(n);

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;

/** The error for a value of the wrong kind. */
export function expected(what: string, value: unknown): TypeError {
  return new TypeError(`expected ${what}, got ${typeof value}`);
}

/** Presence flags shared by the fillers. */
export abstract class Fixed implements Filler {
  protected readonly present = new Grow(bytes);

  get length(): number {
    return this.present.length;
  }

  abstract push(value: unknown): void;
  abstract pushNull(): void;
  abstract take(): BuiltColumn;
  endPage(): void {}

  protected mark(on: number): number {
    this.present.reserve(1);
    const i = this.present.length++;
    this.present.array[i] = on;
    return i;
  }
}

/**
 * INT64 values as doubles, exact for every safe integer, and the few other
 * bigints aside by index: no bigint per value on the pull's thread. INT64
 * and TIMESTAMP (microseconds) columns both store so.
 */
abstract class Int64Filler extends Fixed {
  readonly #nums = new Grow(f64);
  readonly #bigAt: number[] = [];
  readonly #bigs: bigint[] = [];

  pushNull(): void {
    this.mark(0);
    this.#nums.reserve(1);
    this.#nums.length++;
  }

  /** `n` is an integer. */
  protected putNumber(n: number): void {
    this.mark(1);
    this.#nums.reserve(1);
    this.#nums.array[this.#nums.length++] = n;
  }

  protected putBig(value: bigint): void {
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new RangeError(`${value} is beyond INT64`);
    }
    this.#bigAt.push(this.#nums.length);
    this.#bigs.push(value);
    this.putNumber(0);
  }

  protected columns(): {
    present: Uint8Array;
    nums: Float64Array;
    bigAt: number[];
    bigs: bigint[];
  } {
    return {
      present: this.present.view(),
      nums: this.#nums.view(),
      bigAt: this.#bigAt,
      bigs: this.#bigs,
    };
  }
}

/** INT64: integral numbers and bigints within INT64. */
export class IntFiller extends Int64Filler {
  push(value: unknown): void {
    if (typeof value === "number") {
      if (!Number.isInteger(value)) {
        throw new RangeError(`${value} is not an integer`);
      }
      this.putNumber(value);
    } else if (typeof value === "bigint") this.putBig(value);
    else throw expected("an integer", value);
  }

  take(): BuiltColumn {
    return { kind: "int", ...this.columns() };
  }
}

/** DOUBLE: a bigint only when a double holds it exactly, never rounded. */
export class DoubleFiller extends Fixed {
  readonly #nums = new Grow(f64);

  push(value: unknown): void {
    let n: number;
    if (typeof value === "number") n = value;
    else if (typeof value === "bigint") {
      n = Number(value);
      if (BigInt(n) !== value) {
        throw new RangeError(
          `${value} is not exact as a DOUBLE (the column holds fractions too)`,
        );
      }
    } else throw expected("a number", value);
    this.mark(1);
    this.#nums.reserve(1);
    this.#nums.array[this.#nums.length++] = n;
  }

  pushNull(): void {
    this.mark(0);
    this.#nums.reserve(1);
    this.#nums.length++;
  }

  take(): BuiltColumn {
    return {
      kind: "double",
      present: this.present.view(),
      nums: this.#nums.view(),
    };
  }
}

/** BOOLEAN. */
export class BoolFiller extends Fixed {
  readonly #bits = new Grow(bytes);

  push(value: unknown): void {
    if (typeof value !== "boolean") throw expected("a boolean", value);
    this.mark(1);
    this.#bits.reserve(1);
    this.#bits.array[this.#bits.length++] = value ? 1 : 0;
  }

  pushNull(): void {
    this.mark(0);
    this.#bits.reserve(1);
    this.#bits.length++;
  }

  take(): BuiltColumn {
    return {
      kind: "bool",
      present: this.present.view(),
      bits: this.#bits.view(),
    };
  }
}

/**
 * TIMESTAMP: UTC microseconds of ISO strings and Dates, as numbers where
 * exact (any date within 285 years of 1970).
 */
export class MicrosFiller extends Int64Filler {
  push(value: unknown): void {
    if (typeof value === "string") {
      const micros = timestampMicros(value);
      if (Number.isNaN(micros)) {
        throw new RangeError("not an ISO-8601 date-time");
      }
      if (Number.isSafeInteger(micros)) this.putNumber(micros);
      else this.putBig(parseTimestamp(value)!);
    } else if (value instanceof Date) {
      this.putBig(BigInt(value.getTime()) * 1000n);
    } // Microseconds already (a declared epoch column, converted upstream).
    else if (typeof value === "bigint") this.putBig(value);
    else throw expected("a timestamp", value);
  }

  take(): BuiltColumn {
    return { kind: "micros", ...this.columns() };
  }
}

/** Only nulls (the elements of `LIST<NULL>`, whatever they hold). */
export class NullFiller implements Filler {
  length = 0;
  push(): void {
    this.length++;
  }
  pushNull(): void {
    this.length++;
  }
  endPage(): void {}
  take(): BuiltColumn {
    return { kind: "null" };
  }
}

/** `LIST<T>`: element counts over a filler of T. */
export class ListFiller extends Fixed {
  readonly #ends = new Grow(u32);
  readonly #element: Filler;

  constructor(element: Filler) {
    super();
    this.#element = element;
  }

  push(value: unknown): void {
    if (!Array.isArray(value)) throw expected("an array", value);
    for (let j = 0; j < value.length; j++) {
      const item = value[j];
      if (item === null || item === undefined) this.#element.pushNull();
      else this.#element.push(item);
    }
    this.mark(1);
    this.#end();
  }

  pushNull(): void {
    this.mark(0);
    this.#end();
  }

  #end(): void {
    // 32-bit offsets: refuse rather than wrap.
    if (this.#element.length > 0xffff_ffff) {
      throw new RangeError("Cannot hold 2^32 list elements in one row group");
    }
    this.#ends.reserve(1);
    this.#ends.array[this.#ends.length++] = this.#element.length;
  }

  override endPage(): void {
    this.#element.endPage();
  }

  take(): BuiltColumn {
    return {
      kind: "list",
      present: this.present.view(),
      ends: this.#ends.view(),
      element: this.#element.take(),
    };
  }
}
