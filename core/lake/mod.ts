/**
 * Where records land: storage (local folder, S3), each stream's Iceberg table, the
 * Parquet and NDJSON writers, column types, stream state, and reading back.
 *
 * @module
 */
export * from "./stream_table.ts";
export * from "./compact_table.ts";
export * from "./expire_table.ts";
export * from "./lake_reader.ts";
export * from "./local_storage.ts";
export * from "./ndjson_writer.ts";
export * from "./parquet_writer.ts";
export * from "./query.ts";
export * from "./s3_storage.ts";
export * from "./schema.ts";
export * from "./storage.ts";
export * from "./stream_format.ts";
export * from "./stream_state.ts";
export * from "./stream_writer.ts";
export * from "./write_error.ts";
export * from "./xml.ts";
