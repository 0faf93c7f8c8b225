/**
 * What a compaction rewrites: the files of a snapshot, by folder, in bins.
 *
 * @module
 */
import type { LiveFile } from "../iceberg/types.ts";

/** The folder of a table-relative path (`data/` or a shard's `data/<scope>/`). */
export const folderOf = (path: string) =>
  path.slice(0, path.lastIndexOf("/") + 1);

/** What one attempt rewrites. */
export interface Plan {
  /** Per folder, the bins of data files that become one file each. */
  bins: LiveFile[][];
  remove: string[];
  deleteFiles: LiveFile[];
}

/**
 * Which files to rewrite: every data file a delete names, and in each
 * folder (a scope's: the stream's own, or a shard's) its small files,
 * when there are two or more. Bins follow commit order and hold up to
 * `target` bytes. Every delete file goes: each file it names is rewritten.
 */
export function plan(
  data: readonly LiveFile[],
  deleteFiles: readonly LiveFile[],
  named: ReadonlySet<string>,
  target: number,
): Plan {
  const byFolder = new Map<string, LiveFile[]>();
  const ordered = data.map((f, i) => ({ f, i })).sort((a, b) =>
    a.f.sequenceNumber - b.f.sequenceNumber || a.i - b.i
  ).map(({ f }) => f);
  for (const f of ordered) {
    const small = f.sizeBytes < target * 0.75;
    if (!small && !named.has(f.path)) continue;
    const list = byFolder.get(folderOf(f.path)) ?? [];
    list.push(f);
    byFolder.set(folderOf(f.path), list);
  }
  const bins: LiveFile[][] = [];
  for (const files of byFolder.values()) {
    if (files.length < 2 && !files.some((f) => named.has(f.path))) continue;
    let bin: LiveFile[] = [], size = 0;
    for (const f of files) {
      if (bin.length > 0 && size + f.sizeBytes > target) {
        bins.push(bin);
        bin = [];
        size = 0;
      }
      bin.push(f);
      size += f.sizeBytes;
    }
    if (bin.length > 0) bins.push(bin);
  }
  return {
    bins,
    remove: [
      ...bins.flat().map((f) => f.path),
      ...deleteFiles.map((f) => f.path),
    ],
    deleteFiles: [...deleteFiles],
  };
}
