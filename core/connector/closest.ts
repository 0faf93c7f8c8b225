/**
 * "Did you mean": the known name nearest a typo, shared by
 * `defineConnector()`, the paginator factories and the JSON spec checker.
 *
 * @module
 */

/**
 * The known name within two edits of a typo (case aside), if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closest } from "./closest.ts";
 * assert.equal(closest("recordPath", ["recordsPath", "path"]), "recordsPath");
 * assert.equal(closest("ID", ["id", "name"]), "id");
 * assert.equal(closest("zzz", ["id"]), undefined);
 * ```
 */
export function closest(
  word: string,
  known: readonly string[],
): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

// Levenshtein, one row at a time: the names compared are short.
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}
