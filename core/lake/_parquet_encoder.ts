/**
 * Where a Parquet file's row groups are encoded. Encoding and compressing a
 * row group is the one heavy piece of CPU work in a pull; on the thread that
 * also sends requests and reads answers it delays both, and a source with a
 * fixed number of slots sits idle meanwhile. So by default it runs on a
 * worker thread. Each page's values go into typed arrays here as it lands
 * (see `_column_builder.ts`: far cheaper than a structured clone of its
 * rows), a full row group's buffers are transferred to the worker, not
 * copied, and the encoded bytes come back, in order, to the file's sink.
 * The inline encoder does the same work on the calling thread, a column at
 * a time with pauses between columns; it is the fallback and the reference
 * the worker is checked against.
 *
 * @module
 */
import {
  type ParquetCodec,
  type ParquetEncoder,
  takeGroup,
} from "./_inline_encoder.ts";
import { ColumnBuilder } from "./_column_builder.ts";
import { type BuiltGroup, transferList } from "./_column_group.ts";
import { RowFailure } from "./_row_failure.ts";
import type { Schema } from "./schema.ts";
import type { FileSink } from "./storage.ts";
import type { Row } from "../connector/types.ts";

export type { ParquetCodec, ParquetEncoder };
export {
  GroupEncoder,
  InlineEncoder,
  yieldToEventLoop,
} from "./_inline_encoder.ts";

/**
 * A message to the encoder worker, about file `id`: a row group's columns
 * (their buffers transferred), the footer, or the end of the file.
 */
export type ToWorker =
  & { id: number }
  & (
    | {
      t: "group";
      schema: Schema;
      codec: ParquetCodec;
      group: BuiltGroup;
      meta?: string;
    }
    | { t: "finish"; schema: Schema; codec: ParquetCodec; meta?: string }
    | { t: "drop" }
  );

/** A message from the encoder worker, about file `id` (0 for `ready`). */
export type FromWorker =
  & { id: number }
  & (
    | { t: "ready" }
    | { t: "bytes"; chunk: Uint8Array }
    | { t: "done"; peakBytes: number }
    | {
      t: "error";
      name: string;
      message: string;
      row?: number;
      batch?: boolean;
    }
  );

const WORKER = new URL("./_parquet_worker.ts", import.meta.url);

const probes = new Map<string, Promise<boolean>>();

/**
 * Whether encoder workers start in this process: one is started and must
 * say it is ready. Asked once per worker module (the answer is kept). A
 * binary built without the worker module, or a runtime without workers,
 * answers `false`, and files are encoded inline instead: slower at a fixed
 * concurrency, never wrong.
 */
export function workersAvailable(url: URL = WORKER): Promise<boolean> {
  let probe = probes.get(url.href);
  if (!probe) {
    probe = new Promise<boolean>((resolve) => {
      let worker: Worker;
      try {
        started++;
        worker = new Worker(url, { type: "module" });
      } catch {
        resolve(false);
        return;
      }
      const done = (ok: boolean) => {
        // Under a hold, the probe's started worker is the first thread.
        if (ok && holds > 0 && url.href === WORKER.href) {
          threads.push(new EncoderThread(forget, worker));
        } else worker.terminate();
        resolve(ok);
      };
      worker.onmessage = (e: MessageEvent<FromWorker>) =>
        done(e.data.t === "ready");
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        done(false);
      };
    });
    probes.set(url.href, probe);
  }
  return probe;
}

/**
 * Worker threads shared by every open file: each costs an isolate (about
 * 15 MiB), so a connector with many streams must not start one per file.
 * Encoding is quick next to the network; one worker keeps up with a pull
 * at tens of thousands of records a second, and a second core does more.
 */
const MAX_WORKERS = Math.max(
  1,
  Math.min(4, (navigator.hardwareConcurrency ?? 2) - 1),
);

/** A worker thread and the files it encodes. */
class EncoderThread {
  readonly worker: Worker;
  readonly files = new Map<number, WorkerEncoder>();

  constructor(onGone: (thread: EncoderThread) => void, worker?: Worker) {
    if (worker === undefined) started++;
    this.worker = worker ?? new Worker(WORKER, { type: "module" });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      if (e.data.t !== "ready") this.files.get(e.data.id)?.receive(e.data);
    };
    const fail = (message: string) => {
      onGone(this);
      this.worker.terminate();
      const files = [...this.files.values()];
      this.files.clear();
      for (const file of files) file.fail(new Error(message));
    };
    this.worker.onerror = (e: ErrorEvent) => {
      // Handled here: an uncaught worker error must not end the process.
      e.preventDefault();
      fail(`the Parquet encoder worker failed: ${e.message}`);
    };
    this.worker.onmessageerror = () =>
      fail("the Parquet encoder worker sent an unreadable message");
  }
}

const threads: EncoderThread[] = [];
let nextId = 1;

let started = 0;

/** Worker threads running now (for tests: none once every file is done). */
export function encoderThreads(): number {
  return threads.length;
}

/** Worker threads started so far, the probe's included (for tests). */
export function encoderThreadStarts(): number {
  return started;
}

function forget(thread: EncoderThread): void {
  const at = threads.indexOf(thread);
  if (at >= 0) threads.splice(at, 1);
}

let holds = 0;

