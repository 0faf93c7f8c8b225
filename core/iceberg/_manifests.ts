/**
 * Manifests and manifest lists: writing them (Avro, with the file metadata
 * keys the spec requires) and reading them back.
 *
 * @module
 */
import { decodeAvro, encodeAvro } from "./_avro_file.ts";
import {
  MANIFEST_ENTRY,
  MANIFEST_FILE,
  type ManifestEntryRow,
  type ManifestFileRow,
} from "./_avro_schemas.ts";
import type { IcebergTable } from "./table.ts";
import type { IcebergSchema } from "./types.ts";

/** Entry status: 0 existing, 1 added, 2 deleted. */
export const EXISTING = 0, ADDED = 1, DELETED = 2;
/** Manifest (and data file) content: 0 data, 1 position deletes. */
export const DATA = 0, POSITION_DELETES = 1;

/** The table-relative path of a URI in the metadata, e.g. `metadata/x.avro`. */
export function relativePath(table: IcebergTable, uri: string): string {
  const prefix = `${table.location}/`;
  if (!uri.startsWith(prefix)) {
    throw new Error(
      `Cannot read the Iceberg table ${table.path}: ${uri} is outside its location ${table.location}`,
    );
  }
  return decodeURI(uri.slice(prefix.length));
}

import { uriOf } from "./table.ts";
export { uriOf };

async function readFile(table: IcebergTable, uri: string): Promise<Uint8Array> {
  const path = `${table.path}/${relativePath(table, uri)}`;
  const bytes = await table.storage.get(path);
  if (bytes === undefined) {
    throw new Error(
      `Cannot read the Iceberg table ${table.path}: ${path} is missing`,
    );
  }
  return bytes;
}

/** The rows of a manifest list. */
export async function readManifestList(
  table: IcebergTable,
  uri: string,
): Promise<ManifestFileRow[]> {
  return (await decodeAvro<ManifestFileRow>(await readFile(table, uri)))
    .records;
}

/**
 * The entries of a manifest, sequence numbers inherited from the manifest
 * where an added entry leaves them null.
 */
export async function readManifest(
  table: IcebergTable,
  manifest: ManifestFileRow,
): Promise<ManifestEntryRow[]> {
  const { records } = await decodeAvro<ManifestEntryRow>(
    await readFile(table, manifest.manifest_path),
  );
  for (const e of records) {
    e.sequence_number ??= manifest.sequence_number;
    e.file_sequence_number ??= manifest.sequence_number;
    e.snapshot_id ??= manifest.added_snapshot_id;
  }
  return records;
}

/** What a new manifest holds and where it goes. */
export interface ManifestWrite {
  readonly content: typeof DATA | typeof POSITION_DELETES;
  readonly entries: readonly ManifestEntryRow[];
  readonly schema: IcebergSchema;
  readonly snapshotId: number;
  readonly sequenceNumber: number;
  /** Table-relative path. */
  readonly path: string;
}

/** Write a manifest; its row for the manifest list. */
export async function writeManifest(
  table: IcebergTable,
  m: ManifestWrite,
): Promise<ManifestFileRow> {
  const bytes = await encodeAvro(MANIFEST_ENTRY, m.entries, {
    "schema": JSON.stringify(m.schema),
    "schema-id": String(m.schema["schema-id"]),
    "partition-spec": "[]",
    "partition-spec-id": "0",
    "format-version": "2",
    "content": m.content === DATA ? "data" : "deletes",
  });
  await table.storage.put(`${table.path}/${m.path}`, bytes);
  const count = (status: number) => {
    let files = 0, rows = 0;
    for (const e of m.entries) {
      if (e.status === status) {
        files++;
        rows += e.data_file.record_count;
      }
    }
    return { files, rows };
  };
  const added = count(ADDED), existing = count(EXISTING);
  const deleted = count(DELETED);
  let minSequence = m.sequenceNumber;
  for (const e of m.entries) {
    if (e.status !== DELETED && e.sequence_number !== null) {
      minSequence = Math.min(minSequence, e.sequence_number);
    }
  }
  return {
    manifest_path: uriOf(table, m.path),
    manifest_length: bytes.length,
    partition_spec_id: 0,
    content: m.content,
    sequence_number: m.sequenceNumber,
    min_sequence_number: minSequence,
    added_snapshot_id: m.snapshotId,
    added_files_count: added.files,
    existing_files_count: existing.files,
    deleted_files_count: deleted.files,
    added_rows_count: added.rows,
    existing_rows_count: existing.rows,
    deleted_rows_count: deleted.rows,
    key_metadata: null,
  };
}

/** Write a manifest list (table-relative `path`); its URI. */
export async function writeManifestList(
  table: IcebergTable,
  path: string,
  rows: readonly ManifestFileRow[],
  snapshot: { id: number; parentId?: number; sequenceNumber: number },
): Promise<string> {
  const metadata: Record<string, string> = {
    "snapshot-id": String(snapshot.id),
    "sequence-number": String(snapshot.sequenceNumber),
    "format-version": "2",
  };
  if (snapshot.parentId !== undefined) {
    metadata["parent-snapshot-id"] = String(snapshot.parentId);
  }
  const bytes = await encodeAvro(MANIFEST_FILE, rows, metadata);
  await table.storage.put(`${table.path}/${path}`, bytes);
  return uriOf(table, path);
}
