/**
 * Records must carry their primary key: one without it (or with `null`)
 * cannot be merged, deduplicated or found again, so it is an error unless
 * the stream opts in with `allowMissingKey`.
 *
 * @module
 */

import { closest } from "../connector/closest.ts";
import { PaginationError } from "../connector/errors.ts";
import type { Row } from "../connector/types.ts";

/**
 * Throw a {@linkcode PaginationError} naming the first record whose primary
 * key field is missing or `null`. A field missing from the record but named
 * in `supplied` passes: the engine fills it in (an option value such as
 * `repo`, part of a commit's identity).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPrimaryKey } from "./_primary_key.ts";
 * const where = { stream: "demo/items", page: 0, url: "http://127.0.0.1/items" };
 * checkPrimaryKey([{ id: 1 }, { id: 0 }], "id", where);
 * checkPrimaryKey([{ sha: "f00" }], ["repo", "sha"], where, { repo: "a/b" });
 * assert.throws(
 *   () => checkPrimaryKey([{ org: "a", id: 1 }, { org: "a", id: null }], ["org", "id"], where),
 *   /record 2 has no primary key field "id" \(found null\)/,
 * );
 * assert.throws(
 *   () => checkPrimaryKey([{ id: 1 }], "ID", where),
 *   /no primary key field "ID" \(found no such field; did you mean "id"\?\)/,
 * );
 * ```
 */
export function checkPrimaryKey(
  records: readonly Row[],
  primaryKey: string | readonly string[],
  where: { stream?: string; url?: string; page?: number },
  supplied: Readonly<Record<string, string>> = {},
): void {
  const keys = typeof primaryKey === "string" ? [primaryKey] : primaryKey;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    for (const k of keys) {
      const v = r[k];
      if (v !== undefined && v !== null) continue;
      if (v === undefined && Object.hasOwn(supplied, k)) continue;
      // `primaryKey: "ID"` for `id`: name the field the records do have.
      const hint = v === undefined ? closest(k, Object.keys(r)) : undefined;
      throw new PaginationError(
        `record ${i + 1} has no primary key field "${k}" (found ${
          v === null
            ? "null"
            : `no such field${hint ? `; did you mean "${hint}"?` : ""}`
        }); the stream may set allowMissingKey to land such records`,
        where,
      );
    }
  }
}