/**
 * Keep idle encoder threads until the returned handle is disposed: a pull
 * holds them for its run, so a file after a commit, or the next stream's,
 * finds a thread started and its encoding code compiled (a start costs
 * about 0.1 CPU-s, and the warm-up as much again). Without a hold, a thread
 * ends with its last file, as nothing else would end it and a live worker
 * keeps the process running.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encoderThreads, holdEncoderThreads } from "./_parquet_encoder.ts";
 * {
 *   using _held = holdEncoderThreads();
 * }
 * assert.equal(encoderThreads(), 0);
 * ```
 */
export function holdEncoderThreads(): Disposable {
  holds++;
  let released = false;
  return {
    [Symbol.dispose]() {
      if (released) return;
      released = true;
      if (--holds > 0) return;
      for (const thread of threads.filter((t) => t.files.size === 0)) {
        forget(thread);
        thread.worker.terminate();
      }
    },
  };
}

/**
 * A thread for a new file: an idle one, else a new one while under the cap,
 * else the least busy.
 */
function threadFor(file: WorkerEncoder): EncoderThread {
  let thread = threads.find((t) => t.files.size === 0) ??
    (threads.length < MAX_WORKERS
      ? undefined
      : threads.reduce((a, b) => (b.files.size < a.files.size ? b : a)));
  if (!thread) {
    thread = new EncoderThread(forget);
    threads.push(thread);
  }
  thread.files.set(file.id, file);
  return thread;
}

/**
 * A file is done with its thread; an idle thread ends, so the process can
 * exit, unless a hold keeps it for the next file.
 */
function release(thread: EncoderThread, file: WorkerEncoder): void {
  if (!thread.files.delete(file.id)) return;
  if (thread.files.size > 0 || holds > 0) {
    thread.worker.postMessage({ id: file.id, t: "drop" } satisfies ToWorker);
    return;
  }
  forget(thread);
  thread.worker.terminate();
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** Encodes on a shared worker thread; the sink is written here, in order. */
export class WorkerEncoder implements ParquetEncoder {
  /** This file's id on its thread. */
  readonly id = nextId++;
  readonly #sink: Pick<FileSink, "write">;
  readonly #codec: ParquetCodec;
  // Taken with the first message: a file that never gets a row costs nothing.
  #thread: EncoderThread | undefined;
  // Sink writes in the order the bytes came; never rejects (see #failure).
  #writes: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;
  #waiters: Waiter[] = [];
  #peakBytes = 0;
  #stopped = false;
  readonly #builder = new ColumnBuilder();
  // Rows of the groups before the one being filled.
  #taken = 0;

  constructor(sink: Pick<FileSink, "write">, codec: ParquetCodec) {
    this.#sink = sink;
    this.#codec = codec;
  }

  get peakBytes(): number {
    return this.#peakBytes;
  }

  add(rows: readonly Row[], schema: Schema, mayWiden: boolean): void {
    if (!this.#stopped) this.#builder.add(rows, schema, mayWiden);
  }

  group(schema: Schema, meta?: string): Promise<void> {
    const first = this.#taken;
    this.#taken += this.#builder.rows;
    let group: BuiltGroup;
    try {
      group = takeGroup(this.#builder, schema, first);
    } catch (err) {
      this.fail(err);
      return Promise.reject(err);
    }
    return this.#ask({
      id: this.id,
      t: "group",
      schema,
      codec: this.#codec,
      group,
      ...(meta === undefined ? {} : { meta }),
    }, transferList(group));
  }

  async finish(schema: Schema, meta?: string): Promise<void> {
    try {
      await this.#ask({
        id: this.id,
        t: "finish",
        schema,
        codec: this.#codec,
        ...(meta === undefined ? {} : { meta }),
      });
    } finally {
      this.#stop();
    }
  }

  async dispose(): Promise<void> {
    this.#stop();
    this.fail(new Error("the encoder was disposed"));
    await this.#writes;
  }

  /** Take a message from the thread about this file. */
  receive(message: Exclude<FromWorker, { t: "ready" }>): void {
    switch (message.t) {
      case "bytes": {
        const chunk = message.chunk;
        this.#writes = this.#writes.then(async () => {
          if (this.#failure) return;
          try {
            await this.#sink.write(chunk);
          } catch (err) {
            this.fail(err);
          }
        });
        return;
      }
      case "done": {
        this.#peakBytes = Math.max(this.#peakBytes, message.peakBytes);
        const waiter = this.#waiters.shift();
        // Answered once the bytes before it are in the sink.
        this.#writes.then(() =>
          this.#failure
            ? waiter?.reject(this.#failure.error)
            : waiter?.resolve()
        );
        return;
      }
      case "error": {
        const err = message.row === undefined
          ? new Error(message.message)
          : new RowFailure(message.row, message.message, {
            batch: message.batch ?? false,
          });
        if (message.row === undefined) err.name = message.name;
        this.fail(err);
        return;
      }
    }
  }

  /** Fail every pending and later call with `error` (the first one wins). */
  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#stop();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(this.#failure.error);
  }

  #post(message: ToWorker, transfer: ArrayBuffer[]): void {
    try {
      this.#thread ??= threadFor(this);
      this.#thread.worker.postMessage(message, transfer);
    } catch (err) {
      this.fail(err);
    }
  }

  #ask(message: ToWorker, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#stopped) {
      return Promise.reject(new Error("the encoder was disposed"));
    }
    const done = new Promise<void>((resolve, reject) =>
      this.#waiters.push({ resolve, reject })
    );
    this.#post(message, transfer);
    return done;
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#thread) release(this.#thread, this);
  }
}
