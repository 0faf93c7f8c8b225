/**
 * The Avro schemas of manifests and manifest lists, Iceberg format v2, with
 * the `field-id`s the spec assigns (readers such as Iceberg Java project
 * these files by field id, not by name).
 *
 * @module
 */

const opt = (type: unknown) => ["null", type];

function field(id: number, name: string, type: unknown, optional = false) {
  return optional
    ? { name, type: opt(type), default: null, "field-id": id }
    : { name, type, "field-id": id };
}

/** `manifest_file`: one row of a manifest list. */
export const MANIFEST_FILE = {
  type: "record",
  name: "manifest_file",
  fields: [
    field(500, "manifest_path", "string"),
    field(501, "manifest_length", "long"),
    field(502, "partition_spec_id", "int"),
    field(517, "content", "int"),
    field(515, "sequence_number", "long"),
    field(516, "min_sequence_number", "long"),
    field(503, "added_snapshot_id", "long"),
    field(504, "added_files_count", "int"),
    field(505, "existing_files_count", "int"),
    field(506, "deleted_files_count", "int"),
    field(512, "added_rows_count", "long"),
    field(513, "existing_rows_count", "long"),
    field(514, "deleted_rows_count", "long"),
    field(519, "key_metadata", "bytes", true),
  ],
};

/** `manifest_entry` with its `data_file` (unpartitioned: an empty partition struct). */
export const MANIFEST_ENTRY = {
  type: "record",
  name: "manifest_entry",
  fields: [
    field(0, "status", "int"),
    field(1, "snapshot_id", "long", true),
    field(3, "sequence_number", "long", true),
    field(4, "file_sequence_number", "long", true),
    field(2, "data_file", {
      type: "record",
      name: "r2",
      fields: [
        field(134, "content", "int"),
        field(100, "file_path", "string"),
        field(101, "file_format", "string"),
        field(102, "partition", { type: "record", name: "r102", fields: [] }),
        field(103, "record_count", "long"),
        field(104, "file_size_in_bytes", "long"),
        field(131, "key_metadata", "bytes", true),
        field(132, "split_offsets", {
          type: "array",
          items: "long",
          "element-id": 133,
        }, true),
        field(135, "equality_ids", {
          type: "array",
          items: "int",
          "element-id": 136,
        }, true),
        field(140, "sort_order_id", "int", true),
      ],
    }),
  ],
};

/** A manifest list row as written and read (Avro longs as numbers). */
export interface ManifestFileRow {
  manifest_path: string;
  manifest_length: number;
  partition_spec_id: number;
  content: number;
  sequence_number: number;
  min_sequence_number: number;
  added_snapshot_id: number;
  added_files_count: number;
  existing_files_count: number;
  deleted_files_count: number;
  added_rows_count: number;
  existing_rows_count: number;
  deleted_rows_count: number;
  key_metadata: Uint8Array | null;
}

/** A manifest entry as written and read. */
export interface ManifestEntryRow {
  status: number;
  snapshot_id: number | null;
  sequence_number: number | null;
  file_sequence_number: number | null;
  data_file: {
    content: number;
    file_path: string;
    file_format: string;
    partition: Record<string, never>;
    record_count: number;
    file_size_in_bytes: number;
    key_metadata: Uint8Array | null;
    split_offsets: number[] | null;
    equality_ids: number[] | null;
    sort_order_id: number | null;
  };
}
