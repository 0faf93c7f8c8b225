/**
 * The row count a Parquet file declares, read from the bytes of its footer
 * (Thrift compact protocol, `FileMetaData`): the writer checks every file
 * against the rows it was handed before the file may be committed, with a
 * reader that shares no code with the encoder that could lose rows.
 *
 * @module
 */

import type { FileSink } from "./storage.ts";
import { WriteError } from "./write_error.ts";

const MAGIC = "PAR1";

/** What a footer says: `num_rows`, and the sum of its row groups' `num_rows`. */
export interface FooterRows {
  rows: bigint;
  groupRows: bigint;
}

/**
 * The row counts of the Parquet file that ends with `tail` (its last bytes,
 * footer included). Throws when `tail` does not hold a whole footer.
 */
export function footerRows(tail: Uint8Array): FooterRows {
  const n = tail.length;
  const magic = String.fromCharCode(...tail.subarray(n - 4));
  if (n < 12 || magic !== MAGIC) {
    throw new Error("the file does not end with a Parquet footer");
  }
  const length = new DataView(tail.buffer, tail.byteOffset + n - 8, 4)
    .getUint32(0, true);
  if (length + 8 > n) {
    throw new Error(`the footer (${length} bytes) is not in the last write`);
  }
  const r = new Compact(tail.subarray(n - 8 - length, n - 8));
  const out: FooterRows = { rows: -1n, groupRows: 0n };
  r.struct((id, type) => {
    if (id === 3 && type === I64) out.rows = r.zigzag();
    else if (id === 4 && type === LIST) {
      const groups = r.listHeader();
      for (let g = 0; g < groups.size; g++) {
        r.struct((gid, gtype) => {
          if (gid !== 3 || gtype !== I64) return false;
          out.groupRows += r.zigzag();
          return true;
        });
      }
    } else return false;
    return true;
  });
  if (out.rows < 0n) throw new Error("the footer has no num_rows");
  return out;
}

const TRUE = 1, FALSE = 2, I8 = 3, I16 = 4, I32 = 5, I64 = 6, DOUBLE = 7;
const BINARY = 8, LIST = 9, SET = 10, MAP = 11, STRUCT = 12;

/** A Thrift compact-protocol reader: just what the footer's counts need. */
class Compact {
  #at = 0;
  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.#at >= this.bytes.length) throw new Error("the footer is cut");
    return this.bytes[this.#at++]!;
  }

  varint(): bigint {
    let v = 0n, shift = 0n, b: number;
    do {
      b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    return v;
  }

  zigzag(): bigint {
    const v = this.varint();
    return (v >> 1n) ^ -(v & 1n);
  }

  listHeader(): { size: number; type: number } {
    const h = this.byte();
    const size = h >> 4 === 15 ? Number(this.varint()) : h >> 4;
    return { size, type: h & 15 };
  }

  /** Read a struct; `field` reads a field it wants and says so, or it is skipped. */
  struct(field: (id: number, type: number) => boolean): void {
    let id = 0;
    for (;;) {
      const h = this.byte();
      const type = h & 15;
      if (type === 0) return;
      id = h >> 4 === 0 ? Number(this.zigzag()) : id + (h >> 4);
      if (!field(id, type)) this.skip(type, true);
    }
  }

  skip(type: number, inField = false): void {
    switch (type) {
      case TRUE:
      case FALSE:
        if (!inField) this.byte(); // In a list a bool is a byte.
        return;
      case I8:
        this.byte();
        return;
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        this.#at += 8;
        return;
      case BINARY: {
        // Not `#at += varint()`: that adds to #at as it was before the read.
        const length = Number(this.varint());
        this.#at += length;
        return;
      }
      case LIST:
      case SET: {
        const { size, type: t } = this.listHeader();
        for (let i = 0; i < size; i++) this.skip(t);
        return;
      }
      case MAP: {
        const size = Number(this.varint());
        if (size === 0) return;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(kv >> 4);
          this.skip(kv & 15);
        }
        return;
      }
      case STRUCT:
        this.struct(() => false);
        return;
      default:
        throw new Error(`the footer has an unknown Thrift type ${type}`);
    }
  }
}

/**
 * A sink that passes every write on and keeps (a reference to) the last
 * chunk, which holds the footer: both encoders write the footer in one
 * final flush, after the last row group.
 */
export class FooterTail {
  #last: Uint8Array = new Uint8Array(0);
  constructor(readonly sink: FileSink) {}

  /** A sink writing through this one. */
  wrap(): FileSink {
    const sink = this.sink;
    return {
      write: (chunk) => {
        if (chunk.length > 0) this.#last = chunk;
        return sink.write(chunk);
      },
      close: () => sink.close(),
      abort: () => sink.abort(),
      get bytesWritten() {
        return sink.bytesWritten;
      },
    };
  }

  /** The row counts of the footer written last. */
  rows(): FooterRows {
    return footerRows(this.#last);
  }

  /**
   * Throw a `WriteError` naming `where` unless the footer written last
   * counts `handed` rows, in all and over its row groups.
   */
  check(handed: number, where: { stream: string; file?: string }): void {
    let counts: FooterRows;
    try {
      counts = this.rows();
    } catch (err) {
      throw new WriteError(`its footer cannot be read back (${err})`, where, {
        cause: err,
      });
    }
    const { rows, groupRows } = counts;
    if (rows !== BigInt(handed) || groupRows !== BigInt(handed)) {
      throw new WriteError(
        `its footer counts ${rows} rows (row groups: ${groupRows}), but ${handed} were handed in`,
        where,
      );
    }
  }
}
