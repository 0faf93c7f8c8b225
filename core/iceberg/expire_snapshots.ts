/**
 * Expiring a table's old snapshots, and deleting the files only they held.
 *
 * @module
 */
import { ManifestCache, snapshotFiles } from "./_snapshot_files.ts";
import { publish, withMetadataLog } from "./_publish.ts";
import type { IcebergTable } from "./table.ts";
import type { Snapshot } from "./types.ts";

/**
 * Options for {@linkcode expireSnapshots}.
 *
 * @example
 * ```ts
 * import type { ExpireOptions } from "./expire_snapshots.ts";
 * const o: ExpireOptions = { olderThan: Date.now() - 7 * 86_400_000 };
 * ```
 */
export interface ExpireOptions {
  /** Snapshots committed before this time (epoch ms) expire. */
  readonly olderThan: number;
  /**
   * Snapshots to keep whatever their age; so are all snapshots between
   * them and the current one, so that walking back from the current
   * snapshot still reaches them. @default {none}
   */
  readonly keep?: ReadonlySet<number>;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  readonly now?: () => number;
}

/**
 * What {@linkcode expireSnapshots} did.
 *
 * @example
 * ```ts
 * import type { ExpireResult } from "./expire_snapshots.ts";
 * const gone = (r: ExpireResult) => r.expired.length;
 * ```
 */
export interface ExpireResult {
  /** The table after the commit (the same table when nothing expired). */
  readonly table: IcebergTable;
  /** The expired snapshots' ids. */
  readonly expired: number[];
  /** Files deleted (table-relative): data, delete, manifest, manifest list. */
  readonly deleted: string[];
}

/** The snapshots to keep: the newest of the current one's line, and `keep`. */
function retained(
  snapshots: readonly Snapshot[],
  current: number,
  options: ExpireOptions,
): Set<number> {
  const byId = new Map(snapshots.map((s) => [s["snapshot-id"], s]));
  const line: Snapshot[] = [];
  for (let s = byId.get(current); s !== undefined;) {
    line.push(s);
    const parent = s["parent-snapshot-id"];
    s = parent === undefined ? undefined : byId.get(parent);
  }
  const kept = (s: Snapshot) =>
    s["timestamp-ms"] >= options.olderThan ||
    options.keep?.has(s["snapshot-id"]) === true;
  // Newest first: keep up to the last young or pinned snapshot of the line.
  const last = Math.max(0, line.findLastIndex(kept));
  const keep = new Set(line.slice(0, last + 1).map((s) => s["snapshot-id"]));
  for (const s of snapshots) if (kept(s)) keep.add(s["snapshot-id"]);
  return keep;
}

/**
 * Expire the snapshots of `table` older than `olderThan`, except the
 * current one, those in `keep`, and every snapshot between those and the
 * current one; then delete the files no remaining snapshot holds (data and
 * delete files, manifests, manifest lists). The commit is one conditional
 * create of the next metadata version, like any commit: a
 * {@linkcode CommitConflictError} means another writer committed first
 * (nothing was deleted): re-load the table and expire again.
 *
 * Files are deleted only after the commit, and only files an expired
 * snapshot held: a file no snapshot ever listed (a run's, not committed
 * yet) is never touched. A file a retained snapshot lists is kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { commitSnapshot, evolveSchema, expireSnapshots, loadTable } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   let table = await loadTable(new LocalStorage(dir), "demo/items");
 *   const schema = evolveSchema(undefined, [{ name: "id", type: "long" }]);
 *   for (const now of [1_000, 2_000]) {
 *     table = await commitSnapshot(table, { operation: "append", schema, now: () => now });
 *   }
 *   const r = await expireSnapshots(table, { olderThan: 1_500 });
 *   assert.equal(r.expired.length, 1);
 *   assert.equal(r.table.metadata?.snapshots.length, 1);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function expireSnapshots(
  table: IcebergTable,
  options: ExpireOptions,
): Promise<ExpireResult> {
  const m = table.metadata;
  if (m === undefined) return { table, expired: [], deleted: [] };
  const keep = retained(m.snapshots, m["current-snapshot-id"], options);
  const gone = m.snapshots.filter((s) => !keep.has(s["snapshot-id"]));
  if (gone.length === 0) return { table, expired: [], deleted: [] };
  // What the retained snapshots hold is read before anything changes: a
  // manifest that cannot be read must stop the deletes, not shrink `held`.
  const cache = new ManifestCache(table);
  const held = new Set<string>();
  for (const s of m.snapshots) {
    if (!keep.has(s["snapshot-id"])) continue;
    const f = await snapshotFiles(cache, s);
    for (const p of [f.manifestList, ...f.manifests, ...f.live]) held.add(p);
  }
  const candidates = new Set<string>();
  for (const s of gone) {
    const f = await snapshotFiles(cache, s).catch(() => undefined);
    // Unreadable: its files stay (space, never a reader's loss).
    if (f === undefined) continue;
    for (const p of [...f.live, ...f.removed, ...f.manifests]) {
      candidates.add(p);
    }
    candidates.add(f.manifestList);
  }
  const now = (options.now ?? Date.now)();
  const next = await publish(
    table,
    withMetadataLog(table, {
      ...m,
      "last-updated-ms": Math.max(now, m["last-updated-ms"]),
      snapshots: m.snapshots.filter((s) => keep.has(s["snapshot-id"])),
      "snapshot-log": m["snapshot-log"].filter((e) =>
        keep.has(e["snapshot-id"])
      ),
    }),
  );
  const deleted: string[] = [];
  // Data files before the manifests that list them: a crash between
  // leaves manifests of expired snapshots, never a manifest without files
  // that a retained snapshot needs.
  const order = (p: string) => p.startsWith("metadata/") ? 1 : 0;
  for (const p of [...candidates].sort((a, b) => order(a) - order(b))) {
    if (held.has(p) || /^metadata\/v\d+\.metadata\.json$/.test(p)) continue;
    await table.storage.delete(`${table.path}/${p}`);
    deleted.push(p);
  }
  return {
    table: next,
    expired: gone.map((s) => s["snapshot-id"]),
    deleted,
  };
}
