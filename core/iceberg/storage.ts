/**
 * What a table needs from where its bytes live. The lake's storages (a
 * local folder, an S3 bucket) have these methods already: this package sits
 * below `lake/`, so it names only what it uses and they fit it as they are.
 *
 * @module
 */

/**
 * The few operations an Iceberg table's commit needs. Paths are relative to
 * the storage root and use `/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TableStorage } from "./storage.ts";
 * const files = new Map<string, Uint8Array>();
 * const memory: TableStorage = {
 *   root: "memory",
 *   put: async (p, d) => void files.set(p, d),
 *   putIfAbsent: async (p, d) => files.has(p) ? false : (files.set(p, d), true),
 *   get: async (p) => files.get(p),
 *   list: async (prefix) => [...files.keys()].filter((p) => p.startsWith(prefix)).sort(),
 *   delete: async (p) => void files.delete(p),
 * };
 * assert(await memory.putIfAbsent("t/metadata/v1.metadata.json", new Uint8Array()));
 * ```
 */
export interface TableStorage {
  /** The root as a user would name it (`./lake`, `s3://bucket/prefix`). */
  readonly root: string;
  /** Write a whole file atomically, replacing any previous one. */
  put(path: string, data: Uint8Array): Promise<void>;
  /**
   * Write a whole file only if nothing exists at `path`; `false`, writing
   * nothing, when something does. This is the commit's arbiter.
   */
  putIfAbsent(path: string, data: Uint8Array): Promise<boolean>;
  /** The whole file, or `undefined` when there is none. */
  get(path: string): Promise<Uint8Array | undefined>;
  /** Every file path under `prefix` (recursively), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Remove a file; a missing file is not an error. */
  delete(path: string): Promise<void>;
}
