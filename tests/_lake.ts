/**
 * Lake folders for tests: a temp folder that is always removed, and what a
 * test reads of a local lake's files (a byte snapshot, the newest log entry,
 * whether a stream has committed Parquet).
 *
 * @module
 */
import { LocalStorage } from "../core/lake/local_storage.ts";
import { tableFiles } from "./_iceberg.ts";

/**
 * Make a temp dir, pass it to `fn`, remove it after (also when `fn` throws).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withTempDir } from "./_lake.ts";
 * const dir = await withTempDir("x-", (d) => Promise.resolve(d));
 * assert(await Deno.stat(dir).then(() => false, () => true));
 * ```
 */
export async function withTempDir<T>(
  prefix: string,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * {@linkcode withTempDir} with a {@linkcode LocalStorage} over the folder:
 * `fn` gets both, the folder is removed after.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withStorage } from "./_lake.ts";
 * await withStorage("x-", async (lake, dir) => {
 *   assert(lake.root === dir);
 * });
 * ```
 */
export function withStorage<T>(
  prefix: string,
  fn: (lake: LocalStorage, dir: string) => Promise<T>,
): Promise<T> {
  return withTempDir(prefix, (dir) => fn(new LocalStorage(dir), dir));
}

/**
 * Every file under `dir` (except run summaries) and its bytes as hex
 * SHA-256: equal snapshots mean an unchanged lake.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snapshot, withTempDir } from "./_lake.ts";
 * await withTempDir("x-", async (dir) => {
 *   await Deno.writeTextFile(`${dir}/a`, "");
 *   assert(Object.keys(await snapshot(dir)).join() === "a");
 * });
 * ```
 */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for await (const e of Deno.readDir(`${dir}/${rel}`)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        // Run summaries are a log of attempts, not lake data or state.
        if (e.name !== "_runs") await walk(path);
        continue;
      }
      const bytes = await Deno.readFile(`${dir}/${path}`);
      const hash = await crypto.subtle.digest("SHA-256", bytes);
      out[path] = Array.from(
        new Uint8Array(hash),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
    }
  };
  await walk("");
  return out;
}

/**
 * Path of a stream's newest table metadata file (`metadata/v<N>.metadata.json`)
 * in a local lake; throws when it has none.
 */
export async function latestEntry(
  lake: string,
  stream: string,
): Promise<string> {
  let last = 0;
  for await (const e of Deno.readDir(`${lake}/${stream}/metadata`)) {
    const m = /^v(\d+)\.metadata\.json$/.exec(e.name);
    if (m) last = Math.max(last, Number(m[1]));
  }
  if (last === 0) throw new Error(`${stream} has no table metadata`);
  return `${lake}/${stream}/metadata/v${last}.metadata.json`;
}

/**
 * True when a stream's Iceberg table lists a Parquet data file in its
 * current snapshot; false also when the folder does not exist.
 */
export async function hasParquet(dir: string): Promise<boolean> {
  return ((await tableFiles(dir))?.data.length ?? 0) > 0;
}

/**
 * A file sink in memory: what a writer wrote, chunk by chunk, and as one
 * byte array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemorySink } from "./_lake.ts";
 * const sink = new MemorySink();
 * await sink.write(new Uint8Array([1, 2]));
 * await sink.write(new Uint8Array([3]));
 * assert.deepEqual([...sink.bytes()], [1, 2, 3]);
 * ```
 */
export class MemorySink {
  readonly chunks: Uint8Array[] = [];
  bytesWritten = 0;
  write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk.slice());
    this.bytesWritten += chunk.length;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  abort(): Promise<void> {
    return Promise.resolve();
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.bytesWritten);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
