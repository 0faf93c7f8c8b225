/**
 * Table schemas with stable field ids, and their evolution. A column keeps
 * its field id for the life of the table (readers match Parquet columns to
 * it by id, not by name), and a schema changes only in the ways the Iceberg
 * spec lets every reader follow: `int` → `long`, `float` → `double`, a wider
 * decimal precision, a new optional column, a required column becoming
 * optional. Anything else is a {@linkcode SchemaError} naming the field.
 *
 * @module
 */
import { SchemaError } from "../connector/errors.ts";
import type {
  IcebergField,
  IcebergSchema,
  IcebergType,
  PrimitiveType,
} from "./types.ts";

/**
 * A column as a writer sees it, before it has a field id.
 *
 * @example
 * ```ts
 * import type { ColumnSpec } from "./schema.ts";
 * const tags: ColumnSpec = { name: "tags", type: { type: "list", element: "string" } };
 * ```
 */
export interface ColumnSpec {
  readonly name: string;
  readonly type: PrimitiveType | {
    readonly type: "list";
    readonly element: PrimitiveType;
  } | {
    readonly type: "struct";
    readonly fields: readonly ColumnSpec[];
  };
  /** @default {false} */
  readonly required?: boolean;
}

/**
 * Options for {@linkcode evolveSchema}.
 *
 * @example
 * ```ts
 * import type { EvolveOptions } from "./schema.ts";
 * const o: EvolveOptions = { table: "demo/items", lastColumnId: 7 };
 * ```
 */
export interface EvolveOptions {
  /** The table, for messages. @default {"the table"} */
  readonly table?: string;
  /**
   * The table's `last-column-id`: new ids start above it, so an id is never
   * reused even for a column dropped long ago.
   * @default {the highest id in `current`}
   */
  readonly lastColumnId?: number;
}

/**
 * What {@linkcode evolveSchema} decided.
 *
 * @example
 * ```ts
 * import type { EvolvedSchema } from "./schema.ts";
 * const keep = (e: EvolvedSchema) => e.changed ? e.schema : undefined;
 * ```
 */
export interface EvolvedSchema {
  /** The schema to write with: `current` itself when nothing changed. */
  readonly schema: IcebergSchema;
  /** The new `last-column-id`. */
  readonly lastColumnId: number;
  /** Whether `schema` differs from `current` (a new schema id). */
  readonly changed: boolean;
}

const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/;

/** Whether a `from` value can be read as `to` with nothing lost. */
function promotes(from: PrimitiveType, to: PrimitiveType): boolean {
  if (from === to) return true;
  if (from === "int" && to === "long") return true;
  if (from === "float" && to === "double") return true;
  const a = DECIMAL.exec(from), b = DECIMAL.exec(to);
  return a !== null && b !== null && a[2] === b[2] &&
    Number(a[1]) <= Number(b[1]);
}

function typeName(t: IcebergType | ColumnSpec["type"]): string {
  if (typeof t === "string") return t;
  if (t.type === "list") return `list<${typeName(t.element)}>`;
  return `struct<${
    t.fields.map((f: IcebergField | ColumnSpec) =>
      `${f.name}: ${typeName(f.type)}`
    ).join(", ")
  }>`;
}

function maxId(fields: readonly IcebergField[]): number {
  let max = 0;
  for (const f of fields) max = Math.max(max, f.id, maxTypeId(f.type));
  return max;
}

function maxTypeId(t: IcebergType): number {
  if (typeof t === "string") return 0;
  if (t.type === "list") return Math.max(t["element-id"], maxTypeId(t.element));
  return maxId(t.fields);
}

/**
 * The writer's view of an Iceberg type (no ids): what `evolveSchema()` takes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnSpecType } from "./schema.ts";
 * assert.deepEqual(
 *   columnSpecType({ type: "list", "element-id": 3, element: "long", "element-required": false }),
 *   { type: "list", element: "long" },
 * );
 * ```
 */
export function columnSpecType(t: IcebergType): ColumnSpec["type"] {
  if (typeof t === "string") return t;
  if (t.type === "list") {
    return { type: "list", element: t.element as PrimitiveType };
  }
  return {
    type: "struct",
    fields: t.fields.map((f) => ({
      name: f.name,
      type: columnSpecType(f.type),
    })),
  };
}

