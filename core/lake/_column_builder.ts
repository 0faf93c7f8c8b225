/**
 * A row group built as columns while its pages land, on the thread that
 * reads them, so the encoder gets typed arrays it can take by transfer
 * instead of a structured clone of every row, and never walks row objects
 * itself. Each page costs a pass over its own values, a few milliseconds
 * at most; the rows are dropped as soon as their page is in.
 *
 * INT64, DOUBLE, BOOLEAN, STRING, TIMESTAMP and lists of them are filled
 * here (see `fillerFor`, the one place that decides); every other column
 * (DECIMAL, JSON, and any type added later) is converted by `columnData`
 * of `_parquet_columns.ts`, a page at a time, exactly as before.
 *
 * @module
 */
import {
  BoolFiller,
  DoubleFiller,
  type Filler,
  IntFiller,
  ListFiller,
  MicrosFiller,
  NullFiller,
} from "./_column_fillers.ts";
import { TextFiller } from "./_text_filler.ts";
import type { BuiltColumn, BuiltGroup } from "./_column_group.ts";
import { StructFiller } from "./_struct_filler.ts";
import { typedFields } from "../iceberg/lake_columns.ts";
import { columnData, fileColumns } from "./_parquet_columns.ts";
import { describe, RowFailure } from "./_row_failure.ts";
import type { Column, ColumnType, Schema } from "./schema.ts";
import type { Row } from "../connector/types.ts";

/** Bytes of text one column of a row group may hold: offsets are 32-bit. */
const MAX_BYTES = 2 ** 31 - 1;

/** A filler of its own for `type`, or `undefined`: `columnData` converts it. */
function fillerFor(type: ColumnType, maxBytes: number): Filler | undefined {
  switch (type) {
    case "INT64":
      return new IntFiller();
    case "DOUBLE":
      return new DoubleFiller();
    case "BOOLEAN":
      return new BoolFiller();
    case "TIMESTAMP":
      return new MicrosFiller();
    case "STRING":
      return new TextFiller(maxBytes);
    case "NULL":
      return new NullFiller();
  }
  if (type.startsWith("LIST<") && type.endsWith(">")) {
    const element = fillerFor(type.slice(5, -1) as ColumnType, maxBytes);
    if (element && !(element instanceof ListFiller)) {
      return new ListFiller(element);
    }
  }
  // The fields the file stores, in its order (see `structColumns`).
  const fields = type.startsWith("STRUCT<") ? typedFields(type) : undefined;
  if (fields && fields.length > 0) {
    const fillers = fields.map(([, t]) => fillerFor(t, maxBytes));
    if (fillers.every((f) => f !== undefined)) {
      return new StructFiller(fields.map(([name]) => name), fillers);
    }
  }
  return undefined;
}

/** A column `columnData` converts, a page at a time. */
class Converted {
  readonly values: unknown[] = [];
  readonly #column: Column;
  readonly #maxBytes: number;

  constructor(column: Column, maxBytes: number) {
    this.#column = column;
    this.#maxBytes = maxBytes;
  }

  get length(): number {
    return this.values.length;
  }

  /** Throws `columnData`'s `RowFailure`, its row in `rows`. */
  addPage(rows: readonly Row[]): void {
    const data = columnData([this.#column], rows)[0]!.data as unknown[];
    for (let i = 0; i < data.length; i++) this.values.push(data[i]);
  }

  pushNulls(n: number): void {
    for (let i = 0; i < n; i++) this.values.push(null);
  }

  /**
   * Bytes (JSON text) packed into one buffer, to cross threads by
   * transfer; anything else as it is.
   */
  take(): BuiltColumn {
    const { values } = this;
    const present = new Uint8Array(values.length);
    const ends = new Uint32Array(values.length);
    let total = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null) continue;
      if (!(v instanceof Uint8Array)) return { kind: "values", values };
      total += v.length;
    }
    if (total > this.#maxBytes) return { kind: "values", values };
    const bytes = new Uint8Array(total);
    let end = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Uint8Array | null;
      if (v !== null) {
        bytes.set(v, end);
        end += v.length;
        present[i] = 1;
      }
      ends[i] = end;
    }
    return { kind: "bytes", present, bytes, ends };
  }
}

interface Built {
  type: ColumnType;
  fill: Filler | Converted;
}

/**
 * Options of {@linkcode ColumnBuilder}.
 */
export interface ColumnBuilderOptions {
  /** Bytes of text one column of a group may hold. @default {2 ** 31 - 1} */
  maxBytes?: number;
  /**
   * Whether the builder fills columns of `type` itself (for tests: the
   * other path must write the same bytes).
   * @default {every type it can}
   */
  fast?: (type: ColumnType) => boolean;
}

/**
 * The row group being filled. `add` takes each page with the schema it
 * needs; `take` hands the group over and starts the next.
 */
