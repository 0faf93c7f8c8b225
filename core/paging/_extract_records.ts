/**
 * Where a page's records are, and what shape they must have: a list of
 * objects, unless the stream opts in to `null` or a single object.
 *
 * @module
 */

import { PaginationError } from "../connector/errors.ts";
import { getPath } from "../connector/json_path.ts";
import { show } from "./_paginator_options.ts";
import type { Row, StreamDef } from "../connector/types.ts";

/**
 * Find the records of a page at the stream's `recordsPath`.
 * Throws {@linkcode PaginationError} when they are missing or `null` (unless
 * `allowNullRecords`), an object (unless `allowSingleRecord`: then one
 * record), or not a list of objects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractRecords } from "./_extract_records.ts";
 * const rows = extractRecords({ data: { items: [{ id: 1 }] } }, "data.items", {});
 * assert(rows.length === 1);
 * assert.throws(() => extractRecords({ items: null }, "items", {}), /allowNullRecords/);
 * assert(extractRecords({ id: 2 }, undefined, {}, { allowSingleRecord: true }).length === 1);
 * assert(extractRecords(null, undefined, {}, { allowNullRecords: true }).length === 0);
 * ```
 */
export function extractRecords(
  body: unknown,
  recordsPath: string | undefined,
  where: { stream?: string; url?: string; page?: number },
  allow: Pick<StreamDef, "allowNullRecords" | "allowSingleRecord"> = {},
): Row[] {
  const at = recordsPath ? `at "${recordsPath}" ` : "";
  const found = recordsPath ? getPath(body, recordsPath) : body;
  if (found === undefined || found === null) {
    if (allow.allowNullRecords) return [];
    throw new PaginationError(
      found === undefined
        ? `records path "${recordsPath}" is missing from the response`
        : `records ${at}are null; the stream may set allowNullRecords to read that as no record`,
      where,
    );
  }
  if (Array.isArray(found)) {
    for (const r of found) {
      if (typeof r !== "object" || r === null || Array.isArray(r)) {
        throw new PaginationError(
          `records ${at}must be objects, found ${show(r)}`,
          where,
        );
      }
    }
    return found as Row[];
  }
  if (typeof found === "object" && allow.allowSingleRecord) {
    return [found as Row];
  }
  throw new PaginationError(
    `records ${at}must be a list, found ${
      typeof found === "object"
        ? "an object; the stream may set allowSingleRecord to land it as one record"
        : typeof found
    }`,
    where,
  );
}
