/**
 * The error of an Iceberg commit that lost its metadata version to another
 * writer.
 *
 * @module
 */

/**
 * Another writer created the metadata version this commit wanted. Nothing
 * of this commit became visible: re-read the table (`loadTable`) and retry
 * on top of what was committed, or give up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommitConflictError } from "./commit_conflict_error.ts";
 * const err = new CommitConflictError("demo/items", 3);
 * assert.match(err.message, /version 3 of demo\/items/);
 * ```
 */
export class CommitConflictError extends Error {
  /** The table's path in its storage. */
  readonly table: string;
  /** The metadata version that was taken. */
  readonly version: number;

  /** Build the error. */
  constructor(table: string, version: number, options?: ErrorOptions) {
    super(
      `Cannot commit to the Iceberg table: version ${version} of ${table} was committed by another writer first; re-read the table and retry`,
      options,
    );
    this.name = "CommitConflictError";
    this.table = table;
    this.version = version;
  }
}
