/**
 * The fuzz oracle: read a stream back with DuckDB and compare every record,
 * field by field, with what the fuzz API served ({@linkcode same}): integers
 * beyond 2^53 exactly, JSON columns parsed with their raw digits kept.
 *
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { sqlString } from "../../_duckdb.ts";
import { archivedFiles } from "../../_files.ts";
import { tableSource } from "../../_iceberg.ts";
import { type FuzzRecord, recordText } from "./_fuzz_case.ts";

/** JSON.parse keeping integer literals beyond 2^53 exact (as bigints). */
export function parseExact(text: string): unknown {
  return JSON.parse(text, (_k, v, ctx?: { source?: string }) => {
    if (
      typeof v === "number" && !Number.isSafeInteger(v) &&
      /^-?\d+$/.test(ctx?.source ?? "")
    ) {
      return BigInt(ctx!.source!);
    }
    return v;
  });
}

/**
 * True when the lake's value `got` is the served value `want`. A served
 * double matches any lake number with its value (its JSON text may read as
 * an integer); a served bigint only its exact integer. Inside objects an
 * absent key differs from a null one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { same } from "./_fuzz_oracle.ts";
 * assert(same({ a: 2 ** 53 + 1 }, { a: 9007199254740992n }));
 * assert(!same({ a: 9007199254740993n }, { a: 9007199254740992n }));
 * assert(!same({ a: null }, {}));
 * ```
 */
export function same(want: unknown, got: unknown): boolean {
  if (got instanceof StructRead) return sameStruct(want, got);
  if (want === null || want === undefined) return got === null;
  if (typeof want === "number") {
    return (typeof got === "number" || typeof got === "bigint") &&
      Number(got) === want;
  }
  if (typeof want === "bigint") {
    return typeof got === "bigint"
      ? got === want
      : typeof got === "number" && Number.isInteger(got) &&
        BigInt(got) === want;
  }
  if (Array.isArray(want)) {
    return Array.isArray(got) && got.length === want.length &&
      want.every((x, i) => same(x, got[i]));
  }
  if (typeof want === "object") {
    if (got === null || typeof got !== "object" || Array.isArray(got)) {
      return false;
    }
    const w = want as Record<string, unknown>;
    const g = got as Record<string, unknown>;
    const keys = new Set([...Object.keys(w), ...Object.keys(g)]);
    return [...keys].every((k) => k in w && k in g && same(w[k], g[k]));
  }
  return want === got;
}

/**
 * A value read from a struct column: a struct has every field of its
 * column, so a key the served object lacked reads as null (Iceberg and
 * Parquet have no "absent" inside a struct); a nested field that is JSON
 * text reads as that text.
 */
export class StructRead {
  constructor(readonly fields: Record<string, unknown>) {}
  toJSON(): Record<string, unknown> {
    return this.fields;
  }
}

/** `v` (a DuckDB struct value) with its nested structs marked too. */
function markStruct(v: unknown): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  return new StructRead(
    Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k,
        markStruct(x),
      ]),
    ),
  );
}

function sameStruct(want: unknown, got: StructRead): boolean {
  if (want === null || typeof want !== "object" || Array.isArray(want)) {
    return false;
  }
  const w = want as Record<string, unknown>;
  const keys = new Set([...Object.keys(w), ...Object.keys(got.fields)]);
  return [...keys].every((k) => {
    const g = got.fields[k] ?? null;
    const x = w[k] ?? null;
    // A nested field whose shape was not stable is JSON text.
    if (typeof g === "string" && x !== null && typeof x === "object") {
      return same(x, parseExact(g));
    }
    return same(x, g);
  });
}

/** Rows of one SQL query, as JS values. */
export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * One in-memory DuckDB for every read-back of a test (a new instance per
 * query costs more than the query); closed when disposed.
 */
export async function openDuck(): Promise<{ query: Query } & Disposable> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  return {
    query: async (sql) =>
      (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<
        string,
        unknown
      >[],
    [Symbol.dispose]: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Every committed row of a stream folder, as DuckDB reads it: the table's
 * current snapshot (listed by icebird, deletes applied), or the NDJSON
 * archive files its commits list.
 */
export async function readStream(
  query: Query,
  dir: string,
  format: "parquet" | "ndjson",
): Promise<Record<string, unknown>[]> {
  if (format === "ndjson") {
    const files = await archivedFiles(dir);
    if (files.length === 0) return [];
    const rows = await query(
      `SELECT json::VARCHAR AS j FROM read_json_objects([${
        files.map(sqlString).join(", ")
      }], format = 'newline_delimited')`,
    );
    return rows.map((r) => parseExact(String(r.j)) as FuzzRecord);
  }
  const from = await tableSource(dir);
  if (from === undefined) return [];
  const types = Object.fromEntries(
    (await query(`DESCRIBE SELECT * FROM ${from}`)).map((c) => [
      String(c.column_name),
      String(c.column_type),
    ]),
  );
  const rows = await query(`SELECT * FROM ${from}`);
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        types[k] === "JSON" && typeof v === "string"
          ? parseExact(v)
          : types[k]?.startsWith("STRUCT(")
          ? markStruct(v)
          : v,
      ]),
    ) as FuzzRecord
  );
}

const keyOf = (r: FuzzRecord) => String(r.id);

/**
 * What is wrong with `rows` against the served `records`, or undefined.
 * `exact`: each record once with every value equal; otherwise (a failed
 * run) a subset: no key twice, no unknown key, no altered value.
 */
export function lakeProblem(
  records: readonly FuzzRecord[],
  rows: readonly FuzzRecord[],
  exact: boolean,
): string | undefined {
  const fields = new Set<string>();
  for (const r of [...records, ...rows]) {
    for (const k of Object.keys(r)) fields.add(k);
  }
  const want = new Map(records.map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  for (const row of rows) {
    const k = keyOf(row);
    if (seen.has(k)) return `key ${k} is in the lake twice`;
    seen.add(k);
    const w = want.get(k);
    if (w === undefined) {
      return `key ${k} is in the lake, the server never sent it`;
    }
    // At the top level an absent field reads back as a null column.
    if (![...fields].every((f) => same(w[f] ?? null, row[f] ?? null))) {
      return `record ${k} differs: served ${recordText(w)}, lake ${
        recordText(row)
      }`;
    }
  }
  if (exact && seen.size !== want.size) {
    const missing = [...want.keys()].filter((k) => !seen.has(k));
    return `${rows.length} of ${records.length} records in the lake; missing keys ${
      missing.slice(0, 5).join(", ")
    }${missing.length > 5 ? ", ..." : ""}`;
  }
  return undefined;
}

/**
 * True when an error message names the page it failed at: a page number or
 * a URL of the server.
 */
export function namesPage(message: string, serverUrl: string): boolean {
  return /\bpage \d+/.test(message) || message.includes(serverUrl);
}
