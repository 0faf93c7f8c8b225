/**
 * The read side of the lake: each stream's Iceberg table (its live files,
 * with the position deletes of its merges), each scope's state, and the SQL
 * that gives readers the current snapshot.
 *
 * @module
 */

import { ConfigError } from "../connector/errors.ts";
import { liveFiles } from "../iceberg/current_snapshot.ts";
import { type IcebergTable, loadTable, uriOf } from "../iceberg/table.ts";
import { parseState } from "./stream_state.ts";
import { StreamTable } from "./stream_table.ts";
import { archiveFiles, scopesOf } from "./_table_summary.ts";
import type { Connector } from "../connector/connector.ts";
import type { Storage } from "./storage.ts";

/** A stream's table, as it stands. */
async function tableOf(
  storage: Storage,
  stream: string,
): Promise<IcebergTable> {
  // The legacy check and the load, as a run opens it.
  const t = new StreamTable(storage, stream, { runId: "reader" });
  await t.recover();
  return await loadTable(storage, stream);
}

/**
 * The scopes that committed to a stream's table: `""` for the unsharded
 * runs, and `shard-i-of-n` for each shard.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableScopes } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * assert((await tableScopes(new LocalStorage(dir), "demo/items")).length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function tableScopes(
  storage: Storage,
  stream: string,
): Promise<string[]> {
  return scopesOf((await tableOf(storage, stream)).metadata);
}

/**
 * What a reader of a stream reads, as storage paths, oldest commit first:
 * the table's live data files (with each one's URI, as delete files name
 * it), its live position delete files, and the NDJSON archive files.
 */
export interface StreamFiles {
  /** Live Parquet data files. */
  data: string[];
  /** Their URIs, in the same order. */
  uris: string[];
  /** Live position delete files. */
  deletes: string[];
  /** Live NDJSON archive files of every scope. */
  archive: string[];
}

/**
 * The files of a stream's current snapshot (see {@linkcode StreamFiles}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readableFiles } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * const files = await readableFiles(new LocalStorage(dir), "demo/items");
 * assert.deepEqual(files.data, []);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readableFiles(
  storage: Storage,
  stream: string,
): Promise<StreamFiles> {
  const table = await tableOf(storage, stream);
  const live = await liveFiles(table);
  const ordered = live.data.map((f, i) => ({ f, i })).sort((a, b) =>
    a.f.sequenceNumber - b.f.sequenceNumber || a.i - b.i
  ).map(({ f }) => f);
  const where = `${storage.root}/${stream}/metadata`;
  const archive = scopesOf(table.metadata).flatMap((scope) =>
    archiveFiles(table, scope, where).map((f) => f.path)
  );
  return {
    data: ordered.map((f) => `${stream}/${f.path}`),
    uris: ordered.map((f) => uriOf(table, f.path)),
    deletes: live.deletes.map((f) => `${stream}/${f.path}`),
    archive,
  };
}

/**
 * The live data and archive files of a stream, sorted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { committedFiles } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * assert((await committedFiles(new LocalStorage(dir), "demo/items")).length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function committedFiles(
  storage: Storage,
  stream: string,
): Promise<string[]> {
  const files = await readableFiles(storage, stream);
  return [...files.data, ...files.archive].sort();
}

/** One stream's state in one scope. */
export interface StateReport {
  /** `"connector/stream"`. */
  stream: string;
  /** `""` or `shard-i-of-n`. */
  scope: string;
  /** The sequence number of the scope's newest snapshot (0: none). */
  version: number;
  /** When it was committed. */
  committedAt?: string;
  /** The state (null after a reset). */
  state: unknown;
  /** Why the state cannot be used (a corrupt entry or state); a run would stop with this error. */
  error?: string;
}

/**
 * The state of every stream of a connector, per scope.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readStates } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * import demo from "../../connectors/demo.ts";
 * const dir = await Deno.makeTempDir();
 * const states = await readStates(new LocalStorage(dir), demo);
 * assert(states[0]?.version === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readStates(
  storage: Storage,
  connector: Connector,
  streams: readonly string[] = Object.keys(connector.streams),
): Promise<StateReport[]> {
  const out: StateReport[] = [];
  for (const name of streams) {
    const id = `${connector.name}/${name}`;
    const scopes = await tableScopes(storage, id);
    if (scopes.length === 0) {
      out.push({ stream: id, scope: "", version: 0, state: null });
    }
    for (const scope of scopes) {
      // A corrupt state is an error naming its file, never an empty state.
      const table = new StreamTable(storage, id, {
        runId: "reader",
        ...(scope ? { scope } : {}),
      });
      const latest = await table.latest();
      let error: string | undefined;
      if (latest && latest.state !== null) {
        try {
          parseState(
            latest.state,
            `${table.where()} (snapshot ${latest.version}${
              scope ? `, ${scope}` : ""
            })`,
            connector.name,
          );
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          error = err.message;
        }
      }
      out.push({
        stream: id,
        scope,
        version: latest?.version ?? 0,
        ...(latest ? { committedAt: latest.committedAt } : {}),
        state: latest?.state ?? null,
        ...(error !== undefined ? { error } : {}),
      });
    }
  }
  return out;
}

/**
 * Clear the state of streams: a commit whose state is null, so the next run
 * starts a new sweep from scratch. The data stays; the log keeps the history.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readStates, resetState } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * import demo from "../../connectors/demo.ts";
 * const dir = await Deno.makeTempDir();
 * const lake = new LocalStorage(dir);
 * await resetState(lake, demo);
 * assert((await readStates(lake, demo))[0]?.version === 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function resetState(
  storage: Storage,
  connector: Connector,
  streams: readonly string[] = Object.keys(connector.streams),
  runId = `reset-${Date.now()}`,
): Promise<number> {
  let n = 0;
  for (const name of streams) {
    const id = `${connector.name}/${name}`;
    const scopes = await tableScopes(storage, id);
    for (const scope of scopes.length ? scopes : [""]) {
      // A commit like any other: a run of the scope under way conflicts.
      await new StreamTable(storage, id, {
        runId,
        ...(scope ? { scope } : {}),
      }).commit({ add: [], state: null });
      n++;
    }
  }
  return n;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A stream's position deletes, for {@linkcode viewSql}. */
