/**
 * A stream's declared column types (`columns: { created: "timestamp_s" }`)
 * as lake columns, and its records converted to them before they are
 * written.
 *
 * @module
 */
import type { ColumnDeclaration } from "../connector/column_type.ts";
import { SchemaError } from "../connector/errors.ts";
import type { Row } from "../connector/types.ts";
import { type Converter, declaredConverter } from "./_declared_convert.ts";
import type { ColumnType, Schema } from "./schema.ts";

/** The lake column type of a declared type. */
function lakeType(type: ColumnDeclaration): ColumnType {
  const decimal = /^decimal\((\d+),(\d+)\)$/.exec(type);
  if (decimal) return `DECIMAL(${Number(decimal[1])},${Number(decimal[2])})`;
  const types: Record<string, ColumnType> = {
    long: "INT64",
    int: "INT32",
    double: "DOUBLE",
    float: "FLOAT",
    boolean: "BOOLEAN",
    string: "STRING",
    timestamp: "TIMESTAMP",
    timestamp_s: "TIMESTAMP",
    timestamp_ms: "TIMESTAMP",
    date: "DATE",
    json: "JSON",
  };
  const t = types[type];
  if (t === undefined) {
    throw new TypeError(`Cannot declare a column of the unknown type ${type}`);
  }
  return t;
}

/**
 * The declared columns of one stream. Their types are fixed (the file and
 * the table have them from the first record on, even when every value is
 * null) and their values are converted exactly, or the records fail with a
 * {@linkcode SchemaError} naming the stream, the field and the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DeclaredColumns } from "./declared_columns.ts";
 * const d = new DeclaredColumns("shop/orders", { created: "timestamp_s", amount: "decimal(18,2)" });
 * assert.deepEqual(d.schema, [
 *   { name: "created", type: "TIMESTAMP" },
 *   { name: "amount", type: "DECIMAL(18,2)" },
 * ]);
 * assert.deepEqual(d.convert([{ id: 1, created: 1, amount: "9.5" }]), [
 *   { id: 1, created: 1_000_000n, amount: 950n },
 * ]);
 * assert.throws(
 *   () => d.convert([{ amount: 0.125 }]),
 *   /Cannot convert field "amount" of "shop\/orders" to decimal\(18,2\): 0\.125 has more digits/,
 * );
 * ```
 */
export class DeclaredColumns {
  /** The declared columns, in declaration order, with their lake types. */
  readonly schema: Schema;
  /** The declared field names. */
  readonly names: ReadonlySet<string>;
  readonly #stream: string;
  readonly #convert: readonly [string, ColumnDeclaration, Converter][];

  /** The `columns` of the stream `"connector/stream"`. */
  constructor(
    stream: string,
    columns: Readonly<Record<string, ColumnDeclaration>>,
  ) {
    this.#stream = stream;
    const entries = Object.entries(columns);
    this.schema = entries.map(([name, type]) => ({
      name,
      type: lakeType(type),
    }));
    this.names = new Set(entries.map(([name]) => name));
    this.#convert = entries.map((
      [name, type],
    ) => [name, type, declaredConverter(type)]);
  }

  /**
   * `rows` with each declared field's value as its column stores it (new
   * objects where a value changed; the rows given are not touched).
   */
  convert(rows: readonly Row[]): Row[] {
    const out = new Array<Row>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      let copy: Row | undefined;
      for (const [name, type, convert] of this.#convert) {
        const v = row[name];
        if (v === null || v === undefined) continue;
        let x: unknown;
        try {
          x = convert(v);
        } catch (err) {
          throw new SchemaError(
            `Cannot convert field ${
              JSON.stringify(name)
            } of "${this.#stream}" to ${type}: ${
              (err as Error).message
            } (record ${i + 1} of the page)`,
            { cause: err },
          );
        }
        if (x !== v) (copy ??= { ...row })[name] = x;
      }
      out[i] = copy ?? row;
    }
    return out;
  }
}
