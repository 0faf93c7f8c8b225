/**
 * Apache Iceberg v2 tables in a file-system catalog over the lake's
 * storage: table metadata, Avro manifests, the conditional-create commit,
 * schemas with stable field ids, position deletes for merges, expiring
 * old snapshots.
 *
 * @module
 */
export * from "./commit_conflict_error.ts";
export * from "./commit_snapshot.ts";
export * from "./current_snapshot.ts";
export * from "./expire_snapshots.ts";
export * from "./key_index.ts";
export * from "./lake_columns.ts";
export * from "./parquet_schema.ts";
export * from "./position_deletes.ts";
export * from "./retired_files.ts";
export * from "./schema.ts";
export * from "./storage.ts";
export * from "./table.ts";
export * from "./types.ts";
