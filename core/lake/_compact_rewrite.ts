/**
 * Rewriting data files into one (DuckDB): their rows, in order, without
 * the rows position deletes name, written with the table's field ids.
 * DuckDB reads and writes every Parquet type as it is (decimals,
 * timestamps, lists, structs), so no value is converted on the way.
 *
 * @module
 */
import type { IcebergSchema, IcebergType } from "../iceberg/types.ts";

/**
 * What a rewrite needs of a DuckDB connection (`@duckdb/node-api`'s, which
 * the caller loads lazily: a pull never loads DuckDB).
 */
export interface DuckConnection {
  run(sql: string): Promise<unknown>;
  runAndReadAll(sql: string): Promise<{ getRows(): unknown[][] }>;
}

/** A data file to rewrite, downloaded. */
export interface LocalDataFile {
  /** The local copy. */
  readonly local: string;
  /** Its URI, as delete files name it. */
  readonly uri: string;
  /** Rows, as the table's manifest records them. */
  readonly records: number;
}

/** What one rewrite read and wrote. */
export interface RewriteCount {
  /** Rows in the files read. */
  readonly read: number;
  /** Rows of those the deletes removed. */
  readonly deleted: number;
  /** Rows in the file written. */
  readonly written: number;
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** DuckDB's `FIELD_IDS` value for a column of type `type` and id `id`. */
function fieldIds(id: number, type: IcebergType): string {
  if (typeof type === "string") return String(id);
  const t = type as unknown as Record<string, unknown>;
  if (t.type === "list") {
    return `{__duckdb_field_id: ${id}, element: ${
      fieldIds(t["element-id"] as number, t.element as IcebergType)
    }}`;
  }
  if (t.type === "struct" && Array.isArray(t.fields)) {
    const subs = (t.fields as { id: number; name: string; type: IcebergType }[])
      .map((f) => `${ident(f.name)}: ${fieldIds(f.id, f.type)}`);
    return `{__duckdb_field_id: ${id}${subs.map((s) => `, ${s}`).join("")}}`;
  }
  if (t.type === "map") {
    return `{__duckdb_field_id: ${id}, key: ${
      fieldIds(t["key-id"] as number, t.key as IcebergType)
    }, value: ${fieldIds(t["value-id"] as number, t.value as IcebergType)}}`;
  }
  return String(id);
}

type Field = { name: string; type: IcebergType };

/**
 * Pairs of fields of one struct (the table's or a nested one) whose names
 * differ only in case, as `"a.B" and "a.b"`: DuckDB matches names without
 * case, so it reads the second as `b_1` and cannot write the pair apart.
 */
function caseClashes(fields: readonly Field[], prefix = ""): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const f of fields) {
    const path = `${prefix}${f.name}`;
    const key = f.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) out.push(`"${first}" and "${path}"`);
    else seen.set(key, path);
    out.push(...nestedClashes(f.type, path));
  }
  return out;
}

function nestedClashes(type: IcebergType, path: string): string[] {
  if (typeof type === "string") return [];
  const t = type as unknown as Record<string, unknown>;
  if (t.type === "struct" && Array.isArray(t.fields)) {
    return caseClashes(t.fields as Field[], `${path}.`);
  }
  if (t.type === "list") {
    return nestedClashes(t.element as IcebergType, `${path}.element`);
  }
  if (t.type === "map") {
    return [
      ...nestedClashes(t.key as IcebergType, `${path}.key`),
      ...nestedClashes(t.value as IcebergType, `${path}.value`),
    ];
  }
  return [];
}

function refuseCaseClashes(schema: IcebergSchema): void {
  const clashes = caseClashes(schema.fields);
  if (clashes.length > 0) {
    throw new Error(
      `Cannot compact: field(s) ${
        clashes.join(", ")
      } differ only in case, which DuckDB (the rewrite) cannot keep apart; the table is left as it is`,
    );
  }
}

async function scalar(conn: DuckConnection, sql: string): Promise<number> {
  const rows = (await conn.runAndReadAll(sql)).getRows();
  return Number(rows[0]?.[0] ?? 0);
}

/**
 * Write the rows of `files` (in order, each in row order) that no position
 * delete in `deletes` (local delete files) names into `out`, columns
 * carrying `schema`'s field ids. Refuses (throws, `out` to be discarded)
 * when the rows written are not the rows read less the rows deleted, a
 * file holds another number of rows than its manifest says, or two fields
 * of one struct differ only in case (DuckDB would rename one).
 */
export async function rewriteFiles(
  conn: DuckConnection,
  files: readonly LocalDataFile[],
  deletes: readonly string[],
  schema: IcebergSchema,
  out: string,
): Promise<RewriteCount> {
  refuseCaseClashes(schema);
  const list = `[${files.map((f) => lit(f.local)).join(", ")}]`;
  const source =
    `read_parquet(${list}, union_by_name = true, filename = true, file_row_number = true)`;
  const uris = `(VALUES ${
    files.map((f, i) => `(${lit(f.local)}, ${lit(f.uri)}, ${i}, ${f.records})`)
      .join(", ")
  }) AS _u(_file, _uri, _ord, _rows)`;
  const dels = deletes.length === 0
    ? `(SELECT NULL::VARCHAR AS file_path, NULL::BIGINT AS pos WHERE false)`
    : `(SELECT DISTINCT file_path, pos FROM read_parquet([${
      deletes.map(lit).join(", ")
    }]))`;
  // The manifests' counts, checked against the files themselves.
  const read = files.reduce((n, f) => n + f.records, 0);
  const actual = await scalar(
    conn,
    `SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(${list})`,
  );
  if (actual !== read) {
    throw new Error(
      `Cannot compact: the files hold ${actual} rows, their manifests say ${read}`,
    );
  }
  const deleted = await scalar(
    conn,
    `SELECT count(*) FROM ${dels} AS _x JOIN ${uris} ON _x.file_path = _u._uri AND _x.pos >= 0 AND _x.pos < _u._rows`,
  );
  const select =
    `SELECT _d.* EXCLUDE (filename, file_row_number) FROM ${source} AS _d JOIN ${uris} ON _d.filename = _u._file ANTI JOIN ${dels} AS _x ON _x.file_path = _u._uri AND _x.pos = _d.file_row_number ORDER BY _u._ord, _d.file_row_number`;
  const columns = (await conn.runAndReadAll(`DESCRIBE ${select}`)).getRows()
    .map((r) => String(r[0]));
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const missing = columns.filter((c) => !byName.has(c));
  if (missing.length > 0) {
    throw new Error(
      `Cannot compact: column(s) ${
        missing.join(", ")
      } of the data files are not in the table's schema`,
    );
  }
  const ids = columns.map((c) => {
    const f = byName.get(c)!;
    return `${ident(c)}: ${fieldIds(f.id, f.type)}`;
  });
  const fileSchema = {
    ...schema,
    fields: schema.fields.filter((f) => columns.includes(f.name)),
  };
  await conn.run(
    `COPY (${select}) TO ${
      lit(out)
    } (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000, FIELD_IDS {${
      ids.join(", ")
    }}, KV_METADATA {"iceberg.schema": ${lit(JSON.stringify(fileSchema))}})`,
  );
  const written = await scalar(
    conn,
    `SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(${lit(out)})`,
  );
  if (written !== read - deleted) {
    throw new Error(
      `Cannot compact: ${written} rows written, expected ${read} read less ${deleted} deleted`,
    );
  }
  return { read, deleted, written };
}