export class ColumnBuilder {
  readonly #maxBytes: number;
  readonly #fast: (type: ColumnType) => boolean;
  #columns = new Map<string, Built>();
  #rows = 0;
  // Pages of the group while its schema may still widen: a column whose
  // type changes is built again from them.
  #pages: Array<readonly Row[]> = [];
  #failure: { error: unknown } | undefined;

  constructor(options: ColumnBuilderOptions = {}) {
    this.#maxBytes = options.maxBytes ?? MAX_BYTES;
    this.#fast = options.fast ?? (() => true);
  }

  /** Rows in the group so far. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * Add a page of `rows` that fit `schema`. `mayWiden`: the schema is not
   * fixed yet, so a later page may change a column's type (its rows are
   * kept until `take`). A value that cannot be stored is kept as the
   * group's failure, which `take` throws.
   */
  add(rows: readonly Row[], schema: Schema, mayWiden: boolean): void {
    const at = this.#rows;
    this.#rows += rows.length;
    if (this.#failure) return;
    try {
      for (const column of schema) {
        if (column.type === "NULL") continue;
        let built = this.#columns.get(column.name);
        if (built === undefined || built.type !== column.type) {
          built = this.#start(column, built, at);
        }
        fillPage(built, column.name, rows, at);
      }
    } catch (error) {
      this.#failure = { error };
      this.#pages = [];
      return;
    }
    if (mayWiden) this.#pages.push(rows);
  }

  /** A column new to the group, or of a new type: its earlier rows again. */
  #start(column: Column, was: Built | undefined, at: number): Built {
    if (was !== undefined && this.#pages.length === 0 && at > 0) {
      throw new Error(
        `Cannot change column ${
          JSON.stringify(column.name)
        } from ${was.type} to ${column.type} within a row group whose schema is fixed`,
      );
    }
    const fill =
      (this.#fast(column.type)
        ? fillerFor(column.type, this.#maxBytes)
        : undefined) ??
        new Converted(column, this.#maxBytes);
    const built = { type: column.type, fill };
    let from = 0;
    for (const page of this.#pages) {
      fillPage(built, column.name, page, from);
      from += page.length;
    }
    // Rows before the column was typed (or first seen) had no value.
    if (fill instanceof Converted) fill.pushNulls(at - from);
    else for (let i = from; i < at; i++) fill.pushNull();
    this.#columns.set(column.name, built);
    return built;
  }

  /**
   * Fixing a schema may settle a column's type (a struct's, say): such a
   * column is built again from its rows, still kept, as the schema was not
   * fixed before.
   */
  #settle(schema: Schema, rows: number): void {
    try {
      for (const column of fileColumns(schema)) {
        const built = this.#columns.get(column.name);
        if (built !== undefined && built.type !== column.type) {
          this.#start(column, built, rows);
        }
      }
    } catch (error) {
      this.#failure = { error };
    }
  }

  /**
   * The group, its columns those of the file with `schema` (see
   * `fileColumns`), and a new empty one in its place. Throws the group's
   * failure: a `RowFailure` names its row in the group.
   */
  take(schema: Schema): BuiltGroup {
    const rows = this.#rows;
    if (this.#failure === undefined) this.#settle(schema, rows);
    const columns = this.#columns;
    const failure = this.#failure;
    this.#columns = new Map();
    this.#rows = 0;
    this.#pages = [];
    this.#failure = undefined;
    if (failure) throw failure.error;
    return {
      rows,
      columns: fileColumns(schema).map(({ name, type }) => {
        const built = columns.get(name);
        if (built === undefined) return { kind: "null" };
        if (built.type !== type || built.fill.length !== rows) {
          throw new Error(
            `Cannot encode column ${
              JSON.stringify(name)
            }: built as ${built.type} for ${built.fill.length} rows, written as ${type} for ${rows}`,
          );
        }
        return built.fill.take();
      }),
    };
  }
}

/** Values of `name` in `rows` (rows `at`.. of the group) into `built`. */
function fillPage(
  built: Built,
  name: string,
  rows: readonly Row[],
  at: number,
): void {
  const { fill } = built;
  if (fill instanceof Converted) {
    try {
      fill.addPage(rows);
    } catch (err) {
      throw err instanceof RowFailure ? err.shifted(at) : err;
    }
    return;
  }
  let i = 0;
  try {
    for (; i < rows.length; i++) {
      const v = (rows[i] as Row)[name];
      if (v === null || v === undefined) fill.pushNull();
      else fill.push(v);
    }
    fill.endPage();
  } catch (err) {
    if (err instanceof RangeError && err.message.startsWith("Cannot ")) {
      throw err;
    }
    throw new RowFailure(
      at + Math.min(i, rows.length - 1),
      `field ${JSON.stringify(name)} cannot be stored as ${built.type} (${
        describe(err)
      })`,
      { cause: err, batch: i >= rows.length },
    );
  }
}
