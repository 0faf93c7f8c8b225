/**
 * A stream's declarative record transforms, applied to one page's records.
 * Values are moved, never re-encoded, so big integers and nested objects
 * land exactly as the source sent them.
 *
 * @module
 */

import { PaginationError } from "../connector/errors.ts";
import { getPath } from "../connector/json_path.ts";
import type { Row, Transform } from "../connector/types.ts";
import { show } from "./_paginator_options.ts";

type Where = { stream?: string; url?: string; page?: number };

/** What placeholders are filled from: the lane's variables and the parent record. */
export interface TransformContext {
  /** Option values and the parent placeholder, by name. */
  vars?: Readonly<Record<string, string>>;
  /** The parent record of a dependent stream's request. */
  parent?: Row;
}

/**
 * Apply `transforms` in order to `records`, returning new records (the
 * input is not changed). Throws {@linkcode PaginationError} naming the page
 * when a placeholder cannot be filled or a rename would overwrite a field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyTransforms } from "./_apply_transforms.ts";
 * const out = applyTransforms(
 *   [{ _id: "a", _rev: "1", type: "issue", n: 2n ** 60n }, { _id: "b", type: "pr" }],
 *   [
 *     { add: { repo: "{parent.full_name}", big: "{parent.big}" } },
 *     { rename: { _id: "id" } },
 *     { drop: ["_rev"] },
 *     { keep: { field: "type", equals: "issue" } },
 *   ],
 *   { parent: { full_name: "a/b", big: 2n ** 64n } },
 *   {},
 * );
 * assert.deepEqual(out, [{ id: "a", type: "issue", n: 2n ** 60n, repo: "a/b", big: 2n ** 64n }]);
 * ```
 */
export function applyTransforms(
  records: readonly Row[],
  transforms: readonly Transform[] | undefined,
  ctx: TransformContext,
  where: Where,
): Row[] {
  if (!transforms?.length) return records as Row[];
  let rows = records as Row[];
  transforms.forEach((t, i) => {
    const at = `transforms[${i}]`;
    if ("add" in t) {
      const values = Object.entries(t.add).map(([k, v]) =>
        [k, fill(v, ctx, `${at}.add.${k}`, where)] as const
      );
      rows = rows.map((r) => ({ ...r, ...Object.fromEntries(values) }));
    } else if ("rename" in t) {
      rows = rows.map((r, n) => rename(r, t.rename, `${at}.rename`, n, where));
    } else if ("drop" in t) {
      const drop = new Set(t.drop);
      rows = rows.map((r) =>
        Object.fromEntries(Object.entries(r).filter(([k]) => !drop.has(k)))
      );
    } else {
      const k = t.keep;
      const want = "equals" in k ? k.equals : k.notEquals;
      const eq = "equals" in k;
      rows = rows.filter((r) => same(getPath(r, k.field), want) === eq);
    }
  });
  return rows;
}

// Two values equal as JSON scalars: a big integer equals its number.
function same(a: unknown, b: unknown): boolean {
  if (typeof a === "bigint" && typeof b === "number") {
    return Number.isInteger(b) && a === BigInt(b);
  }
  return a === b;
}

function rename(
  r: Row,
  names: Readonly<Record<string, string>>,
  at: string,
  n: number,
  where: Where,
): Row {
  for (const [from, to] of Object.entries(names)) {
    if (Object.hasOwn(r, from) && Object.hasOwn(r, to) && from !== to) {
      throw new PaginationError(
        `${at}: record ${
          n + 1
        } has both "${from}" and "${to}"; renaming would lose a value`,
        where,
      );
    }
  }
  // Rebuilt in order, so the renamed field keeps its column position.
  return Object.fromEntries(
    Object.entries(r).map((
      [k, v],
    ) => [Object.hasOwn(names, k) ? names[k]! : k, v]),
  );
}

// A template's value: a whole placeholder keeps its type; text is filled in.
function fill(
  v: string | number | boolean | null,
  ctx: TransformContext,
  at: string,
  where: Where,
): unknown {
  if (typeof v !== "string") return v;
  const whole = /^\{([^{}]+)\}$/.exec(v);
  if (whole) return lookup(whole[1]!, ctx, at, where);
  return v.replace(/\{([^{}]+)\}/g, (_, name: string) => {
    const found = lookup(name, ctx, at, where);
    if (
      typeof found === "object" || found === null || found === undefined
    ) {
      throw new PaginationError(
        `${at}: {${name}} is ${show(found)}, which cannot go in a text`,
        where,
      );
    }
    return String(found);
  });
}

function lookup(
  name: string,
  ctx: TransformContext,
  at: string,
  where: Where,
): unknown {
  if (name.startsWith("parent.")) {
    const v = ctx.parent === undefined
      ? undefined
      : getPath(ctx.parent, name.slice(7));
    if (v === undefined) {
      throw new PaginationError(
        `${at}: the parent record has no "${name.slice(7)}" for {${name}}`,
        where,
      );
    }
    return v;
  }
  const v = ctx.vars?.[name];
  if (v === undefined) {
    throw new PaginationError(`${at}: no value for {${name}}`, where);
  }
  return v;
}
