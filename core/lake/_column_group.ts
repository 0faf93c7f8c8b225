/**
 * A row group as columns (what `_column_builder.ts` builds as pages land),
 * and its columns as the value arrays hyparquet-writer encodes. Fixed-width
 * values and text live in typed arrays, so a group crosses to the encoder
 * thread by transfer, not by a structured clone of every row.
 *
 * @module
 */

/**
 * One column of a row group. `present[i]` is 1 where row `i` has a value;
 * `ends[i]` is where row `i`'s bytes (or list elements) end, so a row's
 * slice is `ends[i - 1]` (0 for the first) to `ends[i]`.
 */
export type BuiltColumn =
  | { kind: "null" }
  // Integral numbers; the few bigints ride along by index.
  | {
    kind: "int";
    present: Uint8Array;
    nums: Float64Array;
    bigAt: number[];
    bigs: bigint[];
  }
  | { kind: "double"; present: Uint8Array; nums: Float64Array }
  | { kind: "bool"; present: Uint8Array; bits: Uint8Array }
  // Microseconds, as "int" holds its numbers.
  | {
    kind: "micros";
    present: Uint8Array;
    nums: Float64Array;
    bigAt: number[];
    bigs: bigint[];
  }
  | { kind: "bytes"; present: Uint8Array; bytes: Uint8Array; ends: Uint32Array }
  | {
    kind: "list";
    present: Uint8Array;
    ends: Uint32Array;
    element: BuiltColumn;
  }
  // A struct: its stored fields' columns, `names[k]` filled by `fields[k]`.
  | {
    kind: "struct";
    present: Uint8Array;
    names: string[];
    fields: BuiltColumn[];
  }
  // Values already converted by `columnData` (the columns built no other way).
  | { kind: "values"; values: unknown[] };

/** A row group: `rows` rows, a column per column of the file, in its order. */
export interface BuiltGroup {
  rows: number;
  columns: BuiltColumn[];
}

/**
 * Column `column` of `rows` rows as `columnData` would give it: bigint for
 * INT64 and TIMESTAMP, number, boolean, UTF-8 bytes, arrays for lists,
 * null where there is no value.
 */
export function columnValues(column: BuiltColumn, rows: number): unknown[] {
  if (column.kind === "values") return column.values;
  const out = new Array<unknown>(rows).fill(null);
  switch (column.kind) {
    case "null":
      return out;
    case "double": {
      const { present, nums } = column;
      for (let i = 0; i < rows; i++) if (present[i]) out[i] = nums[i];
      return out;
    }
    case "bool": {
      const { present, bits } = column;
      for (let i = 0; i < rows; i++) if (present[i]) out[i] = bits[i] === 1;
      return out;
    }
    case "int":
    case "micros": {
      const { present, nums } = column;
      for (let i = 0; i < rows; i++) if (present[i]) out[i] = BigInt(nums[i]!);
      for (let k = 0; k < column.bigAt.length; k++) {
        out[column.bigAt[k]!] = column.bigs[k];
      }
      return out;
    }
    case "bytes": {
      const { present, bytes, ends } = column;
      let start = 0;
      for (let i = 0; i < rows; i++) {
        const end = ends[i]!;
        if (present[i]) out[i] = bytes.subarray(start, end);
        start = end;
      }
      return out;
    }
    case "struct": {
      const { present, names } = column;
      const fields = column.fields.map((f) => columnValues(f, rows));
      for (let i = 0; i < rows; i++) {
        if (!present[i]) continue;
        const o: Record<string, unknown> = {};
        for (let k = 0; k < names.length; k++) o[names[k]!] = fields[k]![i];
        out[i] = o;
      }
      return out;
    }
    case "list": {
      const { present, ends } = column;
      const elements = columnValues(
        column.element,
        rows > 0 ? ends[rows - 1]! : 0,
      );
      let start = 0;
      for (let i = 0; i < rows; i++) {
        const end = ends[i]!;
        if (present[i]) out[i] = elements.slice(start, end);
        start = end;
      }
      return out;
    }
  }
}

/** The buffers of `group`, to transfer it to another thread uncopied. */
export function transferList(group: BuiltGroup): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (column: BuiltColumn): void => {
    for (const value of Object.values(column)) {
      if (ArrayBuffer.isView(value)) out.add(value.buffer as ArrayBuffer);
    }
    if (column.kind === "list") visit(column.element);
    if (column.kind === "struct") column.fields.forEach(visit);
  };
  for (const column of group.columns) visit(column);
  return [...out];
}
