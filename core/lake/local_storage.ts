/**
 * The lake on a local folder. Every write goes to a hidden temporary file in
 * the target's own directory and is renamed into place only once complete
 * and fsynced, so readers (a `*.parquet` glob) never see half a file and a
 * crash never leaves a named file that is not whole.
 *
 * @module
 */
import {
  assertLakePath,
  assertLakePrefix,
  basename,
  dirname,
} from "./_paths.ts";
import { findLeftovers, TEMP_NAME } from "./_local_leftovers.ts";
import type { FileSink, Leftover, Storage } from "./storage.ts";

/** A fresh temp path beside `path`: same folder, so the final rename never crosses file systems. */
function tempPath(path: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0"));
  const dir = dirname(path);
  const name = `.${basename(path)}.${hex.join("")}.tmp`;
  return dir === "" ? name : `${dir}/${name}`;
}

/**
 * {@linkcode Storage} over a local directory.
 *
 * Paths are relative to `root` and use `/`; a path with `..`, an empty
 * segment or a leading `/` is refused with a TypeError. Directories are
 * created as needed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   const sink = await lake.create("demo/items/a.ndjson");
 *   await sink.write(new TextEncoder().encode('{"id":1}\n'));
 *   assert((await lake.list("demo/")).length === 0); // not visible yet
 *   await sink.close();
 *   assert((await lake.list("demo/"))[0] === "demo/items/a.ndjson");
 *   const data = new TextEncoder().encode("{}");
 *   assert(await lake.putIfAbsent("demo/items/metadata/v1.metadata.json", data));
 *   assert(!(await lake.putIfAbsent("demo/items/metadata/v1.metadata.json", data)));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class LocalStorage implements Storage {
  /** The directory as given, for messages. */
  readonly root: string;
  readonly #base: string;

  /** Use `root` (created on the first write if missing) as the lake. */
  constructor(root: string) {
    if (typeof root !== "string" || root === "") {
      throw new TypeError("LocalStorage needs a root directory");
    }
    this.root = root;
    this.#base = root.length > 1 ? root.replace(/\/+$/, "") : root;
  }

  #abs(path: string): string {
    return path === "" ? this.#base : `${this.#base}/${path}`;
  }

  /** Start writing `path`; it appears only when the sink's `close()` resolves. */
  async create(path: string): Promise<FileSink> {
    assertLakePath(path);
    const dir = dirname(path);
    await this.#ensureDir(dir);
    const temp = this.#abs(tempPath(path));
    const file = await Deno.open(temp, { write: true, createNew: true });
    return new LocalSink(file, temp, this.#abs(path), this.#abs(dir));
  }

  /** Write a whole file atomically, replacing any previous one. */
  async put(path: string, data: Uint8Array): Promise<void> {
    assertLakePath(path);
    const temp = await this.#writeTemp(path, data);
    try {
      await Deno.rename(temp, this.#abs(path));
    } catch (err) {
      await removeQuietly(temp);
      throw err;
    }
    await fsyncDir(this.#abs(dirname(path)));
  }

  /** Write a whole file only if `path` does not exist; `false` when it does. */
  async putIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    assertLakePath(path);
    const temp = await this.#writeTemp(path, data);
    try {
      // link(2) fails when the target exists, which rename(2) would overwrite:
      // that refusal is what makes two committers of one version impossible.
      await Deno.link(temp, this.#abs(path));
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) return false;
      throw err;
    } finally {
      await removeQuietly(temp);
    }
    await fsyncDir(this.#abs(dirname(path)));
    return true;
  }

  /** The whole file, or `undefined` when there is none. */
  async get(path: string): Promise<Uint8Array | undefined> {
    assertLakePath(path);
    try {
      return await Deno.readFile(this.#abs(path));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  }

  /**
   * Every file whose path starts with `prefix` (as an object store lists:
   * `"demo/items/"` lists that folder, `"demo/it"` would also match
   * `"demo/items2/..."`), recursively, sorted; temp files are never listed.
   */
  async list(prefix: string): Promise<string[]> {
    assertLakePrefix(prefix);
    const out: string[] = [];
    await this.#walk(dirname(prefix), prefix, out);
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async #walk(dir: string, prefix: string, out: string[]): Promise<void> {
    const children: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(this.#abs(dir))) children.push(e);
    } catch (err) {
      // A prefix that does not exist (yet), or a folder removed while we walk.
      if (err instanceof Deno.errors.NotFound) return;
      if (err instanceof Deno.errors.NotADirectory) return;
      throw err;
    }
    for (const e of children) {
      const rel = dir === "" ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory) {
        const asDir = `${rel}/`;
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) {
          await this.#walk(rel, prefix, out);
        }
      } else if (
        e.isFile && rel.startsWith(prefix) && !TEMP_NAME.test(e.name)
      ) {
        out.push(rel);
      }
    }
  }

  /**
   * Rename `from` to `to`, creating `to`'s folder. Idempotent: when `from` is
   * gone and `to` exists, the move already happened.
   */
  async move(from: string, to: string): Promise<void> {
    assertLakePath(from);
    assertLakePath(to);
    await this.#ensureDir(dirname(to));
    try {
      await Deno.rename(this.#abs(from), this.#abs(to));
    } catch (err) {
      if (
        err instanceof Deno.errors.NotFound && (await exists(this.#abs(to)))
      ) {
        return;
      }
      if (err instanceof Deno.errors.NotFound) {
        throw new Deno.errors.NotFound(
          `Cannot move "${from}" to "${to}" in ${this.root}: neither exists`,
          { cause: err },
        );
      }
      throw err;
    }
    await fsyncDir(this.#abs(dirname(to)));
    if (dirname(to) !== dirname(from)) await fsyncDir(this.#abs(dirname(from)));
  }

  /** Remove a file; a missing file is not an error. */
  async delete(path: string): Promise<void> {
    assertLakePath(path);
    try {
      await Deno.remove(this.#abs(path));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
  }

  /** Temp files of unfinished writes and folders under `prefix`, deepest first. */
  leftovers(prefix: string): Promise<Leftover[]> {
    assertLakePrefix(prefix);
    if (!prefix.endsWith("/")) {
      throw new TypeError(
        `Invalid leftovers prefix ${
          JSON.stringify(prefix)
        }: a folder, ending with /`,
      );
    }
    return findLeftovers(this.#base, prefix);
  }

  async #writeTemp(path: string, data: Uint8Array): Promise<string> {
    const dir = dirname(path);
    await this.#ensureDir(dir);
    const temp = this.#abs(tempPath(path));
    const file = await Deno.open(temp, { write: true, createNew: true });
    try {
      await writeAll(file, data);
      await file.sync();
    } catch (err) {
      file.close();
      await removeQuietly(temp);
      throw err;
    }
    file.close();
    return temp;
  }

  /** Create `dir` and any missing parents, fsyncing each parent that gained an entry. */
  async #ensureDir(dir: string): Promise<void> {
    const abs = this.#abs(dir);
    if (await isDirectory(abs)) return;
    const missing: string[] = [];
    let cur = dir;
    while (cur !== "" && !(await isDirectory(this.#abs(cur)))) {
      missing.unshift(cur);
      cur = dirname(cur);
    }
    if (cur === "" && !(await isDirectory(this.#base))) {
      await Deno.mkdir(this.#base, { recursive: true });
    }
    for (const d of missing) {
      try {
        await Deno.mkdir(this.#abs(d));
      } catch (err) {
        // Another writer created it between our check and mkdir: fine.
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
      await fsyncDir(this.#abs(dirname(d)));
    }
  }
}

type SinkState = "open" | "closing" | "closed" | "aborted";

class LocalSink implements FileSink {
  #file: Deno.FsFile | undefined;
  #state: SinkState = "open";
  #bytes = 0;
  readonly #temp: string;
  readonly #target: string;
  readonly #dir: string;

  constructor(file: Deno.FsFile, temp: string, target: string, dir: string) {
    this.#file = file;
    this.#temp = temp;
    this.#target = target;
    this.#dir = dir;
  }

  get bytesWritten(): number {
    return this.#bytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#state !== "open" || !this.#file) {
      throw new Error(
        `Cannot write ${this.#target}: the file is ${this.#state}`,
      );
    }
    await writeAll(this.#file, chunk);
    this.#bytes += chunk.byteLength;
  }

  async close(): Promise<void> {
    if (this.#state !== "open" || !this.#file) {
      throw new Error(
        `Cannot close ${this.#target}: the file is ${this.#state}`,
      );
    }
    this.#state = "closing";
    try {
      await this.#file.sync();
      this.#file.close();
      this.#file = undefined;
      await Deno.rename(this.#temp, this.#target);
      // The rename is durable only once the directory entry is on disk; a
      // commit entry must never list a file a power cut could take back.
      await fsyncDir(this.#dir);
      this.#state = "closed";
    } catch (err) {
      await this.#drop();
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.#state === "closed" || this.#state === "aborted") return;
    await this.#drop();
  }

  async #drop(): Promise<void> {
    this.#state = "aborted";
    if (this.#file) {
      try {
        this.#file.close();
      } catch {
        // Already closed by a failed sync: nothing left to release.
      }
      this.#file = undefined;
    }
    await removeQuietly(this.#temp);
  }
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.byteLength) off += await file.write(data.subarray(off));
}

async function fsyncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return; // directories cannot be opened for fsync there
  const f = await Deno.open(dir, { read: true });
  try {
    await f.sync();
  } finally {
    f.close();
  }
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
