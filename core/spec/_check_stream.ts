/**
 * One stream of a spec: its path, key and paginator, and the optional
 * parts (params, incremental, partition, parent, the input opt-ins).
 *
 * @module
 */
import {
  type ColumnDeclaration,
  columnTypeProblem,
  type StreamDef,
} from "../connector/mod.ts";
import { checkPaginator } from "./_check_paginator.ts";
import { checkTransforms } from "./_check_transforms.ts";
import { describe, join, type SpecChecker } from "./_spec_checker.ts";
import { PAGINATOR_TYPES } from "./paginator_types.ts";

const STREAM_FIELDS = {
  path: "text",
  params: "object",
  method: "enum",
  body: "object",
  recordsPath: "text",
  transforms: "list",
  primaryKey: "key",
  writeDisposition: "enum",
  columns: "object",
  incremental: "object",
  partition: "object",
  parent: "object",
  paginator: "object",
  description: "text",
  allowNullRecords: "bool",
  allowSingleRecord: "bool",
  allowMissingKey: "bool",
  allowInvalidUtf8: "bool",
} as const;

/** The stream's opt-ins to input that is otherwise an error. */
const STREAM_FLAGS = [
  "allowNullRecords",
  "allowSingleRecord",
  "allowMissingKey",
  "allowInvalidUtf8",
] as const;

/**
 * Check the stream `self` at `path`; `streamNames` are all the spec's
 * streams, one of which a `parent` must name.
 */
export function checkStream(
  c: SpecChecker,
  path: string,
  raw: unknown,
  streamNames: readonly string[],
  self: string,
): StreamDef {
  const s = c.object(path, raw, STREAM_FIELDS);
  for (const r of ["path", "primaryKey", "paginator"]) {
    if (s[r] === undefined) {
      c.fail(
        join(path, r),
        r === "paginator"
          ? `is required (inlet never guesses how a stream pages): one of ${
            PAGINATOR_TYPES.join(", ")
          }`
          : "is required",
      );
    }
  }
  c.value(join(path, "path"), s.path, "text");
  const stream: StreamDef = {
    path: s.path as string,
    primaryKey: typeof s.primaryKey === "string"
      ? c.value(join(path, "primaryKey"), s.primaryKey, "name") as string
      : Array.isArray(s.primaryKey)
      ? c.list(join(path, "primaryKey"), s.primaryKey, "name", 1)
      : c.fail(
        join(path, "primaryKey"),
        `must be a field name or a list of them; got ${describe(s.primaryKey)}`,
      ),
    paginator: checkPaginator(c, join(path, "paginator"), s.paginator),
  };
  checkPlainFields(c, path, s, stream);
  if (s.columns !== undefined) {
    stream.columns = checkColumnTypes(c, path, s.columns, self);
  }
  if (s.incremental !== undefined) {
    stream.incremental = checkIncremental(c, path, s.incremental);
  }
  if (s.partition !== undefined) {
    stream.partition = checkPartition(c, path, s.partition);
  }
  if (s.parent !== undefined) {
    stream.parent = checkParent(c, path, s.parent, stream, streamNames, self);
  }
  return stream;
}

// The fields that are one value each, set on `stream` as given.
function checkPlainFields(
  c: SpecChecker,
  path: string,
  s: Record<string, unknown>,
  stream: StreamDef,
): void {
  if (s.params !== undefined) {
    stream.params = c.record(join(path, "params"), s.params, "scalar") as
      & StreamDef["params"]
      & object;
  }
  if (s.method !== undefined) {
    stream.method = c.value(join(path, "method"), s.method, [
      "GET",
      "POST",
    ]) as "GET" | "POST";
  }
  if (s.body !== undefined) {
    if (
      typeof s.body !== "object" || s.body === null || Array.isArray(s.body)
    ) {
      c.fail(
        join(path, "body"),
        `must be a JSON object; got ${describe(s.body)}`,
      );
    }
    stream.body = s.body as Record<string, unknown>;
  }
  if (s.recordsPath !== undefined) {
    stream.recordsPath = c.value(
      join(path, "recordsPath"),
      s.recordsPath,
      "text",
    ) as string;
  }
  if (s.transforms !== undefined) {
    stream.transforms = checkTransforms(
      c,
      join(path, "transforms"),
      s.transforms,
    );
  }
  for (const flag of STREAM_FLAGS) {
    if (s[flag] !== undefined) {
      stream[flag] = c.value(join(path, flag), s[flag], "bool") as boolean;
    }
  }
  if (s.writeDisposition !== undefined) {
    stream.writeDisposition = c.value(
      join(path, "writeDisposition"),
      s.writeDisposition,
      [
        "append",
        "merge",
        "replace",
      ],
    ) as StreamDef["writeDisposition"] & string;
  }
}

