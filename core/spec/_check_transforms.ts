/**
 * A spec stream's `transforms`: each one's shape, with did-you-mean for a
 * misspelt kind or field. Placeholders are checked by `defineConnector()`.
 *
 * @module
 */
import type { Transform } from "../connector/mod.ts";
import { describe, join, type SpecChecker } from "./_spec_checker.ts";

const KINDS = { add: 1, rename: 1, drop: 1, keep: 1 } as const;

/**
 * Check the list of transforms at `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTransforms } from "./_check_transforms.ts";
 * import { SpecChecker } from "./_spec_checker.ts";
 * const c = new SpecChecker("x.json");
 * assert.equal(checkTransforms(c, "t", [{ drop: ["_rev"] }]).length, 1);
 * assert.throws(() => checkTransforms(c, "t", [{ rname: { _id: "id" } }]), /did you mean "rename"/);
 * ```
 */
export function checkTransforms(
  c: SpecChecker,
  path: string,
  raw: unknown,
): Transform[] {
  if (!Array.isArray(raw)) {
    c.fail(path, `must be a list of transforms; got ${describe(raw)}`);
  }
  raw.forEach((t, i) => {
    const p = `${path}[${i}]`;
    const o = c.object(p, t, KINDS);
    const kinds = Object.keys(o);
    if (kinds.length !== 1) {
      c.fail(
        p,
        `must hold exactly one of add, rename, drop, keep; got ${
          kinds.join(", ") || "none"
        }`,
      );
    }
    const kind = kinds[0]!;
    const v = o[kind];
    if (kind === "add") {
      for (
        const [k, x] of Object.entries(
          c.object(join(p, kind), v, v as Record<string, unknown>),
        )
      ) {
        if (x !== null) c.value(join(join(p, kind), k), x, "scalar");
      }
    } else if (kind === "rename") {
      c.record(join(p, kind), v, "name");
    } else if (kind === "drop") {
      c.list(join(p, kind), v, "name", 1);
    } else {
      const k = c.object(join(p, kind), v, {
        field: 1,
        equals: 1,
        notEquals: 1,
      });
      c.value(join(join(p, kind), "field"), k.field, "name");
      const tests = ["equals", "notEquals"].filter((n) => Object.hasOwn(k, n));
      if (tests.length !== 1) {
        c.fail(join(p, kind), "must have exactly one of equals, notEquals");
      }
      const want = k[tests[0]!];
      if (want !== null) {
        c.value(join(join(p, kind), tests[0]!), want, "scalar");
      }
    }
  });
  return raw as Transform[];
}
