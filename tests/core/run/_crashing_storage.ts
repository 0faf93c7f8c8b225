/**
 * A {@linkcode Storage} that "dies" at its n-th mutating step: from then on
 * every call rejects without touching the disk, so the lake stays exactly as
 * a SIGKILL at that instant would leave it (a half-written temporary file is
 * invisible either way).
 *
 * @module
 */
import type { FileSink, Storage } from "../../../core/lake/storage.ts";

/** The error every call rejects with once the storage has crashed. */
export class Crash extends Error {
  constructor(step: number) {
    super(`simulated crash at storage step ${step}`);
    this.name = "Crash";
  }
}

/** True when `err` is (or was caused by) the simulated crash. */
export function isCrash(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof Crash) return true;
  }
  return false;
}

/** Counts mutating steps (create, write, close, put, putIfAbsent, move, delete). */
export class CrashingStorage implements Storage {
  readonly root: string;
  readonly #inner: Storage;
  readonly #at: number;
  /** Mutating steps taken (before the crash). */
  steps = 0;
  /** The crash happened. */
  crashed = false;

  constructor(inner: Storage, crashAt: number) {
    this.#inner = inner;
    this.#at = crashAt;
    this.root = inner.root;
  }

  /** Count one mutating step; throw if this is the one that dies. */
  step(): void {
    if (this.crashed) throw new Crash(this.steps);
    if (this.steps >= this.#at) {
      this.crashed = true;
      throw new Crash(this.steps);
    }
    this.steps++;
  }

  #alive(): void {
    if (this.crashed) throw new Crash(this.steps);
  }

  async create(path: string): Promise<FileSink> {
    this.step();
    const sink = await this.#inner.create(path);
    return {
      get bytesWritten() {
        return sink.bytesWritten;
      },
      write: async (chunk) => {
        try {
          this.step();
        } catch (err) {
          await sink.abort(); // Only releases the handle; the temp file is invisible anyway.
          throw err;
        }
        await sink.write(chunk);
      },
      close: async () => {
        try {
          this.step();
        } catch (err) {
          await sink.abort();
          throw err;
        }
        await sink.close();
      },
      abort: () => sink.abort(),
    };
  }

  async put(path: string, data: Uint8Array): Promise<void> {
    this.step();
    await this.#inner.put(path, data);
  }

  async putIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    this.step();
    return await this.#inner.putIfAbsent(path, data);
  }

  async get(path: string): Promise<Uint8Array | undefined> {
    this.#alive();
    return await this.#inner.get(path);
  }

  async list(prefix: string): Promise<string[]> {
    this.#alive();
    return await this.#inner.list(prefix);
  }

  async move(from: string, to: string): Promise<void> {
    this.step();
    await this.#inner.move(from, to);
  }

  async delete(path: string): Promise<void> {
    this.step();
    await this.#inner.delete(path);
  }
}
