/**
 * Whether a column already typed takes a value without inferring its type.
 *
 * @module
 */
import type { LakeColumnType } from "../iceberg/lake_columns.ts";
import { timestampMicros } from "./parse_timestamp.ts";

/**
 * True when a column of type `was` holds `value` as it is: the common case
 * (a page like the last one) decided without working out the value's own
 * type, which for a string means parsing it as a timestamp. Only answers
 * that widening would confirm: a string in a `STRING` column, any number
 * in a `DOUBLE` one, an integer in an `INT64` one, and so on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnKeeps } from "./_column_keeps.ts";
 * assert(columnKeeps("STRING", "2024-01-02T03:04:05Z"));
 * assert(columnKeeps("DOUBLE", 3));
 * assert(columnKeeps("LIST<STRING>", ["a", null]));
 * assert(!columnKeeps("INT64", 2.5)); // widens to DOUBLE: inferred, not kept
 * assert(columnKeeps("TIMESTAMP", "2024-01-02T03:04:05Z"));
 * assert(!columnKeeps("TIMESTAMP", "soon")); // widens to STRING: inferred
 * assert(!columnKeeps("STRING", 1)); // a conflict, reported by inference
 * ```
 */
export function columnKeeps(was: LakeColumnType, value: unknown): boolean {
  switch (typeof value) {
    case "string":
      // A timestamp column keeps text that parses (the parse is the check).
      return was === "STRING" ||
        (was === "TIMESTAMP" && !Number.isNaN(timestampMicros(value)));
    case "number":
      return was === "DOUBLE" ||
        (was === "INT64" && Number.isInteger(value) &&
          Math.abs(value) < 2 ** 63);
    case "boolean":
      return was === "BOOLEAN";
    case "undefined":
      return true;
    case "object":
      if (value === null) return true;
      if (was !== "LIST<STRING>" || !Array.isArray(value)) return false;
      for (const item of value) {
        if (typeof item !== "string" && item !== null) return false;
      }
      return true;
    default:
      return false;
  }
}