export interface ViewDeletes {
  /** The delete files, as DuckDB paths. */
  files: readonly string[];
  /** The URI of each data file (in `files` order of {@linkcode viewSql}), as delete files name them. */
  uris: readonly string[];
}

/**
 * The DuckDB SQL that defines a view per stream over its current snapshot:
 * Parquet data files with the table's position deletes applied (a row is
 * gone when a delete file names its file and position), as every Iceberg
 * reader applies them. NDJSON archive files (given oldest commit first) of
 * a `merge` stream keep the newest version of each primary key: from the
 * latest file (an NDJSON file of a merge stream never holds a key twice).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { viewSql } from "./lake_reader.ts";
 * const sql = viewSql("items", ["/lake/demo/items/data/a.parquet"], ["id"], "merge", {
 *   files: ["/lake/demo/items/data/d.parquet"],
 *   uris: ["file:///lake/demo/items/data/a.parquet"],
 * });
 * assert(sql.includes("ANTI JOIN"));
 * assert(viewSql("items", ["/lake/a.ndjson.zst"], ["id"], "merge").includes("QUALIFY"));
 * ```
 */
export function viewSql(
  view: string,
  files: readonly string[],
  primaryKey: readonly string[],
  disposition: "append" | "merge" | "replace",
  deletes?: ViewDeletes,
): string {
  return `CREATE OR REPLACE VIEW ${ident(view)} AS ${
    snapshotSelect(files, primaryKey, disposition, deletes)
  }`;
}

/**
 * The `SELECT` of {@linkcode viewSql}: a stream's rows from its files (as
 * DuckDB paths), position deletes applied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snapshotSelect } from "./lake_reader.ts";
 * assert.match(snapshotSelect(["/l/a.parquet"], ["id"], "append"), /^SELECT \* EXCLUDE/);
 * ```
 */
export function snapshotSelect(
  files: readonly string[],
  primaryKey: readonly string[],
  disposition: "append" | "merge" | "replace",
  deletes?: ViewDeletes,
): string {
  if (files.length === 0) return `SELECT NULL AS _empty WHERE false`;
  const list = `[${files.map(literal).join(", ")}]`;
  if (files.every((f) => f.endsWith(".parquet"))) {
    const source =
      `read_parquet(${list}, union_by_name = true, filename = true, file_row_number = true)`;
    if (!deletes || deletes.files.length === 0) {
      return `SELECT * EXCLUDE (filename, file_row_number) FROM ${source}`;
    }
    const uris = `(VALUES ${
      files.map((f, i) => `(${literal(f)}, ${literal(deletes.uris[i]!)})`)
        .join(", ")
    }) AS _inlet_files(_inlet_file, _inlet_uri)`;
    const dels = `read_parquet([${
      deletes.files.map(literal).join(", ")
    }]) AS _inlet_del`;
    return `SELECT _d.* EXCLUDE (filename, file_row_number) FROM ${source} AS _d JOIN ${uris} ON _d.filename = _inlet_files._inlet_file ANTI JOIN ${dels} ON _inlet_del.file_path = _inlet_files._inlet_uri AND _inlet_del.pos = _d.file_row_number`;
  }
  const source =
    `read_json_auto(${list}, union_by_name = true, filename = true)`;
  if (disposition !== "merge") {
    return `SELECT * EXCLUDE (filename) FROM ${source}`;
  }
  // The commit order comes from the list (the table), not from the names.
  const order = `(VALUES ${
    files.map((f, i) => `(${literal(f)}, ${i})`).join(", ")
  }) AS _inlet_order(_inlet_file, _inlet_ord)`;
  return `SELECT * EXCLUDE (filename, _inlet_ord) FROM (SELECT _d.*, _inlet_order._inlet_ord FROM ${source} AS _d JOIN ${order} ON _d.filename = _inlet_order._inlet_file) QUALIFY row_number() OVER (PARTITION BY ${
    primaryKey.map(ident).join(", ")
  } ORDER BY _inlet_ord DESC) = 1`;
}
