/**
 * A stream's `paginator`: its type, the options that type takes, and the
 * paginator they make.
 *
 * @module
 */
import type { Paginator } from "../connector/mod.ts";
import { join, type Kind, type SpecChecker } from "./_spec_checker.ts";
import { PAGINATOR_TYPES, PAGINATORS } from "./paginator_types.ts";

/** Check the `paginator` at `path` and make it. */
export function checkPaginator(
  c: SpecChecker,
  path: string,
  raw: unknown,
): Paginator {
  // Any type's option is known here, so that a typo gets its "did you
  // mean" before the type decides which options are allowed.
  const o = c.object(path, raw, {
    type: 1,
    ...Object.fromEntries(allPaginatorFields()),
  });
  if (o.type === undefined) c.fail(join(path, "type"), "is required");
  c.value(join(path, "type"), o.type, PAGINATOR_TYPES);
  const def = PAGINATORS[o.type as keyof typeof PAGINATORS];
  const { type: _, ...options } = o;
  const fields: Record<string, Kind> = def.fields;
  for (const key of Object.keys(options)) {
    if (!(key in fields)) {
      const known = Object.keys(fields);
      c.fail(
        join(path, key),
        `is not an option of the ${o.type} paginator; ${
          known.length ? `its options: ${known.join(", ")}` : "it takes none"
        }`,
      );
    }
  }
  c.fields(path, options, fields);
  try {
    return def.make(options);
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) {
      c.fail(path, `is not a valid ${o.type} paginator: ${err.message}`);
    }
    throw err;
  }
}

function allPaginatorFields(): Array<[string, 1]> {
  return Object.values(PAGINATORS).flatMap((p) =>
    Object.keys(p.fields).map((k): [string, 1] => [k, 1])
  );
}
