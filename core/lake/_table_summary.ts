/**
 * What inlet keeps in an Iceberg snapshot's summary: the committing scope,
 * run and state, the files a `replace` sweep holds back, and the NDJSON
 * archive files a commit adds or drops. Reading it back walks the current
 * snapshot's ancestry, newest first, to each scope's own last commit.
 *
 * @module
 */
import { exactJson, exactParse } from "../connector/exact_json.ts";
import { ConfigError } from "../connector/errors.ts";
import type { Snapshot, TableMetadata } from "../iceberg/types.ts";

/** Summary keys. */
export const KEYS = {
  scope: "inlet.scope",
  runId: "inlet.run-id",
  state: "inlet.state",
  held: "inlet.held",
  archiveAdded: "inlet.archive-added",
  archiveRemoved: "inlet.archive-removed",
} as const;

/** A file a commit lists: storage path, rows and size. */
export interface ListedFile {
  path: string;
  records: number;
  bytes: number;
}

/** A scope's last commit, as its snapshot's summary has it. */
export interface ScopeHead {
  snapshot: Snapshot;
  runId: string;
  state: unknown;
  held: ListedFile[];
}

/** The current snapshot's ancestry, oldest first (what readers see). */
export function ancestry(metadata: TableMetadata | undefined): Snapshot[] {
  if (metadata === undefined) return [];
  const byId = new Map(metadata.snapshots.map((s) => [s["snapshot-id"], s]));
  const out: Snapshot[] = [];
  let id: number | undefined = metadata["current-snapshot-id"];
  while (id !== undefined && id >= 0) {
    const s = byId.get(id);
    if (s === undefined) break; // Expired ancestors: the chain ends there.
    out.push(s);
    id = s["parent-snapshot-id"];
  }
  return out.reverse();
}

/** Whether `s` is an inlet commit of `scope`. */
export function ofScope(s: Snapshot, scope: string): boolean {
  return s.summary[KEYS.state] !== undefined &&
    (s.summary[KEYS.scope] ?? "") === scope;
}

/** The scopes that committed to the table. */
export function scopesOf(metadata: TableMetadata | undefined): string[] {
  const scopes = new Set<string>();
  for (const s of ancestry(metadata)) {
    if (s.summary[KEYS.state] !== undefined) {
      scopes.add(s.summary[KEYS.scope] ?? "");
    }
  }
  return [...scopes].sort();
}

/** A table as the summaries are read from it: its folder and metadata. */
export interface SummaryTable {
  readonly path: string;
  readonly metadata: TableMetadata | undefined;
}

// Listed paths are stored table-relative: a lake read under another
// prefix (a bucket's root) still finds them.
function parseList(
  s: Snapshot,
  key: string,
  where: string,
  tablePath: string,
): ListedFile[] {
  const text = s.summary[key];
  if (text === undefined) return [];
  const bad = () =>
    new ConfigError(
      `Corrupt Iceberg snapshot ${
        s["snapshot-id"]
      } in ${where}: summary "${key}" is not a list of files`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(raw) ||
    raw.some((f) =>
      typeof f?.path !== "string" || !Number.isSafeInteger(f.records) ||
      !Number.isSafeInteger(f.bytes)
    )
  ) throw bad();
  return (raw as ListedFile[]).map((f) => ({
    ...f,
    path: `${tablePath}/${f.path}`,
  }));
}

/** The last commit of `scope` (`undefined`: none), read from `metadata`. */
export function scopeHead(
  table: SummaryTable,
  scope: string,
  where: string,
): ScopeHead | undefined {
  const snapshot = ancestry(table.metadata).findLast((s) => ofScope(s, scope));
  if (snapshot === undefined) return undefined;
  let state: unknown;
  try {
    // A bigint cursor beyond 2^53 comes back with every digit.
    state = exactParse(snapshot.summary[KEYS.state]!);
  } catch (err) {
    throw new ConfigError(
      `Corrupt Iceberg snapshot ${
        snapshot["snapshot-id"]
      } in ${where}: summary "${KEYS.state}" is not JSON (${
        (err as Error).message
      }); restore the metadata file or pull into a new lake`,
    );
  }
  return {
    snapshot,
    runId: snapshot.summary[KEYS.runId] ?? "",
    state,
    held: parseList(snapshot, KEYS.held, where, table.path),
  };
}

/** The NDJSON archive files of `scope` still live, in commit order. */
export function archiveFiles(
  table: SummaryTable,
  scope: string,
  where: string,
): ListedFile[] {
  const live = new Map<string, ListedFile>();
  for (const s of ancestry(table.metadata)) {
    if (!ofScope(s, scope)) continue;
    for (const f of parseList(s, KEYS.archiveRemoved, where, table.path)) {
      live.delete(f.path);
    }
    for (const f of parseList(s, KEYS.archiveAdded, where, table.path)) {
      live.set(f.path, f);
    }
  }
  return [...live.values()];
}

/** What a commit writes into its snapshot's summary. */
export interface SummaryParts {
  scope: string;
  runId: string;
  state: unknown;
  held: readonly ListedFile[];
  archiveAdded: readonly ListedFile[];
  archiveRemoved: readonly ListedFile[];
}

/** The summary properties of a commit to the table at `tablePath`. */
export function summaryOf(
  p: SummaryParts,
  tablePath: string,
): Record<string, string> {
  const out: Record<string, string> = {
    [KEYS.scope]: p.scope,
    [KEYS.runId]: p.runId,
    [KEYS.state]: exactJson(p.state === undefined ? null : p.state),
  };
  const list = (key: string, files: readonly ListedFile[]) => {
    if (files.length === 0) return;
    out[key] = JSON.stringify(files.map((f) => ({
      ...f,
      path: f.path.slice(tablePath.length + 1),
    })));
  };
  list(KEYS.held, p.held);
  list(KEYS.archiveAdded, p.archiveAdded);
  list(KEYS.archiveRemoved, p.archiveRemoved);
  return out;
}
