/**
 * Dot paths into parsed JSON bodies (`"meta.next"`, `"data.0.id"`).
 *
 * @module
 */

/**
 * The value at a dot path in a parsed JSON body, or `undefined` when any step
 * is missing. A numeric step indexes an array; `""` is the body itself. Only
 * own properties count, so `"constructor"` or `"__proto__"` in a path never
 * reach into the prototype chain of a body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getPath } from "./json_path.ts";
 * const body = { meta: { next: "abc" }, data: [{ id: 7 }] };
 * assert.equal(getPath(body, "meta.next"), "abc");
 * assert.equal(getPath(body, "data.0.id"), 7);
 * assert.equal(getPath(body, "meta.total"), undefined);
 * assert.equal(getPath(body, ""), body);
 * ```
 */
export function getPath(body: unknown, path: string): unknown {
  if (path === "") return body;
  let at: unknown = body;
  for (const key of path.split(".")) {
    if (Array.isArray(at)) {
      if (!/^(0|[1-9][0-9]*)$/.test(key)) return undefined;
      at = at[Number(key)];
    } else if (
      typeof at === "object" && at !== null && Object.hasOwn(at, key)
    ) {
      at = (at as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  return at;
}

/**
 * Whether `path` is a well-formed dot path: non-empty steps separated by
 * single dots. Used to reject option typos before any request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDotPath } from "./json_path.ts";
 * assert.ok(isDotPath("meta.next"));
 * assert.ok(!isDotPath("meta..next"));
 * assert.ok(!isDotPath(""));
 * ```
 */
export function isDotPath(path: string): boolean {
  return path !== "" && path.split(".").every((step) => step !== "");
}

/**
 * The parts of a records path split at each `[]`: `"rows[].doc"` is
 * `["rows", "doc"]` (each element of the list at `rows`, then its `doc`),
 * `"data.groups[].items"` is `["data.groups", "items"]`, `"[].doc"` is
 * `["", "doc"]` (the body is the list). A path without `[]` is one part.
 * Returns `undefined` for a path that is not well formed (a `[` or `]`
 * that is not `[]`, a `[]` followed by anything but `.step`, an empty step).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordsPathParts } from "./json_path.ts";
 * assert.deepEqual(recordsPathParts("rows[].doc"), ["rows", "doc"]);
 * assert.deepEqual(recordsPathParts("data.items"), ["data.items"]);
 * assert.deepEqual(recordsPathParts("a[].b[].c"), ["a", "b", "c"]);
 * assert.deepEqual(recordsPathParts("rows[]"), ["rows", ""]);
 * assert.equal(recordsPathParts("rows[0].doc"), undefined);
 * assert.equal(recordsPathParts("rows[]doc"), undefined);
 * ```
 */
export function recordsPathParts(path: string): string[] | undefined {
  const raw = path.split("[]");
  const parts: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    let part = raw[i]!;
    if (/[[\]]/.test(part)) return undefined;
    if (i > 0 && part !== "") {
      if (!part.startsWith(".")) return undefined;
      part = part.slice(1);
    }
    if (part !== "" && !isDotPath(part)) return undefined;
    // Only the body itself or the last tail may be empty.
    if (part === "" && i > 0 && i < raw.length - 1) return undefined;
    parts.push(part);
  }
  return parts;
}
