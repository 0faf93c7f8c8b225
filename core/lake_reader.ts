/**
 * The read side of the lake: which files are committed, each stream's state,
 * and the SQL that gives readers committed data with `merge` applied.
 *
 * @module
 */

import { CommitLog } from "./commit_log.ts";
import type { Connector } from "./connector.ts";
import type { Storage } from "./storage.ts";

/**
 * The commit-log scopes of a stream: `""` for the unsharded log, and
 * `shard-i-of-n` for each shard that committed.
 *
 * @example
 * ```ts
 * import { logScopes } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * console.assert((await logScopes(new LocalStorage(dir), "demo/items")).length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function logScopes(
  storage: Storage,
  stream: string,
): Promise<string[]> {
  const scopes = new Set<string>();
  for (const path of await storage.list(`${stream}/_log`)) {
    const m = /^_log(?:\.([^/]+))?\//.exec(path.slice(stream.length + 1));
    if (m) scopes.add(m[1] ?? "");
  }
  return [...scopes].sort();
}

function logFor(
  storage: Storage,
  stream: string,
  scope: string,
  runId = "reader",
): CommitLog {
  return new CommitLog(storage, stream, { runId, ...(scope ? { scope } : {}) });
}

/**
 * Paths (relative to the lake) of every committed, live data file of a
 * stream, over all its shards.
 *
 * @example
 * ```ts
 * import { committedFiles } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * console.assert((await committedFiles(new LocalStorage(dir), "demo/items")).length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function committedFiles(
  storage: Storage,
  stream: string,
): Promise<string[]> {
  const files: string[] = [];
  for (const scope of await logScopes(storage, stream)) {
    files.push(...await logFor(storage, stream, scope).files());
  }
  return files.sort();
}

/** One stream's state in one scope. */
export interface StateReport {
  /** `"connector/stream"`. */
  stream: string;
  /** `""` or `shard-i-of-n`. */
  scope: string;
  /** The newest commit's version (0: none). */
  version: number;
  /** When it was committed. */
  committedAt?: string;
  /** The state (null after a reset). */
  state: unknown;
}

/**
 * The state of every stream of a connector, per scope.
 *
 * @example
 * ```ts
 * import { readStates } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * import demo from "../connectors/demo.ts";
 * const dir = await Deno.makeTempDir();
 * const states = await readStates(new LocalStorage(dir), demo);
 * console.assert(states[0]?.version === 0);
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
    const scopes = await logScopes(storage, id);
    if (scopes.length === 0) {
      out.push({ stream: id, scope: "", version: 0, state: null });
    }
    for (const scope of scopes) {
      const latest = await logFor(storage, id, scope).latest();
      out.push({
        stream: id,
        scope,
        version: latest?.version ?? 0,
        ...(latest ? { committedAt: latest.committedAt } : {}),
        state: latest?.state ?? null,
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
 * import { readStates, resetState } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * import demo from "../connectors/demo.ts";
 * const dir = await Deno.makeTempDir();
 * const lake = new LocalStorage(dir);
 * await resetState(lake, demo);
 * console.assert((await readStates(lake, demo))[0]?.version === 1);
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
    const scopes = await logScopes(storage, id);
    for (const scope of scopes.length ? scopes : [""]) {
      await logFor(storage, id, scope, runId).commit({ add: [], state: null });
      n++;
    }
  }
  return n;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * The DuckDB SQL that defines a view per stream over its committed files;
 * a `merge` stream keeps the newest version of each primary key (files sort
 * in commit order, rows in file order).
 *
 * @example
 * ```ts
 * import { viewSql } from "./lake_reader.ts";
 * const sql = viewSql("items", ["/lake/demo/items/a.parquet"], ["id"], "merge");
 * console.assert(sql.includes("QUALIFY row_number()"));
 * ```
 */
export function viewSql(
  view: string,
  files: readonly string[],
  primaryKey: readonly string[],
  disposition: "append" | "merge" | "replace",
): string {
  if (files.length === 0) {
    return `CREATE OR REPLACE VIEW ${
      ident(view)
    } AS SELECT NULL AS _empty WHERE false`;
  }
  const parquet = files.every((f) => f.endsWith(".parquet"));
  const list = `[${files.map(literal).join(", ")}]`;
  const source = parquet
    ? `read_parquet(${list}, union_by_name = true, filename = true, file_row_number = true)`
    : `read_json_auto(${list}, union_by_name = true, filename = true)`;
  if (disposition !== "merge" || !parquet) {
    return `CREATE OR REPLACE VIEW ${
      ident(view)
    } AS SELECT * EXCLUDE (filename${
      parquet ? ", file_row_number" : ""
    }) FROM ${source}`;
  }
  return `CREATE OR REPLACE VIEW ${
    ident(view)
  } AS SELECT * EXCLUDE (filename, file_row_number) FROM ${source} QUALIFY row_number() OVER (PARTITION BY ${
    primaryKey.map(ident).join(", ")
  } ORDER BY filename DESC, file_row_number DESC) = 1`;
}
