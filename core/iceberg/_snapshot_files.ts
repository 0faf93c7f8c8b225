/**
 * The files a snapshot is made of, table-relative: its manifest list, its
 * manifests, the data and delete files its manifests list as live, and
 * those they list as removed by it.
 *
 * @module
 */
import type { ManifestEntryRow, ManifestFileRow } from "./_avro_schemas.ts";
import {
  DELETED,
  readManifest,
  readManifestList,
  relativePath,
} from "./_manifests.ts";
import type { IcebergTable } from "./table.ts";
import type { Snapshot } from "./types.ts";

/** A snapshot's files. */
export interface SnapshotFiles {
  readonly manifestList: string;
  readonly manifests: string[];
  /** Data and delete files live in the snapshot. */
  readonly live: string[];
  /** Data and delete files the snapshot's manifests mark deleted. */
  readonly removed: string[];
}

/** Reads manifests once across many snapshots (they share most of them). */
export class ManifestCache {
  readonly #entries = new Map<string, Promise<ManifestEntryRow[]>>();
  constructor(readonly table: IcebergTable) {}

  entries(manifest: ManifestFileRow): Promise<ManifestEntryRow[]> {
    let e = this.#entries.get(manifest.manifest_path);
    if (e === undefined) {
      e = readManifest(this.table, manifest);
      this.#entries.set(manifest.manifest_path, e);
    }
    return e;
  }
}

/** The files of `snapshot`, manifests read through `cache`. */
export async function snapshotFiles(
  cache: ManifestCache,
  snapshot: Snapshot,
): Promise<SnapshotFiles> {
  const table = cache.table;
  const rel = (uri: string) => relativePath(table, uri);
  const out: SnapshotFiles = {
    manifestList: rel(snapshot["manifest-list"]),
    manifests: [],
    live: [],
    removed: [],
  };
  for (const m of await readManifestList(table, snapshot["manifest-list"])) {
    out.manifests.push(rel(m.manifest_path));
    for (const e of await cache.entries(m)) {
      (e.status === DELETED ? out.removed : out.live).push(
        rel(e.data_file.file_path),
      );
    }
  }
  return out;
}
