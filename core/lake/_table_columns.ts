/**
 * A stream's columns as its Iceberg table knows them: the table's schema
 * (stable field ids), evolved by the files this run writes, and the lake
 * type of each column (kept in the table property `inlet.lake-types`, so the
 * next run starts its files from the same types: a column the table holds as
 * `double` stays DOUBLE even when a page brings only whole numbers).
 *
 * @module
 */
import { SchemaError } from "../connector/errors.ts";
import { lakeColumns, typedFields } from "../iceberg/lake_columns.ts";
import { icebergSchemaKeyValue } from "../iceberg/parquet_schema.ts";
import {
  columnSpecType,
  type EvolvedSchema,
  evolveSchema,
} from "../iceberg/schema.ts";
import type {
  IcebergField,
  IcebergSchema,
  IcebergType,
} from "../iceberg/types.ts";
import type { Column, ColumnType, Schema } from "./schema.ts";

/** The table's schema cannot take a file's columns (the message names the stream and field). */
export class TableSchemaError extends SchemaError {
  /** Build the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SchemaError";
  }
}

/** The table property holding each column's lake type. */
export const LAKE_TYPES = "inlet.lake-types";

/** The schema a table starts from before its first commit. */
const EMPTY: IcebergSchema = { type: "struct", "schema-id": 0, fields: [] };

/** A table's schema, evolved by the files of one run. */
export class TableColumns {
  /** The table's schema this run's commits build on (`undefined`: a new table). */
  base: IcebergSchema | undefined;
  readonly #stream: string;
  #evolved: EvolvedSchema;
  readonly #types: Record<string, ColumnType>;
  #checked = "";

  constructor(
    stream: string,
    base: IcebergSchema | undefined,
    lastColumnId: number,
    types: Readonly<Record<string, string>>,
  ) {
    this.#stream = stream;
    this.base = base;
    this.#evolved = base === undefined
      ? { schema: EMPTY, lastColumnId: 0, changed: true }
      : { schema: base, lastColumnId, changed: false };
    this.#types = { ...types } as Record<string, ColumnType>;
  }

  /** The columns a run's first file starts from: the table's, typed as before. */
  seed(): Schema {
    const out: Array<{ name: string; type: ColumnType }> = [];
    for (const f of this.#evolved.schema.fields) {
      const type = this.#types[f.name];
      if (type !== undefined) out.push({ name: f.name, type });
    }
    return out;
  }

  /**
   * Check that the table can take `schema` (a file's columns so far): a
   * {@linkcode SchemaError} naming the stream and field when it cannot.
   */
  check(schema: Schema): void {
    const key = schema.map((c) => `${c.name}:${c.type}`).join(",");
    if (key === this.#checked) return;
    this.#evolve(schema);
    this.#checked = key;
  }

  /** Fix a file's columns: the table evolves by them; the columns with their ids. */
  fix(schema: Schema): { schema: Schema; meta: string } {
    this.#evolved = this.#evolve(schema);
    for (const c of schema) {
      if (c.type !== "NULL" && c.type !== "LIST<NULL>") {
        this.#types[c.name] = c.type;
      }
    }
    return {
      schema: withIds(schema, this.#evolved.schema.fields),
      meta: icebergSchemaKeyValue(this.#evolved.schema).value!,
    };
  }

  /** The table's schema with every fixed file's columns. */
  get evolved(): EvolvedSchema {
    return this.#evolved;
  }

  /** The lake types, for the table property {@linkcode LAKE_TYPES}. */
  get types(): Readonly<Record<string, ColumnType>> {
    return this.#types;
  }

  /** `schema` is the table's now (this run committed it). */
  committed(schema: IcebergSchema, lastColumnId: number): void {
    this.base = schema;
    this.#evolved = { schema, lastColumnId, changed: false };
  }

  /**
   * Another writer's commit came first with the table's schema `fresh`:
   * build on it, if every column this run's files carry keeps its field
   * id; `false` (nothing changed) when one would not.
   */
  rebase(fresh: IcebergSchema | undefined, lastColumnId: number): boolean {
    if (fresh?.["schema-id"] === this.base?.["schema-id"]) return true;
    const mine = this.#evolved.schema.fields;
    const next = evolveSchema(
      fresh,
      mine.map((f) => ({ name: f.name, type: columnSpecType(f.type) })),
      { table: `"${this.#stream}"`, lastColumnId },
    );
    if (!sameIds(mine, next.schema.fields)) return false;
    this.base = fresh;
    this.#evolved = next;
    return true;
  }

  #evolve(schema: Schema): EvolvedSchema {
    const current = this.#evolved;
    try {
      const next = evolveSchema(
        current.schema.fields.length === 0 && this.base === undefined
          ? undefined
          : current.schema,
        lakeColumns(schema),
        { table: `"${this.#stream}"`, lastColumnId: current.lastColumnId },
      );
      return { ...next, changed: next.changed || current.changed };
    } catch (err) {
      if (!(err instanceof SchemaError)) throw err;
      throw new TableSchemaError(
        `${err.message}; the table's files hold the old type, so pull into a new lake to change it (a state reset keeps the table's schema)`,
        { cause: err },
      );
    }
  }
}

/** A file's columns with the field ids the table gave them (nested ones too). */
function withIds(
  schema: Schema,
  fields: readonly IcebergField[],
): Column[] {
  const byName = new Map(fields.map((f) => [f.name, f]));
  return schema.map((c) => {
    const f = byName.get(c.name);
    if (f === undefined || c.type === "NULL") return c;
    const t = f.type;
    if (typeof t !== "string" && t.type === "struct") {
      const inner = (typedFields(c.type) ?? []).map(([name, type]) => ({
        name,
        type,
      }));
      return {
        name: c.name,
        type: c.type,
        fieldId: f.id,
        fields: withIds(inner, t.fields),
      };
    }
    return {
      name: c.name,
      type: c.type,
      fieldId: f.id,
      ...(typeof t === "string" ? {} : { elementId: t["element-id"] }),
    };
  });
}

/** Whether every field of `mine` (nested ones too) has the same id in `theirs`. */
function sameIds(
  mine: readonly IcebergField[],
  theirs: readonly IcebergField[],
): boolean {
  const ids = new Map(theirs.map((f) => [f.name, f]));
  return mine.every((f) => {
    const g = ids.get(f.name);
    return g !== undefined && g.id === f.id && sameTypeIds(f.type, g.type);
  });
}

function sameTypeIds(a: IcebergType, b: IcebergType): boolean {
  if (typeof a === "string") return true;
  if (typeof b === "string" || a.type !== b.type) return false;
  if (a.type === "list") {
    return b.type === "list" && a["element-id"] === b["element-id"];
  }
  return b.type === "struct" && sameIds(a.fields, b.fields);
}
