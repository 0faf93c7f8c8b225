/**
 * A STRING column of a row group filled a page at a time (see
 * `_column_fillers.ts`): the page's text is encoded into one UTF-8 buffer
 * per column.
 *
 * @module
 */
import { bytes, expected, Fixed, Grow, u32 } from "./_column_fillers.ts";
import type { BuiltColumn } from "./_column_group.ts";
import { utf8Length } from "./_utf8_length.ts";

const encoder = new TextEncoder();

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
