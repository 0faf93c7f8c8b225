/**
 * The error of a commit that lost its version to another run.
 *
 * @module
 */

/**
 * Someone else committed the version this commit wanted: another run is
 * writing the same stream. Nothing of this commit became visible.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommitConflictError } from "./stream_table.ts";
 * const err = new CommitConflictError("demo/items", 7, "demo/items/metadata/v7.metadata.json");
 * assert(err.message.includes("concurrent commit"));
 * ```
 */
export class CommitConflictError extends Error {
  /** The version that was taken. */
  readonly version: number;
  /** The metadata version that exists already. */
  readonly path: string;

  /** Build the error. */
  constructor(
    stream: string,
    version: number,
    path: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot commit "${stream}": concurrent commit, version ${version} (${path}) was written by another run; only one run may write a stream at a time`,
      options,
    );
    this.name = "CommitConflictError";
    this.version = version;
    this.path = path;
  }
}
