/**
 * Where a page's records are, and what shape they must have: a list of
 * objects, unless the stream opts in to `null` or a single object. A records
 * path may walk lists with `[]` (`rows[].doc`: the `doc` of each element of
 * `rows`, as CouchDB's `_all_docs?include_docs=true` answers).
 *
 * @module
 */

import { PaginationError } from "../connector/errors.ts";
import { getPath, recordsPathParts } from "../connector/json_path.ts";
import { show } from "./_paginator_options.ts";
import type { Row, StreamDef } from "../connector/types.ts";

type Where = { stream?: string; url?: string; page?: number };
type Allow = Pick<StreamDef, "allowNullRecords" | "allowSingleRecord">;

/**
 * Find the records of a page at the stream's `recordsPath`.
 * Throws {@linkcode PaginationError} when they are missing or `null` (unless
 * `allowNullRecords`), an object (unless `allowSingleRecord`: then one
 * record), or not a list of objects. With `[]` in the path, the list before
 * it must be there (or be absent/`null` with `allowNullRecords`), and each
 * element must hold the rest of the path: an object (one record) or a list of
 * objects; an element without it is an error, or skipped with
 * `allowNullRecords`.
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
 * const docs = extractRecords({ rows: [{ id: "a", doc: { _id: "a" } }] }, "rows[].doc", {});
 * assert.deepEqual(docs, [{ _id: "a" }]);
 * assert.throws(() => extractRecords({ rows: [{ id: "a" }] }, "rows[].doc", {}), /rows\[0\] has no "doc"/);
 * ```
 */
export function extractRecords(
  body: unknown,
  recordsPath: string | undefined,
  where: Where,
  allow: Allow = {},
): Row[] {
  const parts = recordsPath ? recordsPathParts(recordsPath) : [""];
  if (parts === undefined) {
    throw new PaginationError(
      `records path "${recordsPath}" is not well formed (steps joined by ".", "[]" after a step walks a list)`,
      where,
    );
  }
  if (parts.length === 1) return recordsAt(body, recordsPath, where, allow);
  return walkRecords(body, recordsPath!, parts, where, allow);
}

// The records at a path without `[]`: the path's value must be the list.
function recordsAt(
  body: unknown,
  recordsPath: string | undefined,
  where: Where,
  allow: Allow,
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
    checkObjects(found, at, where);
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

function checkObjects(list: unknown[], at: string, where: Where): void {
  for (const r of list) {
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      throw new PaginationError(
        `records ${at}must be objects, found ${show(r)}`,
        where,
      );
    }
  }
}

// The records of a path with `[]`: each list's elements, step by step.
function walkRecords(
  body: unknown,
  recordsPath: string,
  parts: readonly string[],
  where: Where,
  allow: Allow,
): Row[] {
  const fail = (what: string): never => {
    throw new PaginationError(`records path "${recordsPath}": ${what}`, where);
  };
  const first = parts[0]!;
  const list = getPath(body, first);
  const name = first === "" ? "the body" : `"${first}"`;
  if (list === undefined || list === null) {
    if (allow.allowNullRecords) return [];
    fail(
      `${name} is ${
        list === null ? "null" : "missing from the response"
      }; the stream may set allowNullRecords to read that as no record`,
    );
  }
  if (!Array.isArray(list)) fail(`${name} must be a list, found ${show(list)}`);
  let items = (list as unknown[]).map((value, i) => ({
    value,
    label: `${first}[${i}]`,
  }));
  for (let p = 1; p < parts.length; p++) {
    const step = parts[p]!;
    const last = p === parts.length - 1;
    const next: typeof items = [];
    for (const { value, label } of items) {
      const v = step === "" ? value : getPath(value, step);
      const here = step === "" ? label : `${label}.${step}`;
      if (v === undefined || v === null) {
        if (allow.allowNullRecords) continue;
        fail(
          `${label} has ${step === "" ? "no value" : `no "${step}"`} (found ${
            v === null ? "null" : "nothing"
          }); the stream may set allowNullRecords to skip such elements`,
        );
      }
      if (Array.isArray(v)) {
        v.forEach((e, i) => next.push({ value: e, label: `${here}[${i}]` }));
      } else if (last) next.push({ value: v, label: here });
      else fail(`${here} must be a list, found ${show(v)}`);
    }
    items = next;
  }
  for (const { value, label } of items) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(`${label} must be a record (an object), found ${show(value)}`);
    }
  }
  return items.map((i) => i.value as Row);
}
