/**
 * Struct column types: a nested object's type, and structs widened field
 * by field, which is how a nested object column holds objects of more than
 * one shape.
 *
 * @module
 */
import {
  type LakeColumnType,
  type StructField,
  structFields,
  structType,
} from "../iceberg/lake_columns.ts";
import type { Row } from "../connector/types.ts";

/**
 * Most fields a struct column may have. Objects whose keys are data (ids,
 * dates, names) rather than a fixed set of fields would grow the struct by a
 * column per key: past this many they are JSON text instead.
 */
export const MAX_STRUCT_FIELDS = 100;

/** Deepest nesting kept as structs; deeper objects are JSON text. */
export const MAX_STRUCT_DEPTH = 8;

/**
 * The struct holding both `a` and `b`: `a`'s fields in order, each widened
 * by `b`'s of the same name, then the fields only `b` has. A field whose
 * two types nothing holds, or too many fields, make the shape unstable:
 * the column is then JSON text.
 */
export function widenStruct(
  a: readonly StructField[],
  b: readonly StructField[],
  widen: (x: LakeColumnType, y: LakeColumnType) => LakeColumnType | undefined,
): LakeColumnType {
  const types = new Map<string, LakeColumnType>(a);
  for (const [name, t] of b) {
    const was = types.get(name);
    if (was === undefined) {
      types.set(name, t);
      continue;
    }
    const wider = widen(was, t);
    if (wider === undefined) return "JSON";
    types.set(name, wider);
  }
  if (types.size > MAX_STRUCT_FIELDS) return "JSON";
  return structType([...types]);
}

/**
 * A plain object's struct type; JSON text when it is too deep or wide, has
 * an empty key, or is not plain data (a `toJSON()` says what it is).
 */
export function objectType(
  value: Row,
  depth: number,
  valueType: (v: unknown, depth: number) => LakeColumnType,
): LakeColumnType {
  const proto = Object.getPrototypeOf(value);
  if (
    depth >= MAX_STRUCT_DEPTH ||
    (proto !== Object.prototype && proto !== null) ||
    typeof value.toJSON === "function"
  ) {
    return "JSON";
  }
  const fields: StructField[] = [];
  for (const key in value) {
    if (key === "" || fields.length === MAX_STRUCT_FIELDS) return "JSON";
    const v = value[key];
    if (typeof v === "function" || typeof v === "symbol") return "JSON";
    fields.push([key, valueType(v, depth + 1)]);
  }
  return structType(fields);
}

/**
 * A struct type as a file fixes it: a nested field that is an empty list
 * everywhere so far, or a struct (at any depth) with no typed field, is
 * JSON text, so that `{}` and `[]` read back as written rather than null,
 * and a later shape still fits (JSON holds any). Other types as they are.
 */
export function settledType(type: LakeColumnType): LakeColumnType {
  const fields = structFields(type);
  if (fields === undefined) return type;
  const settled = fields.map(([name, t]): StructField => [
    name,
    t === "LIST<NULL>" ? "JSON" : settledType(t),
  ]);
  return settled.some(([, t]) => t !== "NULL") ? structType(settled) : "JSON";
}

/** Each column of `schema` with its {@linkcode settledType}. */
export function settleSchema<C extends { readonly type: LakeColumnType }>(
  schema: readonly C[],
): C[] {
  return schema.map((c) => {
    const type = settledType(c.type);
    return type === c.type ? c : { ...c, type };
  });
}

const parsed = new Map<string, ReadonlyMap<string, LakeColumnType>>();

/** A struct type's fields by name, parsed once per type. */
function fieldMap(type: LakeColumnType): ReadonlyMap<string, LakeColumnType> {
  let fields = parsed.get(type);
  if (fields === undefined) {
    if (parsed.size > 1000) parsed.clear(); // Types of a few streams, bounded.
    fields = new Map(structFields(type));
    parsed.set(type, fields);
  }
  return fields;
}

/**
 * Whether the struct `type` holds `value` as it is (no new field, no
 * widening): the fast path of typing a nested object, which otherwise
 * builds its whole type. `false` means "type it", not "it does not fit".
 */
export function structHolds(
  type: LakeColumnType,
  value: Row,
  typeOf: (v: unknown) => LakeColumnType,
  widen: (a: LakeColumnType, b: LakeColumnType) => LakeColumnType | undefined,
  depth = 0,
): boolean {
  const proto = Object.getPrototypeOf(value);
  if (
    depth >= MAX_STRUCT_DEPTH ||
    (proto !== Object.prototype && proto !== null) ||
    typeof value.toJSON === "function"
  ) {
    return false;
  }
  const fields = fieldMap(type);
  for (const key in value) {
    const ft = fields.get(key);
    if (ft === undefined) return false;
    const v = value[key];
    if (v === null || v === undefined) continue;
    if (ft === "JSON") continue; // JSON text holds any value.
    if (typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)) {
      if (
        !ft.startsWith("STRUCT<") ||
        !structHolds(ft, v as Row, typeOf, widen, depth + 1)
      ) {
        return false;
      }
      continue;
    }
    if (typeof v === "function" || typeof v === "symbol") return false;
    let t: LakeColumnType;
    try {
      t = typeOf(v);
    } catch {
      return false; // The slow path says what is wrong with it.
    }
    if (t !== ft && widen(ft, t) !== ft) return false;
  }
  return true;
}

/**
 * The first nested field of struct `was` that `now` gives a type no one
 * type holds with its own (`"user.id" was INT64, now STRING`), or
 * `undefined`: what made a struct column turn JSON text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nestedConflict } from "./_struct_type.ts";
 * import { widenType } from "./schema.ts";
 * assert.equal(
 *   nestedConflict('STRUCT<[["a","INT64"]]>', 'STRUCT<[["a","STRING"]]>', "s", widenType),
 *   '"s.a" was INT64, now STRING',
 * );
 * ```
 */
export function nestedConflict(
  was: LakeColumnType,
  now: LakeColumnType,
  path: string,
  widen: (a: LakeColumnType, b: LakeColumnType) => LakeColumnType | undefined,
): string | undefined {
  const a = structFields(was), b = structFields(now);
  if (a === undefined || b === undefined) return undefined;
  const types = new Map(a);
  for (const [name, t] of b) {
    const w = types.get(name);
    if (w === undefined) continue;
    const at = `${path}.${name}`;
    const inner = nestedConflict(w, t, at, widen);
    if (inner !== undefined) return inner;
    if (widen(w, t) === undefined) return `"${at}" was ${w}, now ${t}`;
  }
  return undefined;
}