/**
 * `current` widened to hold `incoming`, with field ids kept: a column is
 * matched by name, a new one gets the next id (always optional once the
 * table has data, as old files have no value for it), a column `incoming`
 * lacks stays as it is but becomes optional (the new rows have no value for
 * it either). An incoming type narrower than the table's (an `int` for a
 * `long` column) is written as the table's type. Without `current`, the
 * first schema (id 0) is built.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evolveSchema } from "./schema.ts";
 * const first = evolveSchema(undefined, [{ name: "id", type: "int", required: true }]);
 * const next = evolveSchema(first.schema, [
 *   { name: "id", type: "long" },
 *   { name: "title", type: "string" },
 * ]);
 * assert.deepEqual(next.schema.fields, [
 *   { id: 1, name: "id", required: false, type: "long" },
 *   { id: 2, name: "title", required: false, type: "string" },
 * ]);
 * assert(next.changed && next.schema["schema-id"] === 1);
 * assert.throws(
 *   () => evolveSchema(next.schema, [{ name: "id", type: "string" }], { table: "demo/items" }),
 *   /field "id" was long, now string/,
 * );
 * ```
 */
export function evolveSchema(
  current: IcebergSchema | undefined,
  incoming: readonly ColumnSpec[],
  options: EvolveOptions = {},
): EvolvedSchema {
  const table = options.table ?? "the table";
  const fields = current?.fields ?? [];
  let lastId = options.lastColumnId ?? maxId(fields);
  const byName = new Map(incoming.map((c) => [c.name, c]));
  if (byName.size !== incoming.length) {
    throw new TypeError(
      `Cannot evolve the schema of ${table}: a column name appears twice`,
    );
  }
  const ids = { last: lastId, table };
  const out = evolveFields(fields, incoming, current !== undefined, ids, "");
  lastId = ids.last;
  const changed = current === undefined ||
    JSON.stringify(out) !== JSON.stringify(current.fields);
  if (!changed) return { schema: current, lastColumnId: lastId, changed };
  const schema: IcebergSchema = {
    type: "struct",
    "schema-id": current === undefined ? 0 : current["schema-id"] + 1,
    fields: out,
  };
  return { schema, lastColumnId: lastId, changed };
}

/** The ids handed out so far, and the table for messages. */
interface Ids {
  last: number;
  readonly table: string;
}

/**
 * `fields` widened by `incoming` (matched by name, ids kept), then the new
 * fields with new ids; `prefix` names a struct's fields in messages.
 */
function evolveFields(
  fields: readonly IcebergField[],
  incoming: readonly ColumnSpec[],
  hasRows: boolean,
  ids: Ids,
  prefix: string,
): IcebergField[] {
  const byName = new Map(incoming.map((c) => [c.name, c]));
  const out: IcebergField[] = [];
  for (const field of fields) {
    const spec = byName.get(field.name);
    byName.delete(field.name);
    const type = spec === undefined
      ? field.type
      : widen(field.type, spec.type, `${prefix}${field.name}`, ids);
    const required = field.required && spec?.required === true;
    out.push({ ...field, type, required });
  }
  for (const spec of byName.values()) {
    if (hasRows && spec.required === true) {
      throw new SchemaError(
        `Cannot evolve the schema of ${ids.table}: new field ${
          JSON.stringify(`${prefix}${spec.name}`)
        } is required, but the rows already written have no value for it`,
      );
    }
    const id = ++ids.last;
    out.push({
      id,
      name: spec.name,
      required: spec.required === true,
      type: newType(spec.type, ids),
    });
  }
  return out;
}

/** A new column's type, its nested fields numbered after the column. */
function newType(t: ColumnSpec["type"], ids: Ids): IcebergType {
  if (typeof t === "string") return t;
  if (t.type === "list") {
    return {
      type: "list",
      "element-id": ++ids.last,
      element: t.element,
      "element-required": false,
    };
  }
  const fields: IcebergField[] = [];
  for (const f of t.fields) {
    const id = ++ids.last;
    fields.push({
      id,
      name: f.name,
      required: false,
      type: newType(f.type, ids),
    });
  }
  return { type: "struct", fields };
}

function widen(
  was: IcebergType,
  now: ColumnSpec["type"],
  name: string,
  ids: Ids,
): IcebergType {
  const refuse = () =>
    new SchemaError(
      `Cannot evolve the schema of ${ids.table}: field ${
        JSON.stringify(name)
      } was ${typeName(was)}, now ${
        typeName(now)
      }; only int→long, float→double, a wider decimal, a new optional field and required→optional are allowed`,
    );
  if (typeof was === "string" && typeof now === "string") {
    if (promotes(now, was)) return was;
    if (promotes(was, now)) return now;
    throw refuse();
  }
  if (typeof was === "string" || typeof now === "string") throw refuse();
  if (was.type === "struct" && now.type === "struct") {
    // Field by field: old fields keep their ids, new ones are added.
    return {
      ...was,
      fields: evolveFields(was.fields, now.fields, true, ids, `${name}.`),
    };
  }
  if (was.type !== "list" || now.type !== "list") throw refuse();
  const element = widen(was.element, now.element, `${name}.element`, ids);
  if (typeof element !== "string") throw refuse();
  return { ...was, element };
}
