/**
 * Publishing a table's next metadata version: the conditional create that
 * is the whole commit, then the version hint, then (with the table's
 * `write.metadata.delete-after-commit.enabled`) the metadata files that
 * fell off the metadata log.
 *
 * @module
 */
import { relativePath } from "./_manifests.ts";
import { CommitConflictError } from "./commit_conflict_error.ts";
import { type IcebergTable, metadataPath, uriOf } from "./table.ts";
import type { TableMetadata } from "./types.ts";

/** Iceberg's table properties for old metadata files. */
export const DELETE_AFTER_COMMIT = "write.metadata.delete-after-commit.enabled";
/** How many previous metadata files the log keeps. */
export const PREVIOUS_VERSIONS_MAX = "write.metadata.previous-versions-max";

/**
 * What inlet sets on a new table (a table that lacks them gets them on its
 * next commit): a table pulled every few minutes would otherwise keep one
 * metadata file per commit forever.
 */
export const METADATA_DEFAULTS: Readonly<Record<string, string>> = {
  [DELETE_AFTER_COMMIT]: "true",
  [PREVIOUS_VERSIONS_MAX]: "100",
};

/** The metadata log's length limit of `properties` (Iceberg's default: 100). */
function previousVersionsMax(properties: Readonly<Record<string, string>>) {
  const n = Number(properties[PREVIOUS_VERSIONS_MAX] ?? 100);
  return Number.isSafeInteger(n) && n >= 0 ? n : 100;
}

/**
 * `metadata` (the next version of `table`) with the defaults filled in and
 * `table`'s version appended to its metadata log, the log cut to the
 * newest `write.metadata.previous-versions-max` entries.
 */
export function withMetadataLog(
  table: IcebergTable,
  metadata: TableMetadata,
): TableMetadata {
  const base = table.metadata;
  const properties = { ...METADATA_DEFAULTS, ...metadata.properties };
  const log = base === undefined ? [] : [
    ...base["metadata-log"],
    {
      "metadata-file": uriOf(
        table,
        metadataPath(table.path, table.version).slice(table.path.length + 1),
      ),
      "timestamp-ms": base["last-updated-ms"],
    },
  ];
  const max = previousVersionsMax(properties);
  return {
    ...metadata,
    properties,
    "metadata-log": log.slice(Math.max(0, log.length - max)),
  };
}

/** Errors of a create that surely did not happen (its version holds no file, or another's). */
const notCreated = new WeakSet<object>();

/** Whether `err` came from a create that surely did not happen. */
export function surelyNotCreated(err: unknown): boolean {
  return typeof err === "object" && err !== null && notCreated.has(err);
}

/** The conditional create; a failure looks at what is there now. */
async function create(
  table: IcebergTable,
  path: string,
  bytes: Uint8Array,
): Promise<boolean> {
  try {
    return await table.storage.putIfAbsent(path, bytes);
  } catch (err) {
    const now = await table.storage.get(path).then(
      (b) => ({ b }),
      () => undefined,
    );
    if (now === undefined) throw err; // Unknown: the files stay.
    const ours = now.b !== undefined && now.b.length === bytes.length &&
      now.b.every((x, i) => x === bytes[i]);
    if (ours) return true; // It happened; only the answer was lost.
    if (typeof err === "object" && err !== null) notCreated.add(err);
    throw err;
  }
}

/**
 * Create `metadata` as the version after `table`'s, or throw
 * {@linkcode CommitConflictError} when another writer created it first.
 */
export async function publish(
  table: IcebergTable,
  metadata: TableMetadata,
): Promise<IcebergTable> {
  const version = table.version + 1;
  const bytes = new TextEncoder().encode(JSON.stringify(metadata, null, 2));
  if (!await create(table, metadataPath(table.path, version), bytes)) {
    throw new CommitConflictError(table.path, version);
  }
  // After the commit, and only a pointer (see commitSnapshot's doc): the
  // commit stands whether or not the hint moves.
  try {
    await table.storage.put(
      `${table.path}/metadata/version-hint.text`,
      new TextEncoder().encode(String(version)),
    );
  } catch {
    // Readers and writers probe past a lagging hint.
  }
  await dropOldMetadata(table, metadata);
  return { ...table, version, metadata };
}

/**
 * Delete the metadata files `table` still logged (or was) that the new
 * `metadata` no longer logs. Best effort: the commit stands, and a file
 * left behind is only space.
 */
async function dropOldMetadata(
  table: IcebergTable,
  metadata: TableMetadata,
): Promise<void> {
  const base = table.metadata;
  if (
    base === undefined || metadata.properties[DELETE_AFTER_COMMIT] !== "true"
  ) {
    return;
  }
  const kept = new Set(metadata["metadata-log"].map((e) => e["metadata-file"]));
  const was = [
    ...base["metadata-log"].map((e) => e["metadata-file"]),
    uriOf(
      table,
      metadataPath(table.path, table.version).slice(table.path.length + 1),
    ),
  ];
  for (const uri of was) {
    if (kept.has(uri)) continue;
    let rel: string;
    try {
      rel = relativePath(table, uri);
    } catch {
      continue; // Not this table's file: never ours to delete.
    }
    if (!/^metadata\/v\d+\.metadata\.json$/.test(rel)) continue;
    await table.storage.delete(`${table.path}/${rel}`).catch(() => {});
  }
}
