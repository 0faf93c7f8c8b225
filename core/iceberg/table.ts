/**
 * An Iceberg table in a file-system catalog: its folder holds `metadata/`
 * (`v<N>.metadata.json`, `version-hint.text`, manifests, manifest lists) and
 * the data and delete files. Loading finds the newest metadata version.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../connector/errors.ts";
import type { TableStorage } from "./storage.ts";
import type { TableMetadata } from "./types.ts";

/**
 * A table as loaded: where it is and the metadata version read. Immutable:
 * a commit returns the next one.
 *
 * @example
 * ```ts
 * import type { IcebergTable } from "./table.ts";
 * const isNew = (t: IcebergTable) => t.metadata === undefined;
 * ```
 */
export interface IcebergTable {
  readonly storage: TableStorage;
  /** The table's folder in `storage` (`demo/items`). */
  readonly path: string;
  /** Its URI, as every file path in the metadata starts (`file:///…`, `s3://…`). */
  readonly location: string;
  /** The metadata version read; 0 when the table has none yet. */
  readonly version: number;
  /** The metadata of `version`; `undefined` before the first commit. */
  readonly metadata: TableMetadata | undefined;
}

/**
 * Options for {@linkcode loadTable}.
 *
 * @example
 * ```ts
 * import type { LoadTableOptions } from "./table.ts";
 * const o: LoadTableOptions = { location: "s3://bucket/lake/demo/items" };
 * ```
 */
export interface LoadTableOptions {
  /**
   * The table's URI, for a table not created yet (an existing table's is
   * in its metadata).
   * @default {`<root>/<path>` for an `s3://` root, else the file URL of the folder}
   */
  readonly location?: string;
}

const HINT = "metadata/version-hint.text";
/** Probes past the hint before listing: a hint lags by one or two at most in practice. */
const MAX_PROBES = 16;

/**
 * The URI of a table-relative path, as the table's metadata (and its
 * position delete files) name the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type IcebergTable, uriOf } from "./table.ts";
 * const t = { location: "s3://b/lake/demo/items" } as IcebergTable;
 * assert.equal(uriOf(t, "data/a b.parquet"), "s3://b/lake/demo/items/data/a%20b.parquet");
 * ```
 */
export function uriOf(table: IcebergTable, relative: string): string {
  return `${table.location}/${encodeURI(relative)}`;
}

/** `metadata/v<N>.metadata.json` of a table. */
export function metadataPath(tablePath: string, version: number): string {
  return `${tablePath}/metadata/v${version}.metadata.json`;
}

function defaultLocation(root: string, path: string): string {
  if (/^s3a?:\/\//.test(root)) return `${root.replace(/\/+$/, "")}/${path}`;
  const dir = isAbsolute(root) ? root : resolve(root);
  return pathToFileURL(`${dir.replace(/\/+$/, "")}/${path}`).href;
}

async function hintedVersion(
  storage: TableStorage,
  path: string,
): Promise<number | undefined> {
  const bytes = await storage.get(`${path}/${HINT}`);
  if (bytes === undefined) return undefined;
  const n = Number.parseInt(new TextDecoder().decode(bytes).trim(), 10);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

async function listedVersion(
  storage: TableStorage,
  path: string,
): Promise<number> {
  let max = 0;
  for (const p of await storage.list(`${path}/metadata/`)) {
    const m = /\/v(\d+)\.metadata\.json$/.exec(p);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}

function parse(bytes: Uint8Array, where: string): TableMetadata {
  let metadata;
  try {
    metadata = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    // A table that is guessed at could resume a stream from the wrong state.
    throw new ConfigError(
      `Corrupt Iceberg table metadata ${where}: not valid JSON (${
        (err as Error).message
      }); restore the file, or remove it and every later version to roll the table back`,
    );
  }
  if (metadata?.["format-version"] !== 2) {
    throw new TypeError(
      `Cannot read the Iceberg table metadata ${where}: format-version ${
        metadata?.["format-version"]
      }, only 2 is supported`,
    );
  }
  return metadata;
}

/**
 * Load the table at `path`: the newest metadata version, found from
 * `version-hint.text` and then by probing the versions after it (the hint
 * is written after each commit, so it may lag; the metadata files are the
 * truth). Without a hint, the `metadata/` folder is listed. A table with no
 * metadata yet loads as version 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTable } from "./table.ts";
 * const files = new Map<string, Uint8Array>();
 * const storage = {
 *   root: "s3://bucket/lake",
 *   put: async (p: string, d: Uint8Array) => void files.set(p, d),
 *   putIfAbsent: async () => true,
 *   get: async (p: string) => files.get(p),
 *   list: async () => [],
 *   delete: async () => {},
 * };
 * const table = await loadTable(storage, "demo/items");
 * assert.equal(table.version, 0);
 * assert.equal(table.location, "s3://bucket/lake/demo/items");
 * ```
 */
export async function loadTable(
  storage: TableStorage,
  path: string,
  options: LoadTableOptions = {},
): Promise<IcebergTable> {
  if (path === "" || path.startsWith("/") || path.endsWith("/")) {
    throw new TypeError(`Cannot load the table "${path}": not a table folder`);
  }
  let version = await hintedVersion(storage, path) ??
    await listedVersion(storage, path);
  let bytes = version > 0
    ? await storage.get(metadataPath(path, version))
    : undefined;
  if (version > 0 && bytes === undefined) {
    // Old metadata files are deleted after commits (the table's
    // `write.metadata.delete-after-commit.enabled`): a hint that lagged
    // behind that is stale, not a gap, when newer versions exist.
    const listed = await listedVersion(storage, path);
    if (listed > version) {
      version = listed;
      bytes = await storage.get(metadataPath(path, version));
    }
  }
  if (version > 0 && bytes === undefined) {
    throw new Error(
      `Cannot load the Iceberg table ${path}: ${HINT} names version ${version}, which does not exist`,
    );
  }
  for (let probes = 0;; probes++) {
    if (probes === MAX_PROBES) {
      version = await listedVersion(storage, path);
      bytes = await storage.get(metadataPath(path, version));
      break;
    }
    const next = await storage.get(metadataPath(path, version + 1));
    if (next === undefined) break;
    version++;
    bytes = next;
  }
  const metadata = bytes === undefined
    ? undefined
    : parse(bytes, `${storage.root}/${metadataPath(path, version)}`);
  // Once written, the metadata's location is the table's: every file path in it starts so.
  const location = metadata?.location ?? options.location ??
    defaultLocation(storage.root, path);
  return { storage, path, location, version, metadata };
}
