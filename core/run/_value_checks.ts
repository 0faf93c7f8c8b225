/**
 * Checks of a spec against the values that landed, not only its keys: an
 * incremental `cursorField` no record has (the bookmark never moves), a
 * primary key field no record has (where `allowMissingKey` let them land).
 *
 * @module
 */

import { closest } from "../connector/closest.ts";
import { getPath } from "../connector/json_path.ts";
import type { Row, StreamDef } from "../connector/types.ts";

// Records whose field names are kept for "did you mean": a few suffice.
const SAMPLED = 20;

/**
 * Counts, over the records a sweep lands, the ones that carry the
 * stream's cursor field and each primary key field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ValueChecks } from "./_value_checks.ts";
 * const checks = new ValueChecks("shop/orders", {
 *   path: "/orders",
 *   primaryKey: "ID",
 *   allowMissingKey: true,
 *   paginator: { type: "single", first: () => ({ index: 0 }), next: () => ({ type: "done" }) },
 *   incremental: { cursorField: "updatedAt", param: "since" },
 * });
 * checks.see([{ id: 1, updated_at: "2024-01-01" }, { id: 2, updated_at: "2024-01-02" }]);
 * const [cursor, key] = checks.warnings();
 * assert.match(cursor!, /cursorField "updatedAt" is in none of the 2 records landed \(did you mean "updated_at"\?\)/);
 * assert.match(key!, /primary key field "ID" is missing from all 2 records landed \(did you mean "id"\?\)/);
 * ```
 */
export class ValueChecks {
  readonly #id: string;
  readonly #cursor: string | undefined;
  readonly #keys: readonly string[];
  #records = 0;
  // Only "none at all" is ever reported, so a field found once needs no
  // further lookups: the records of a long run cost nothing past that.
  #cursorSeen = false;
  readonly #keySeen: boolean[];
  readonly #fields = new Set<string>();

  /** Checks for the stream `id` (`connector/stream`) defined by `stream`. */
  constructor(id: string, stream: StreamDef) {
    this.#id = id;
    this.#cursor = stream.incremental?.cursorField;
    // Without the opt-in, a record missing its key already fails the page.
    this.#keys = !stream.allowMissingKey
      ? []
      : typeof stream.primaryKey === "string"
      ? [stream.primaryKey]
      : stream.primaryKey;
    this.#keySeen = this.#keys.map(() => false);
  }

  /** Count records as they land. */
  see(rows: readonly Row[]): void {
    for (const r of rows) {
      if (this.#records++ < SAMPLED) {
        for (const k of Object.keys(r)) this.#fields.add(k);
      }
      if (this.#cursor !== undefined && !this.#cursorSeen) {
        const v = getPath(r, this.#cursor);
        this.#cursorSeen = typeof v === "string" || typeof v === "number" ||
          typeof v === "bigint";
      }
      // A loop, not forEach: a closure per record was most of this
      // method's allocation.
      for (let i = 0; i < this.#keys.length; i++) {
        if (this.#keySeen[i]) continue;
        const v = getPath(r, this.#keys[i]!);
        this.#keySeen[i] = v !== undefined && v !== null;
      }
    }
  }

  /** What looks wrong, one message each, naming the stream and the field. */
  warnings(): string[] {
    const n = this.#records;
    if (n === 0) return [];
    const out: string[] = [];
    if (this.#cursor !== undefined && !this.#cursorSeen) {
      out.push(
        `"${this.#id}": incremental cursorField "${this.#cursor}" is in none of the ${n} records landed${
          this.#hint(this.#cursor)
        }: the bookmark cannot move, so every run pulls everything again`,
      );
    }
    this.#keys.forEach((k, i) => {
      if (this.#keySeen[i]) return;
      out.push(
        `"${this.#id}": primary key field "${k}" is missing from all ${n} records landed${
          this.#hint(k)
        }: records cannot be told apart (merge, deduplication); allowMissingKey lets some lack it, not all`,
      );
    });
    return out;
  }

  #hint(field: string): string {
    const fields = [...this.#fields];
    const hint = closest(field, fields);
    return hint
      ? ` (did you mean "${hint}"?)`
      : ` (records have ${fields.slice(0, 12).join(", ")})`;
  }
}
