/**
 * One column of a row group filled a page at a time (see
 * `_column_builder.ts`): numbers, booleans and timestamps into typed
 * arrays, text into one UTF-8 buffer per column, lists as element counts
 * over such a column.
 *
 * @module
 */
import { parseTimestamp } from "./parse_timestamp.ts";
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
class Grow<T extends Uint8Array | Uint32Array | Float64Array | BigInt64Array> {
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

const bytes = (n: number) => new Uint8Array(n);
const u32 = (n: number) => new Uint32Array(n);
const f64 = (n: number) => new Float64Array(n);
const i64 = (n: number) => new BigInt64Array(n);

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;

function expected(what: string, value: unknown): TypeError {
  return new TypeError(`expected ${what}, got ${typeof value}`);
}

/** Presence flags shared by the fixed-width fillers. */
abstract class Fixed implements Filler {
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

/** INT64: numbers as doubles (every INT64 number is one), bigints aside. */
export class IntFiller extends Fixed {
  readonly #nums = new Grow(f64);
  readonly #bigAt: number[] = [];
  readonly #bigs: bigint[] = [];

  push(value: unknown): void {
    if (typeof value === "number") {
      if (!Number.isInteger(value)) {
        throw new RangeError(`${value} is not an integer`);
      }
      this.#put(value);
    } else if (typeof value === "bigint") {
      if (value < INT64_MIN || value > INT64_MAX) {
        throw new RangeError(`${value} is beyond INT64`);
      }
      this.#bigAt.push(this.#nums.length);
      this.#bigs.push(value);
      this.#put(0);
    } else throw expected("an integer", value);
  }

  pushNull(): void {
    this.mark(0);
    this.#nums.reserve(1);
    this.#nums.length++;
  }

  #put(n: number): void {
    this.mark(1);
    this.#nums.reserve(1);
    this.#nums.array[this.#nums.length++] = n;
  }

  take(): BuiltColumn {
    return {
      kind: "int",
      present: this.present.view(),
      nums: this.#nums.view(),
      bigAt: this.#bigAt,
      bigs: this.#bigs,
    };
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

/** TIMESTAMP: UTC microseconds of ISO strings and Dates. */
export class MicrosFiller extends Fixed {
  readonly #micros = new Grow(i64);

  push(value: unknown): void {
    let micros: bigint | undefined;
    if (typeof value === "string") micros = parseTimestamp(value);
    else if (value instanceof Date) micros = BigInt(value.getTime()) * 1000n;
    else throw expected("a timestamp", value);
    if (micros === undefined) throw new RangeError("not an ISO-8601 date-time");
    this.mark(1);
    this.#micros.reserve(1);
    this.#micros.array[this.#micros.length++] = micros;
  }

  pushNull(): void {
    this.mark(0);
    this.#micros.reserve(1);
    this.#micros.length++;
  }

  take(): BuiltColumn {
    return {
      kind: "micros",
      present: this.present.view(),
      micros: this.#micros.view(),
    };
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

const encoder = new TextEncoder();

/** UTF-8 length of `s` as TextEncoder writes it, or -1 on a lone surrogate. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * STRING: the page's strings are encoded in one call (a call per value
 * costs more than the encoding) into one buffer for the column. Offsets are
 * 32-bit: the column refuses to grow past `maxBytes` rather than wrap.
 */
export class TextFiller extends Fixed {
  readonly #bytes = new Grow(bytes);
  readonly #ends = new Grow(u32);
  // The page's strings, "" for a null.
  #page: string[] = [];
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    super();
    this.#maxBytes = maxBytes;
  }

  push(value: unknown): void {
    let s: string;
    if (typeof value === "string") s = value;
    // A STRING column may meet Dates (it widened from TIMESTAMP).
    else if (value instanceof Date) s = value.toISOString();
    else throw expected("a string", value);
    this.mark(1);
    this.#page.push(s);
  }

  pushNull(): void {
    this.mark(0);
    this.#page.push("");
  }

  override endPage(): void {
    const page = this.#page;
    if (page.length === 0) return;
    this.#page = [];
    const joined = page.join("");
    const at = this.#bytes.length;
    this.#ends.reserve(page.length);
    // Every UTF-16 unit is at most 3 bytes: enough room, then the real size.
    const room = at + 3 * joined.length;
    if (room > this.#maxBytes) {
      this.#guard(at + encoder.encode(joined).length);
    }
    this.#bytes.reserve(3 * joined.length);
    const { written } = encoder.encodeInto(
      joined,
      this.#bytes.array.subarray(at),
    );
    if (written === joined.length) {
      // One byte per unit: all ASCII, lengths are the strings' lengths.
      this.#endAll(page, (s) => s.length, at + written);
      return;
    }
    const lengths = page.map(utf8Length);
    if (lengths.every((n) => n >= 0)) {
      let k = 0;
      this.#endAll(page, () => lengths[k++]!, at + written);
      return;
    }
    // A lone surrogate could pair up with its neighbour once joined.
    let end = at;
    for (const s of page) {
      end += encoder.encodeInto(s, this.#bytes.array.subarray(end)).written;
      this.#ends.array[this.#ends.length++] = end;
    }
    this.#bytes.length = end;
  }

  #endAll(page: string[], length: (s: string) => number, total: number): void {
    let end = this.#bytes.length;
    for (const s of page) {
      end += length(s);
      this.#ends.array[this.#ends.length++] = end;
    }
    if (end !== total) throw new Error("the page's text did not add up");
    this.#bytes.length = end;
  }

  #guard(total: number): void {
    if (total > this.#maxBytes) {
      throw new RangeError(
        `Cannot hold more than ${this.#maxBytes} bytes of text in one column of a row group (a Parquet row group's offsets are 32-bit): lower rowGroupSize`,
      );
    }
  }

  take(): BuiltColumn {
    return {
      kind: "bytes",
      present: this.present.view(),
      bytes: this.#bytes.view(),
      ends: this.#ends.view(),
    };
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
