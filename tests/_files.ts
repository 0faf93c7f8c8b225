/**
 * The data files of a stream in a local lake, as an oracle for a run's
 * `files` counter: the files its Iceberg table lists (or, for NDJSON, its
 * commits' archive lists), checked against the files on disk.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tableFiles } from "./_iceberg.ts";

/** Names in `dir`, or none when it does not exist. */
function names(dir: string): Promise<string[]> {
  return Array.fromAsync(Deno.readDir(dir), (e) => e.name).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  });
}

/**
 * The live NDJSON archive files of the stream in folder `dir` (as its
 * current snapshot's ancestry lists them), as paths, in commit order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { archivedFiles } from "./_files.ts";
 * assert.deepEqual(await archivedFiles("/nonexistent/stream"), []);
 * ```
 */
export async function archivedFiles(dir: string): Promise<string[]> {
  const hint = await Deno.readTextFile(`${dir}/metadata/version-hint.text`)
    .catch(() => undefined);
  if (hint === undefined) return [];
  const metadata = JSON.parse(
    await Deno.readTextFile(`${dir}/metadata/v${hint.trim()}.metadata.json`),
  );
  const byId = new Map(
    metadata.snapshots.map((s: { "snapshot-id": number }) => [
      s["snapshot-id"],
      s,
    ]),
  );
  const chain = [];
  for (
    let s = byId.get(metadata["current-snapshot-id"]) as
      | { "parent-snapshot-id"?: number; summary: Record<string, string> }
      | undefined;
    s;
    s = byId.get(s["parent-snapshot-id"]) as typeof s
  ) chain.unshift(s);
  const live = new Map<string, string[]>();
  for (const s of chain) {
    const scope = s.summary["inlet.scope"] ?? "";
    const files = live.get(scope) ?? [];
    const gone = JSON.parse(s.summary["inlet.archive-removed"] ?? "[]")
      .map((f: { path: string }) => f.path);
    const added = JSON.parse(s.summary["inlet.archive-added"] ?? "[]")
      .map((f: { path: string }) => f.path);
    live.set(scope, [...files.filter((f) => !gone.includes(f)), ...added]);
  }
  return [...live.values()].flat().map((p: string) => `${dir}/${p}`);
}

/**
 * The data files (`ext`) of the stream in folder `dir`, sorted: for
 * `.parquet`, the data files of its Iceberg table's current snapshot (as
 * icebird lists them), else its live NDJSON archive files. Asserts that
 * each is on disk, and that the stream's folders hold no other file of
 * the kind (a stream that never committed has none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { committedFiles } from "./_files.ts";
 * assert.deepEqual(await committedFiles("/nonexistent/stream"), []);
 * ```
 */
export async function committedFiles(
  dir: string,
  ext = ".parquet",
): Promise<string[]> {
  if (ext === ".parquet") {
    const listed = ((await tableFiles(dir))?.data ?? []).map((p) =>
      p.split("/").pop()!
    ).sort();
    const onDisk = (await names(`${dir}/data`)).filter((n) =>
      n.endsWith(ext) && !n.includes("-deletes-")
    ).sort();
    assert.deepEqual(listed, onDisk, `${dir}: the table and the disk differ`);
    return listed;
  }
  const listed = (await archivedFiles(dir)).map((p) => p.split("/").pop()!)
    .filter((n) => n.endsWith(ext)).sort();
  const onDisk = (await names(`${dir}/archive`)).filter((n) => n.endsWith(ext))
    .sort();
  assert.deepEqual(listed, onDisk, `${dir}: the table and the disk differ`);
  return listed;
}
