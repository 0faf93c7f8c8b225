/**
 * `deno task query <connector> "<sql>"`: DuckDB over a connector's committed
 * data, one view per stream (named after it), with `merge` applied.
 *
 * @module
 */

import type { Connector } from "./connector.ts";
import { readableFiles, viewSql } from "./lake_reader.ts";
import { LocalStorage } from "./local_storage.ts";

/**
 * Run `sql` against a connector's streams in a local lake; resolves the rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { queryLake } from "./query.ts";
 * import demo from "../connectors/demo.ts";
 * const dir = await Deno.makeTempDir();
 * const rows = await queryLake(dir, demo, "SELECT count(*) AS n FROM items");
 * assert(Number(rows[0]?.n) === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function queryLake(
  lake: string,
  connector: Connector,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const storage = new LocalStorage(lake);
  const { DuckDBInstance } = await import("@duckdb/node-api");
  // A run committing meanwhile may move a file between our look at the log
  // and DuckDB's read of it: read the log again and retry.
  for (let attempt = 1;; attempt++) {
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      for (const [name, stream] of Object.entries(connector.streams)) {
        const files =
          (await readableFiles(storage, `${connector.name}/${name}`))
            .map((f) => `${lake.replace(/\/+$/, "")}/${f}`);
        const pk = typeof stream.primaryKey === "string"
          ? [stream.primaryKey]
          : stream.primaryKey;
        await conn.run(
          viewSql(name, files, pk, stream.writeDisposition ?? "append"),
        );
      }
      const reader = await conn.runAndReadAll(sql);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (err) {
      const moved = err instanceof Error &&
        /No files found|No such file|IO Error/i.test(err.message);
      if (!moved || attempt >= 3) throw err;
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  }
}

/**
 * Rows as an aligned text table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatRows } from "./query.ts";
 * assert(formatRows([{ n: 1n }]).includes("n"));
 * ```
 */
export function formatRows(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    v === null || v === undefined
      ? "NULL"
      : v instanceof Date
      ? v.toISOString()
      : typeof v === "object"
      ? JSON.stringify(v, (_k, x) => typeof x === "bigint" ? Number(x) : x)
      : String(v);
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) =>
    Math.max(c.length, ...body.map((r) => r[i]!.length))
  );
  const line = (r: string[]) =>
    r.map((x, i) => x.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(cols), line(widths.map((w) => "-".repeat(w))), ...body.map(line)]
    .join("\n");
}
