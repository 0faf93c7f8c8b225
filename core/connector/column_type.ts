/**
 * The column types a stream may declare (`columns: { created:
 * "timestamp_s" }`), and the check `defineConnector()` and the JSON spec
 * checker share, with its "did you mean".
 *
 * @module
 */
import { closest } from "./closest.ts";
import { ConfigError } from "./errors.ts";

/**
 * A declared column type:
 *
 * - `long`, `int`: 64- and 32-bit integers (from integral numbers, bigints
 *   or strings of digits); `double`, `float`: 64- and 32-bit floats (from
 *   numbers or numeric strings); `boolean`; `string` (numbers and booleans
 *   become their text).
 * - `decimal(P,S)`: exact decimals of P digits (1–38), S of them after the
 *   point, from numbers or numeric strings: every digit is kept, or the
 *   value is an error (never rounded).
 * - `timestamp`: ISO-8601 date-time strings; `timestamp_s`, `timestamp_ms`:
 *   epoch seconds or milliseconds (numbers or strings). All three are UTC
 *   instants in microseconds (Iceberg `timestamptz`).
 * - `date`: `YYYY-MM-DD` strings (Iceberg `date`).
 * - `json`: any value, kept as its JSON text in a string column.
 *
 * @example
 * ```ts
 * import type { ColumnDeclaration } from "./column_type.ts";
 * const columns: Record<string, ColumnDeclaration> = {
 *   created: "timestamp_s",
 *   amount: "decimal(18,2)",
 *   id: "long",
 * };
 * ```
 */
export type ColumnDeclaration =
  | "long"
  | "int"
  | "double"
  | "float"
  | "boolean"
  | "string"
  | "timestamp"
  | "timestamp_s"
  | "timestamp_ms"
  | "date"
  | "json"
  | `decimal(${number},${number})`;

/** The declared types without a parameter, in the order messages list them. */
export const COLUMN_TYPES: readonly ColumnDeclaration[] = [
  "long",
  "int",
  "double",
  "float",
  "boolean",
  "string",
  "timestamp",
  "timestamp_s",
  "timestamp_ms",
  "date",
  "json",
];

const DECIMAL = /^decimal\((\d+),(\d+)\)$/;

/**
 * A decimal declaration's precision and scale, or `undefined` for another
 * type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decimalOf } from "./column_type.ts";
 * assert.deepEqual(decimalOf("decimal(18,2)"), { precision: 18, scale: 2 });
 * assert.equal(decimalOf("long"), undefined);
 * ```
 */
export function decimalOf(
  type: string,
): { precision: number; scale: number } | undefined {
  const d = DECIMAL.exec(type);
  return d ? { precision: Number(d[1]), scale: Number(d[2]) } : undefined;
}

/**
 * What is wrong with `type` as a declared column type, or `undefined` when
 * it is one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnTypeProblem } from "./column_type.ts";
 * assert.equal(columnTypeProblem("decimal(18,2)"), undefined);
 * assert.match(columnTypeProblem("timestmp_s")!, /did you mean "timestamp_s"\?/);
 * assert.match(columnTypeProblem("decimal(40,2)")!, /precision 1 to 38/);
 * ```
 */
export function columnTypeProblem(type: unknown): string | undefined {
  if (typeof type === "string") {
    if ((COLUMN_TYPES as readonly string[]).includes(type)) return undefined;
    const d = decimalOf(type.replaceAll(" ", ""));
    if (d !== undefined && type.includes(" ")) {
      return `is not a column type: write ${
        JSON.stringify(type.replaceAll(" ", ""))
      } without spaces`;
    }
    if (d !== undefined) {
      if (d.precision < 1 || d.precision > 38 || d.scale > d.precision) {
        return `is not a column type: decimal(P,S) takes a precision 1 to 38 and a scale 0 to P; got ${
          JSON.stringify(type)
        }`;
      }
      return undefined;
    }
  }
  const hint = typeof type === "string"
    ? closest(type, [...COLUMN_TYPES, "decimal(P,S)"])
    : undefined;
  return `is not a column type${
    hint ? ` (did you mean "${hint}"?)` : ""
  }; known: ${COLUMN_TYPES.join(", ")}, decimal(P,S); got ${
    JSON.stringify(type) ?? String(type)
  }`;
}

/**
 * Check a stream's `columns` (at `at`, naming the connector and stream):
 * a {@linkcode ConfigError} naming the field whose type is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkColumns } from "./column_type.ts";
 * checkColumns('connector "shop": stream "orders"', { total: "decimal(12,2)" });
 * assert.throws(
 *   () => checkColumns('connector "shop": stream "orders"', { total: "lnog" }),
 *   /connector "shop": stream "orders": columns\.total is not a column type \(did you mean "long"\?\)/,
 * );
 * ```
 */
export function checkColumns(at: string, columns: unknown): void {
  if (
    typeof columns !== "object" || columns === null || Array.isArray(columns)
  ) {
    throw new ConfigError(
      `${at}: columns must be an object of field names to column types`,
    );
  }
  for (const [field, type] of Object.entries(columns)) {
    const problem = field === ""
      ? "is not a field name"
      : columnTypeProblem(type);
    if (problem !== undefined) {
      throw new ConfigError(`${at}: columns.${field} ${problem}`);
    }
  }
}