function checkIncremental(
  c: SpecChecker,
  path: string,
  raw: unknown,
): StreamDef["incremental"] & object {
  const p = join(path, "incremental");
  const o = c.fields(p, raw, {
    cursorField: "name",
    param: "name",
    lookback: "int0",
    format: ["iso", "unix", "auto"],
    initial: "scalar",
  }, ["cursorField"]);
  return o as unknown as StreamDef["incremental"] & object;
}

function checkPartition(
  c: SpecChecker,
  path: string,
  raw: unknown,
): StreamDef["partition"] & object {
  const p = join(path, "partition");
  const o = c.fields(p, raw, {
    kind: ["unix", "iso", "int"],
    gteParam: "name",
    ltParam: "name",
    start: "scalar",
    end: "scalar",
    field: "name",
    partitions: "int1",
    order: ["asc", "desc"],
  }, ["kind", "gteParam", "ltParam", "start", "field"]);
  // The bounds' kind of value follows `kind`, which "scalar" cannot say.
  for (const k of ["start", "end"]) {
    const v = o[k];
    if (v === undefined) continue;
    const ok = o.kind === "iso"
      ? typeof v === "string" && !Number.isNaN(Date.parse(v))
      : Number.isSafeInteger(v);
    if (!ok) {
      c.fail(
        join(p, k),
        `must be ${
          o.kind === "iso" ? "an ISO 8601 time" : "a whole number"
        }; got ${describe(v)}`,
      );
    }
  }
  return o as unknown as StreamDef["partition"] & object;
}

function checkParent(
  c: SpecChecker,
  path: string,
  raw: unknown,
  stream: StreamDef,
  streamNames: readonly string[],
  self: string,
): StreamDef["parent"] & object {
  const p = join(path, "parent");
  const o = c.fields(p, raw, {
    stream: "name",
    field: "name",
    as: "name",
  }, ["stream", "field"]);
  if (o.stream === self || !streamNames.includes(o.stream as string)) {
    c.fail(
      join(p, "stream"),
      `must name another stream of the spec (${
        streamNames.filter((n) => n !== self).join(", ") || "there is none"
      }); got ${describe(o.stream)}`,
    );
  }
  const as = (o.as ?? o.field) as string;
  if (!stream.path.includes(`{${as}}`)) {
    c.fail(
      join(path, "path"),
      `must hold the placeholder {${as}} its parent fills; got ${
        describe(stream.path)
      }`,
    );
  }
  return o as unknown as StreamDef["parent"] & object;
}

// Declared column types: a wrong one names connector, stream and field.
function checkColumnTypes(
  c: SpecChecker,
  path: string,
  raw: unknown,
  self: string,
): Record<string, ColumnDeclaration> {
  const at = join(path, "columns");
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    c.fail(
      at,
      `must be an object of field names to column types; got ${describe(raw)}`,
    );
  }
  for (const [field, type] of Object.entries(raw)) {
    const problem = columnTypeProblem(type);
    if (problem !== undefined) {
      c.fail(
        join(at, field),
        `(field "${field}" of stream "${
          c.connector ?? "?"
        }/${self}") ${problem}`,
      );
    }
  }
  return raw as Record<string, ColumnDeclaration>;
}
