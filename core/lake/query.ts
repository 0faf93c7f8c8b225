/**
 * `deno task query <connector> "<sql>"`: DuckDB over a connector's committed
 * data, one view per stream (named after it), with `merge` applied.
 *
 * @module
 */

import type { Connector } from "../connector/connector.ts";
import { formatsOf } from "./stream_format.ts";
import { ConfigError } from "../connector/errors.ts";
import { exactJson } from "../connector/exact_json.ts";
import {
  readableFiles,
  readStates,
  tableScopes,
  type ViewDeletes,
  viewSql,
} from "./lake_reader.ts";
import { LocalStorage } from "./local_storage.ts";

/**
 * Run `sql` against a connector's streams in a local lake; resolves the rows.
 * Never answers for nothing: a missing lake, an S3 lake (not supported yet),
 * a connector with no committed data, a stream named in `sql` that has none,
 * or a stream mixing formats is a {@linkcode ConfigError} saying so.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { queryLake } from "./query.ts";
 * import demo from "../../connectors/demo.ts";
 * const dir = await Deno.makeTempDir();
 * await assert.rejects(
 *   queryLake(dir, demo, "SELECT count(*) AS n FROM items"),
 *   /has committed data/,
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function queryLake(
  lake: string,
  connector: Connector,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const storage = await openLocalLake(lake, connector.name);
  const withData: string[] = [];
  for (const name of Object.keys(connector.streams)) {
    if (await hasData(storage, connector, name)) withData.push(name);
  }
  const pull = `deno task pull ${connector.name} --lake ${lake}`;
  if (withData.length === 0) {
    throw new ConfigError(
      `Cannot query "${connector.name}": none of its streams (${
        Object.keys(connector.streams).join(", ")
      }) has committed data in ${lake}; run \`${pull}\` first`,
    );
  }
  const { DuckDBInstance } = await import("@duckdb/node-api");
  // A run committing meanwhile may remove a file (a full refresh) between
  // our look at the table and DuckDB's read of it: look again and retry.
  for (let attempt = 1;; attempt++) {
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      for (const name of withData) {
        const stream = connector.streams[name]!;
        const { files, deletes } = await streamFiles(
          storage,
          connector.name,
          name,
        );
        const pk = typeof stream.primaryKey === "string"
          ? [stream.primaryKey]
          : stream.primaryKey;
        await conn.run(
          viewSql(
            name,
            files,
            pk,
            stream.writeDisposition ?? "append",
            deletes,
          ),
        );
      }
      return exactRows(await conn.runAndReadAll(sql));
    } catch (err) {
      const missing = err instanceof Error &&
        /Table with name "?([^\s"!]+)"? does not exist/i.exec(err.message)?.[1];
      const empty = missing &&
        Object.keys(connector.streams).find((n) =>
          n.toLowerCase() === missing.toLowerCase() && !withData.includes(n)
        );
      if (empty) {
        throw new ConfigError(
          `Cannot query stream "${connector.name}/${empty}": it has no committed data in ${lake}; run \`${pull} --stream ${empty}\` first`,
          { cause: err },
        );
      }
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
 * Committed files, or a completed sweep (a source with no records): a log
 * holding only the plan of an unfinished first sweep is not an answer of 0.
 */
async function hasData(
  storage: LocalStorage,
  connector: Connector,
  name: string,
): Promise<boolean> {
  const id = `${connector.name}/${name}`;
  if ((await tableScopes(storage, id)).length === 0) return false;
  const files = await readableFiles(storage, id);
  if (files.data.length + files.archive.length > 0) return true;
  return (await readStates(storage, connector, [name])).some((r) =>
    (r.state as { sweep?: string } | null)?.sweep === "complete"
  );
}

async function openLocalLake(
  lake: string,
  connector: string,
): Promise<LocalStorage> {
  if (/^s3:\/\//i.test(lake)) {
    throw new ConfigError(
      `Cannot query ${lake}: \`deno task query\` reads local lakes only, S3 is not supported yet; read it with DuckDB's httpfs (README, "Object-storage lake")`,
    );
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(lake);
  } catch (cause) {
    if (!(cause instanceof Deno.errors.NotFound)) throw cause;
    throw new ConfigError(
      `Cannot query "${connector}": the lake ${lake} does not exist; pass --lake <dir>, or run \`deno task pull ${connector} --lake ${lake}\` first`,
      { cause },
    );
  }
  if (!info.isDirectory) {
    throw new ConfigError(
      `Cannot query "${connector}": ${lake} is not a folder`,
    );
  }
  return new LocalStorage(lake);
}

/**
 * A stream's readable files, as DuckDB paths (the table's data files and
 * their deletes, or the NDJSON archive); one format, or an error.
 */
async function streamFiles(
  storage: LocalStorage,
  connector: string,
  stream: string,
): Promise<{ files: string[]; deletes?: ViewDeletes }> {
  const found = await readableFiles(storage, `${connector}/${stream}`);
  const files = [...found.data, ...found.archive];
  const formats = formatsOf(files);
  if (formats.length > 1) {
    throw new ConfigError(
      `Cannot query stream "${connector}/${stream}": its committed files mix ${
        formats.join(" and ")
      }; rewrite it in one format with \`deno task pull ${connector} --stream ${stream} --full-refresh --format <format>\``,
    );
  }
  const root = storage.root.replace(/\/+$/, "");
  const at = (f: string) => `${root}/${f}`;
  return {
    files: files.map(at),
    ...(found.deletes.length > 0
      ? { deletes: { files: found.deletes.map(at), uris: found.uris } }
      : {}),
  };
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
      ? exactJson(v)
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

interface Reader {
  columnNames(): string[];
  columnTypes(): { toString(): string }[];
  getRowObjectsJS(): Record<string, unknown>[];
  getRowObjectsJson(): Record<string, unknown>[];
}

/**
 * Rows as JS values, but exact where a double would round: DuckDB's JS
 * form turns DECIMAL into a double (inlet lands integers past 64 bits as
 * DECIMAL(38,0)), so those columns come as bigints (scale 0) or as their
 * exact text (a fraction, or nested in a list or struct).
 */
function exactRows(reader: Reader): Record<string, unknown>[] {
  const rows = reader.getRowObjectsJS();
  const types = reader.columnTypes().map(String);
  const names = reader.columnNames();
  // Per column, once: is it exact text, and is that text a whole number?
  const exact = names.flatMap((name, i) =>
    types[i]!.includes("DECIMAL")
      ? [{ name, scalar: /^DECIMAL\(\d+,0\)$/.test(types[i]!) }]
      : []
  );
  if (exact.length === 0) return rows;
  const text = reader.getRowObjectsJson();
  rows.forEach((row, i) => {
    for (const { name, scalar } of exact) {
      const v = text[i]![name];
      row[name] = scalar && typeof v === "string" ? BigInt(v) : v;
    }
  });
  return rows;
}
