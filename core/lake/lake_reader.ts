/**
 * The read side of the lake: which files are committed, each stream's state,
 * and the SQL that gives readers committed data with `merge` applied.
 *
 * @module
 */

import { CommitLog } from "./commit_log.ts";
import { ConfigError } from "../connector/errors.ts";
import { parseState } from "./stream_state.ts";
import type { Connector } from "../connector/connector.ts";
import type { Storage } from "./storage.ts";

/**
 * The commit-log scopes of a stream: `""` for the unsharded log, and
 * `shard-i-of-n` for each shard that committed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logScopes } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * assert((await logScopes(new LocalStorage(dir), "demo/items")).length === 0);
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
  const files: string[] = [];
  for (const scope of await logScopes(storage, stream)) {
    files.push(...await logFor(storage, stream, scope).files());
  }
  return files.sort();
}

/**
 * Where the bytes of every committed, live data file of a stream are now,
 * over all its shards, oldest commit first. A file committed by a run that
 * died before moving it to its final name is still at its staged path: a
 * reader finds it there, and the next run moves it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readableFiles } from "./lake_reader.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * assert((await readableFiles(new LocalStorage(dir), "demo/items")).length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readableFiles(
  storage: Storage,
  stream: string,
): Promise<string[]> {
  const present = new Set(await storage.list(`${stream}/`));
  const files: Array<
    { scope: string; at: string; version: number; path: string }
  > = [];
  for (const scope of await logScopes(storage, stream)) {
    const live = new Map<
      string,
      { staged: string; at: string; version: number }
    >();
    for (const e of await logFor(storage, stream, scope).entries()) {
      for (const f of e.add) {
        if (!f.held) {
          live.set(f.path, {
            staged: f.staged,
            at: e.committedAt,
            version: e.version,
          });
        }
      }
      for (const r of e.remove) live.delete(r);
    }
    for (const [path, f] of live) {
      const where = present.has(path)
        ? path
        : present.has(f.staged)
        ? f.staged
        : undefined;
      if (where === undefined) {
        throw new Error(
          `Cannot read "${stream}": committed file ${path} is missing from ${storage.root} (nor is it at ${f.staged})`,
        );
      }
      files.push({ scope, at: f.at, version: f.version, path: where });
    }
  }
  // Commit order: by version within a log, by commit time across shards;
  // names break ties within a commit (they follow its order).
  const byName = (a: { path: string }, b: { path: string }) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  return files.sort((a, b) =>
    a.scope === b.scope
      ? a.version - b.version || byName(a, b)
      : a.at < b.at
      ? -1
      : a.at > b.at
      ? 1
      : byName(a, b)
  ).map((f) => f.path);
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
    const scopes = await logScopes(storage, id);
    if (scopes.length === 0) {
      out.push({ stream: id, scope: "", version: 0, state: null });
    }
    for (const scope of scopes) {
      // A corrupt entry is an error naming its file, never an empty state.
      const latest = await logFor(storage, id, scope).latest();
      let error: string | undefined;
      if (latest && latest.state !== null) {
        try {
          parseState(
            latest.state,
            `${storage.root}/${id}/_log${scope ? `.${scope}` : ""}/${
              String(latest.version).padStart(20, "0")
            }.json`,
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
 * The DuckDB SQL that defines a view per stream over its committed files,
 * given oldest commit first; a `merge` stream keeps the newest version of
 * each primary key: from the latest file, and within a Parquet file the
 * last row (an NDJSON file of a merge stream never holds a key twice).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { viewSql } from "./lake_reader.ts";
 * const sql = viewSql("items", ["/lake/demo/items/a.parquet"], ["id"], "merge");
 * assert(sql.includes("QUALIFY row_number()"));
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
  const extra = parquet ? "filename, file_row_number" : "filename";
  if (disposition !== "merge") {
    return `CREATE OR REPLACE VIEW ${
      ident(view)
    } AS SELECT * EXCLUDE (${extra}) FROM ${source}`;
  }
  // The commit order comes from the list (the log), not from the names.
  const order = `(VALUES ${
    files.map((f, i) => `(${literal(f)}, ${i})`).join(", ")
  }) AS _inlet_order(_inlet_file, _inlet_ord)`;
  return `CREATE OR REPLACE VIEW ${
    ident(view)
  } AS SELECT * EXCLUDE (${extra}, _inlet_ord) FROM (SELECT _d.*, _inlet_order._inlet_ord FROM ${source} AS _d JOIN ${order} ON _d.filename = _inlet_order._inlet_file) QUALIFY row_number() OVER (PARTITION BY ${
    primaryKey.map(ident).join(", ")
  } ORDER BY _inlet_ord DESC${parquet ? ", file_row_number DESC" : ""}) = 1`;
}
