/**
 * DuckDB for tests: reads back what inlet wrote, as plain DuckDB over the
 * files and as `deno task query` over a connector's views.
 *
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { Connector } from "../core/connector/connector.ts";
import { queryLake } from "../core/lake/query.ts";
import { tableSource } from "./_iceberg.ts";

/** Run one SQL query in a fresh in-memory DuckDB and return its rows as objects. */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Quote a path as a SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * The sum of the ids 1..n: what `sum(id)` over a complete test-API stream
 * of `n` records comes to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sumTo } from "./_duckdb.ts";
 * assert(sumTo(4) === 10);
 * ```
 */
export const sumTo = (n: number): number => n * (n + 1) / 2;

/**
 * The aggregates an exactly-once check reads: rows `n`, distinct ids `ids`
 * and the sum of ids `s`. Spread it into a larger set of columns.
 */
export const ID_COLUMNS = {
  n: "count(*)",
  ids: "count(DISTINCT id)",
  s: "sum(id)",
} as const;

/** SQL aggregates by the name they are returned under. */
export type Columns<K extends string> = Readonly<Record<K, string>>;

/** The SELECT list of `columns`: each aggregate `AS` its name. */
function select<K extends string>(columns: Columns<K>): string {
  return (Object.keys(columns) as K[]).map((k) => `${columns[k]} AS ${k}`)
    .join(", ");
}

/** The values of `columns` in `row` as numbers (0 for NULL or no row). */
function numbers<K extends string>(
  columns: Columns<K>,
  row: Record<string, unknown> | undefined,
): Record<K, number> {
  // A NULL aggregate (a sum of no rows) reads as 0.
  return Object.fromEntries(
    Object.keys(columns).map((k) => [k, Number(row?.[k] ?? 0)]),
  ) as Record<K, number>;
}

/**
 * One row of aggregates `columns` over the files `glob` matches, read by
 * `reader` with columns matched by name, as numbers. DuckDB throws when the
 * glob matches nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duck, globStats } from "./_duckdb.ts";
 * import { withTempDir } from "./_lake.ts";
 * await withTempDir("x-", async (dir) => {
 *   await duck(`COPY (SELECT range AS id FROM range(1, 4)) TO '${dir}/a.parquet'`);
 *   const got = await globStats(`${dir}/*.parquet`, { n: "count(*)", top: "max(id)" });
 *   assert(got.n === 3 && got.top === 3);
 * });
 * ```
 */
export async function globStats<K extends string>(
  glob: string,
  columns: Columns<K>,
  reader = "read_parquet",
): Promise<Record<K, number>> {
  const [row] = await duck(
    `SELECT ${select(columns)} FROM ${reader}(${
      sqlString(glob)
    }, union_by_name = true)`,
  );
  return numbers(columns, row);
}

/**
 * One row of aggregates `columns` over the Iceberg table in a stream folder
 * as an Iceberg reader sees it (its current snapshot's data files, position
 * deletes applied; see `_iceberg.ts`), by default {@linkcode ID_COLUMNS};
 * every aggregate is 0 while the table has no data file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { streamStats } from "./_duckdb.ts";
 * import { withTempDir } from "./_lake.ts";
 * await withTempDir("x-", async (dir) => {
 *   const got = await streamStats(dir);
 *   assert(got.n === 0 && got.ids === 0 && got.s === 0);
 * });
 * ```
 */
export async function streamStats<K extends string = keyof typeof ID_COLUMNS>(
  dir: string,
  columns: Columns<K> = ID_COLUMNS as unknown as Columns<K>,
): Promise<Record<K, number>> {
  const source = await tableSource(dir);
  if (source === undefined) return numbers(columns, undefined);
  const [row] = await duck(`SELECT ${select(columns)} FROM ${source}`);
  return numbers(columns, row);
}

/**
 * One row of aggregates `columns` over a connector's `table` as
 * `deno task query` sees it (committed data only, `merge` applied), as
 * numbers.
 */
export async function viewStats<K extends string>(
  lake: string,
  connector: Connector,
  table: string,
  columns: Columns<K>,
): Promise<Record<K, number>> {
  const [row] = await queryLake(
    lake,
    connector,
    `SELECT ${select(columns)} FROM ${table}`,
  );
  return numbers(columns, row);
}

/**
 * Each column's DuckDB type in the Parquet files `glob` matches (one file, or
 * several with their columns matched by name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnTypes, duck } from "./_duckdb.ts";
 * import { withTempDir } from "./_lake.ts";
 * await withTempDir("x-", async (dir) => {
 *   await duck(`COPY (SELECT 1 AS id, 'a' AS v) TO '${dir}/a.parquet'`);
 *   const types = await columnTypes(`${dir}/*.parquet`);
 *   assert(types.id === "INTEGER" && types.v === "VARCHAR");
 * });
 * ```
 */
export async function columnTypes(
  glob: string,
): Promise<Record<string, string>> {
  const cols = await duck(
    `DESCRIBE SELECT * FROM read_parquet(${
      sqlString(glob)
    }, union_by_name = true)`,
  );
  return Object.fromEntries(
    cols.map((c) => [String(c.column_name), String(c.column_type)]),
  );
}

/**
 * Count, distinct keys, sum of a numeric column and the sorted keys of a
 * stream's Iceberg table (see {@linkcode streamStats}), read by DuckDB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duck, profile } from "./_duckdb.ts";
 * import { withTempDir } from "./_lake.ts";
 * await withTempDir("x-", async (dir) => {
 *   const p = await profile(dir, "id", "id");
 *   assert(p.count === 0 && p.keys.length === 0);
 * });
 * ```
 */
export async function profile(
  dir: string,
  key: string,
  sumOf: string,
): Promise<{ count: number; distinct: number; sum: number; keys: string[] }> {
  const source = await tableSource(dir);
  if (source === undefined) return { count: 0, distinct: 0, sum: 0, keys: [] };
  const [row] = await duck(
    `SELECT count(*) AS count, count(DISTINCT ${key}) AS distinct,
       sum(${sumOf})::DOUBLE AS sum,
       list(${key}::VARCHAR ORDER BY ${key}::VARCHAR) AS k
     FROM ${source}`,
  );
  return {
    count: Number(row?.count ?? 0),
    distinct: Number(row?.distinct ?? 0),
    sum: Number(row?.sum ?? 0),
    keys: (row?.k as string[] | undefined) ?? [],
  };
}
