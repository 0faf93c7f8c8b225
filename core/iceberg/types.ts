/**
 * The shapes of Iceberg v2 table metadata, as the spec names them (JSON
 * keys in kebab-case), and of the files a snapshot tracks.
 *
 * @module
 */

/**
 * An Iceberg primitive type: `boolean`, `int`, `long`, `float`, `double`,
 * `string`, `timestamptz`, `decimal(P,S)` and the others of the spec.
 *
 * @example
 * ```ts
 * import type { PrimitiveType } from "./types.ts";
 * const amount: PrimitiveType = "decimal(18,2)";
 * ```
 */
export type PrimitiveType = string;

/**
 * A list type: its element has its own field id.
 *
 * @example
 * ```ts
 * import type { ListType } from "./types.ts";
 * const tags: ListType = { type: "list", "element-id": 4, element: "string", "element-required": false };
 * ```
 */
export interface ListType {
  readonly type: "list";
  readonly "element-id": number;
  readonly element: IcebergType;
  readonly "element-required": boolean;
}

/**
 * A struct type (a nested object): each field has its own field id.
 *
 * @example
 * ```ts
 * import type { StructType } from "./types.ts";
 * const user: StructType = {
 *   type: "struct",
 *   fields: [{ id: 5, name: "login", required: false, type: "string" }],
 * };
 * ```
 */
export interface StructType {
  readonly type: "struct";
  readonly fields: readonly IcebergField[];
}

/**
 * Any type a column can have here: a primitive, a list or a struct.
 *
 * @example
 * ```ts
 * import type { IcebergType } from "./types.ts";
 * const t: IcebergType = "long";
 * ```
 */
export type IcebergType = PrimitiveType | ListType | StructType;

/**
 * One column of a schema, with its stable field id.
 *
 * @example
 * ```ts
 * import type { IcebergField } from "./types.ts";
 * const id: IcebergField = { id: 1, name: "id", required: false, type: "long" };
 * ```
 */
export interface IcebergField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  readonly doc?: string;
}

/**
 * A table schema (a struct), as kept in the metadata's `schemas`.
 *
 * @example
 * ```ts
 * import type { IcebergSchema } from "./types.ts";
 * const s: IcebergSchema = { type: "struct", "schema-id": 0, fields: [] };
 * ```
 */
export interface IcebergSchema {
  readonly type: "struct";
  readonly "schema-id": number;
  readonly fields: readonly IcebergField[];
  readonly "identifier-field-ids"?: readonly number[];
}

/**
 * A snapshot: one committed state of the table.
 *
 * @example
 * ```ts
 * import type { Snapshot } from "./types.ts";
 * const s: Snapshot = {
 *   "snapshot-id": 1, "sequence-number": 1, "timestamp-ms": 0,
 *   "manifest-list": "file:///t/metadata/snap-1.avro", summary: { operation: "append" },
 * };
 * ```
 */
export interface Snapshot {
  readonly "snapshot-id": number;
  readonly "parent-snapshot-id"?: number;
  readonly "sequence-number": number;
  readonly "timestamp-ms": number;
  readonly "manifest-list": string;
  /** `operation` and free-form string properties (a run's state, say). */
  readonly summary:
    & { readonly operation: string }
    & Readonly<
      Record<string, string>
    >;
  readonly "schema-id"?: number;
}

/**
 * Table metadata, format version 2: what `v<N>.metadata.json` holds.
 *
 * @example
 * ```ts
 * import type { TableMetadata } from "./types.ts";
 * const keys: (keyof TableMetadata)[] = ["format-version", "table-uuid", "location"];
 * ```
 */
export interface TableMetadata {
  readonly "format-version": 2;
  readonly "table-uuid": string;
  readonly location: string;
  readonly "last-sequence-number": number;
  readonly "last-updated-ms": number;
  readonly "last-column-id": number;
  readonly schemas: readonly IcebergSchema[];
  readonly "current-schema-id": number;
  readonly "partition-specs": readonly {
    readonly "spec-id": number;
    readonly fields: readonly unknown[];
  }[];
  readonly "default-spec-id": number;
  readonly "last-partition-id": number;
  readonly "sort-orders": readonly {
    readonly "order-id": number;
    readonly fields: readonly unknown[];
  }[];
  readonly "default-sort-order-id": number;
  readonly properties: Readonly<Record<string, string>>;
  readonly "current-snapshot-id": number;
  readonly snapshots: readonly Snapshot[];
  readonly "snapshot-log": readonly {
    readonly "snapshot-id": number;
    readonly "timestamp-ms": number;
  }[];
  readonly "metadata-log": readonly {
    readonly "metadata-file": string;
    readonly "timestamp-ms": number;
  }[];
  readonly refs: Readonly<
    Record<string, { readonly "snapshot-id": number; readonly type: "branch" }>
  >;
}

/**
 * A file a snapshot tracks, as the caller names it: a path relative to the
 * table's folder (`data/00001.parquet`), its rows and its size.
 *
 * @example
 * ```ts
 * import type { TableFile } from "./types.ts";
 * const f: TableFile = { path: "data/00001.parquet", recordCount: 10, sizeBytes: 1234 };
 * ```
 */
export interface TableFile {
  /** Relative to the table's folder. */
  readonly path: string;
  /** Rows (for a position delete file: deleted positions). */
  readonly recordCount: number;
  /** Bytes. */
  readonly sizeBytes: number;
}

/**
 * A live file of a snapshot, with what its manifest entry says.
 *
 * @example
 * ```ts
 * import type { LiveFile } from "./types.ts";
 * const f: LiveFile = {
 *   path: "data/a.parquet", recordCount: 1, sizeBytes: 9,
 *   content: "data", sequenceNumber: 1, snapshotId: 7,
 * };
 * ```
 */
export interface LiveFile extends TableFile {
  /** `data`, or `position-deletes`. */
  readonly content: "data" | "position-deletes";
  /** The data sequence number: deletes apply to data files of lower or equal numbers. */
  readonly sequenceNumber: number;
  /** The snapshot that added it. */
  readonly snapshotId: number;
}
