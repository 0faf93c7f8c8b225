/**
 * The table metadata after a commit: the new snapshot current on `main`,
 * the schema evolved, the logs extended (the metadata log cut to the
 * table's `write.metadata.previous-versions-max`).
 *
 * @module
 */
import { withMetadataLog } from "./_publish.ts";
import type { IcebergTable } from "./table.ts";
import type { EvolvedSchema } from "./schema.ts";
import type { Snapshot, TableMetadata } from "./types.ts";

/** Build `v<N+1>`'s metadata from `table` (at `v<N>`, or new) and `snapshot`. */
export function nextMetadata(
  table: IcebergTable,
  snapshot: Snapshot,
  schema: EvolvedSchema,
  properties: Readonly<Record<string, string>>,
): TableMetadata {
  const base = table.metadata;
  const now = snapshot["timestamp-ms"];
  const schemas = base?.schemas ?? [];
  const id = snapshot["snapshot-id"];
  return withMetadataLog(table, {
    "format-version": 2,
    "table-uuid": base?.["table-uuid"] ?? crypto.randomUUID(),
    location: table.location,
    "last-sequence-number": snapshot["sequence-number"],
    "last-updated-ms": now,
    "last-column-id": Math.max(
      schema.lastColumnId,
      base?.["last-column-id"] ?? 0,
    ),
    schemas: schema.changed ? [...schemas, schema.schema] : schemas,
    "current-schema-id": schema.schema["schema-id"],
    "partition-specs": [{ "spec-id": 0, fields: [] }],
    "default-spec-id": 0,
    // No partition field yet: the first one would get id 1000.
    "last-partition-id": 999,
    "sort-orders": [{ "order-id": 0, fields: [] }],
    "default-sort-order-id": 0,
    properties: { ...base?.properties, ...properties },
    "current-snapshot-id": id,
    snapshots: [...base?.snapshots ?? [], snapshot],
    "snapshot-log": [
      ...base?.["snapshot-log"] ?? [],
      { "snapshot-id": id, "timestamp-ms": now },
    ],
    "metadata-log": base?.["metadata-log"] ?? [],
    refs: { main: { "snapshot-id": id, type: "branch" } },
  });
}
