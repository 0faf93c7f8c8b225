/**
 * A struct column filled a page at a time: a presence mask and one filler
 * per stored field, so a nested object crosses to the encoder thread as
 * typed arrays, like any other column, and not as a clone of every object.
 *
 * @module
 */
import { type Filler, Fixed } from "./_column_fillers.ts";
import type { BuiltColumn } from "./_column_group.ts";
import { describe } from "./_row_failure.ts";

/**
 * Fills a struct's fields, each with its own filler; a field missing from
 * an object, or null, is null. A value that is not an object, or a field
 * its filler refuses, throws, the field's path in the message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntFiller } from "./_column_fillers.ts";
 * import { TextFiller } from "./_text_filler.ts";
 * import { StructFiller } from "./_struct_filler.ts";
 * const f = new StructFiller(["rank", "source"], [new IntFiller(), new TextFiller(1024)]);
 * f.push({ rank: 1, source: "api" });
 * f.pushNull();
 * f.push({ rank: 2 });
 * f.endPage();
 * const built = f.take();
 * assert.equal(built.kind, "struct");
 * assert.deepEqual([...(built.kind === "struct" ? built.present : [])], [1, 0, 1]);
 * assert.throws(() => f.push("api"), /an object/);
 * ```
 */
export class StructFiller extends Fixed {
  readonly #names: readonly string[];
  readonly #fields: readonly Filler[];

  /** `fields[k]` fills the field named `names[k]`. */
  constructor(names: readonly string[], fields: readonly Filler[]) {
    super();
    this.#names = names;
    this.#fields = fields;
  }

  push(value: unknown): void {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TypeError(
        `expected an object, got ${
          Array.isArray(value) ? "an array" : typeof value
        }`,
      );
    }
    const row = value as Record<string, unknown>;
    for (let k = 0; k < this.#names.length; k++) {
      const name = this.#names[k]!;
      const v = row[name];
      try {
        if (v === null || v === undefined) this.#fields[k]!.pushNull();
        else this.#fields[k]!.push(v);
      } catch (err) {
        if (err instanceof RangeError && err.message.startsWith("Cannot ")) {
          throw err;
        }
        throw new Error(`.${name}: ${describe(err)}`, { cause: err });
      }
    }
    this.mark(1);
  }

  pushNull(): void {
    for (const field of this.#fields) field.pushNull();
    this.mark(0);
  }

  override endPage(): void {
    for (const field of this.#fields) field.endPage();
  }

  take(): BuiltColumn {
    return {
      kind: "struct",
      present: this.present.view(),
      names: [...this.#names],
      fields: this.#fields.map((f) => f.take()),
    };
  }
}
