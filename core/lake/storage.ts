/**
 * Where the lake's bytes live. The commit protocol needs only these few
 * operations, so a local folder and an S3-compatible bucket serve alike.
 *
 * Paths are relative to the storage root and always use `/`.
 *
 * @module
 */

/**
 * A file being written. Its bytes become visible at its path only once
 * `close()` resolves (and then durably), never half-written.
 *
 * @example
 * ```ts
 * import type { FileSink } from "./storage.ts";
 * async function writeAll(sink: FileSink, chunks: Uint8Array[]) {
 *   try {
 *     for (const c of chunks) await sink.write(c);
 *     await sink.close();
 *   } catch (err) {
 *     await sink.abort();
 *     throw err;
 *   }
 * }
 * ```
 */
export interface FileSink {
  /** Append bytes. */
  write(chunk: Uint8Array): Promise<void>;
  /** Make the file complete, durable and visible. */
  close(): Promise<void>;
  /** Drop what was written; nothing becomes visible. */
  abort(): Promise<void>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}

/**
 * The operations the lake needs from a file system or an object store.
 *
 * @example
 * ```ts
 * import type { Storage } from "./storage.ts";
 * async function readState(storage: Storage): Promise<unknown> {
 *   const bytes = await storage.get("demo/items/metadata/v1.metadata.json");
 *   return bytes ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
 * }
 * ```
 */
export interface Storage {
  /** The root as a user would name it (`./lake`, `s3://bucket/prefix`), for messages. */
  readonly root: string;
  /** Start writing a file; it is visible only after `close()`. */
  create(path: string): Promise<FileSink>;
  /** Write a whole small file atomically (replacing any previous one). */
  put(path: string, data: Uint8Array): Promise<void>;
  /**
   * Write a whole small file only if nothing exists at `path`.
   * Resolves `false`, writing nothing, when something does: two writers can
   * never both create the same commit entry.
   */
  putIfAbsent(path: string, data: Uint8Array): Promise<boolean>;
  /** The whole file, or `undefined` when there is none. */
  get(path: string): Promise<Uint8Array | undefined>;
  /** Every file path under `prefix` (recursively), sorted. Missing prefix: `[]`. */
  list(prefix: string): Promise<string[]>;
  /**
   * Move a complete file. Idempotent: when `from` is gone and `to` exists,
   * the move already happened and this resolves.
   */
  move(from: string, to: string): Promise<void>;
  /** Remove a file; a missing file is not an error. */
  delete(path: string): Promise<void>;
  /**
   * What unfinished writes left under `prefix` that `list()` never shows
   * (a local store's hidden temp files and folders), deepest first. A store
   * without any (an object store: an upload is invisible until complete)
   * need not have this method.
   */
  leftovers?(prefix: string): Promise<Leftover[]>;
}

/**
 * A trace of a write that `list()` never shows: a temp file, or a folder
 * (its path ends with `/`).
 *
 * @example
 * ```ts
 * import type { Leftover } from "./storage.ts";
 * async function discardAll(found: Leftover[]): Promise<void> {
 *   for (const l of found) await l.discard();
 * }
 * ```
 */
export interface Leftover {
  /** Its path in the lake; a folder's ends with `/`. */
  readonly path: string;
  /** Remove it: gone already is fine, and a folder goes only while empty. */
  discard(): Promise<void>;
}
