/**
 * Records to newline-delimited JSON, compressed as it goes. Lines are
 * gathered into chunks of about `chunkBytes` and handed straight to one
 * node:zlib zstd (or gzip) compressor, whose output for a chunk goes to the
 * sink as one write, so memory holds about one chunk and the file is a
 * single zstd frame (or gzip member): every reader, even one that stops
 * after the first frame, reads all of it.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { createGzip, createZstdCompress, type Gzip } from "node:zlib";
import { ZSTD_OPTIONS } from "./_zstd_level.ts";
import { exactJson } from "../connector/exact_json.ts";
import type { FileSink } from "./storage.ts";
import type { Row } from "../connector/types.ts";
import { WriteError } from "./write_error.ts";

/**
 * How an NDJSON file is compressed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type NdjsonCompression, NdjsonWriter } from "./ndjson_writer.ts";
 * const c: NdjsonCompression = "gzip";
 * assert(NdjsonWriter.extension(c) === "ndjson.gz");
 * ```
 */
export type NdjsonCompression = "zstd" | "gzip" | "none";

/**
 * Options of {@linkcode NdjsonWriter.create}.
 *
 * @example
 * ```ts
 * import type { NdjsonWriterOptions } from "./ndjson_writer.ts";
 * const options: NdjsonWriterOptions = { compression: "gzip" };
 * ```
 */
export interface NdjsonWriterOptions {
  /** @default {"zstd"} */
  compression?: NdjsonCompression;
  /** Uncompressed bytes gathered before a chunk is compressed and written. @default {1_048_576} */
  chunkBytes?: number;
  /** `"connector/stream"`, for messages. @default {"ndjson"} */
  stream?: string;
  /** The file's name, for messages. */
  file?: string;
}

/**
 * What a closed file holds.
 *
 * @example
 * ```ts
 * import type { NdjsonFileSummary } from "./ndjson_writer.ts";
 * const s: NdjsonFileSummary = { records: 2, bytes: 40 };
 * ```
 */
export interface NdjsonFileSummary {
  /** Records written. */
  records: number;
  /** File size in bytes (compressed). */
  bytes: number;
}

const encoder = new TextEncoder();

type State = "open" | "closed" | "aborted" | "failed";

/**
 * A streaming NDJSON file writer over a {@linkcode FileSink}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NdjsonWriter } from "./ndjson_writer.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * import { zstdDecompressSync } from "node:zlib";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   const path = `demo/items/a.${NdjsonWriter.extension("zstd")}`;
 *   const w = await NdjsonWriter.create(await lake.create(path), { compression: "zstd" });
 *   await w.write([{ id: 1 }, { id: 2 }]);
 *   assert((await w.close()).records === 2);
 *   const text = new TextDecoder().decode(zstdDecompressSync((await lake.get(path))!));
 *   assert(text === '{"id":1}\n{"id":2}\n');
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class NdjsonWriter {
  /** The file extension for `compression`, without the leading dot (`ndjson.zst`). */
  static extension(compression: NdjsonCompression = "zstd"): string {
    return compression === "zstd"
      ? "ndjson.zst"
      : compression === "gzip"
      ? "ndjson.gz"
      : "ndjson";
  }

  readonly #sink: FileSink;
  readonly #out: Compressor | undefined;
  readonly #chunkBytes: number;
  readonly #stream: string;
  readonly #file: string | undefined;
  #lines: string[] = [];
  // Lines in the bytes handed to the compressor: checked against #records.
  #written = 0;
  #pending = 0;
  #records = 0;
  #state: State = "open";

  private constructor(sink: FileSink, options: NdjsonWriterOptions) {
    const compression = options.compression ?? "zstd";
    if (
      compression !== "zstd" && compression !== "gzip" && compression !== "none"
    ) {
      throw new TypeError(
        `compression must be zstd, gzip or none, got ${compression}`,
      );
    }
    const chunkBytes = options.chunkBytes ?? 1_048_576;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
      throw new RangeError(
        `chunkBytes must be a positive integer, got ${chunkBytes}`,
      );
    }
    this.#sink = sink;
    this.#chunkBytes = chunkBytes;
    this.#stream = options.stream ?? "ndjson";
    this.#file = options.file;
    this.#out = compression === "none"
      ? undefined
      : new Compressor(compression, sink);
  }

  /** Start an NDJSON file on `sink`; the writer owns the sink from now on. */
  static create(
    sink: FileSink,
    options: NdjsonWriterOptions = {},
  ): Promise<NdjsonWriter> {
    // Async so bad options reject rather than throw.
    return Promise.resolve().then(() => new NdjsonWriter(sink, options));
  }

  /** Records taken so far. */
  get records(): number {
    return this.#records;
  }

  /** Take `rows`, one JSON line each; a chunk goes out whenever enough has gathered. */
  async write(rows: readonly Row[]): Promise<void> {
    this.#assertOpen("write to");
    const lines: string[] = [];
    for (const row of rows) {
      if (row === null || typeof row !== "object" || Array.isArray(row)) {
        throw new TypeError(
          `Cannot write a record of "${this.#stream}": expected an object`,
        );
      }
      // Exact digits for bigints (integers beyond 2^53), never rounded.
      const line = exactJson(row);
      // A toJSON() that returns nothing would be an empty line, not a record.
      if (typeof line !== "string") {
        throw new TypeError(
          `Cannot write a record of "${this.#stream}": it has no JSON text`,
        );
      }
      lines.push(line);
    }
    // Serialized first, so a record that cannot be written leaves none of the batch taken.
    for (const line of lines) {
      this.#lines.push(line);
      this.#pending += line.length + 1;
    }
    this.#records += rows.length;
    if (this.#pending >= this.#chunkBytes) await this.#flush();
  }

  /** Write what is gathered, end the compressed stream and close the sink (the file appears). */
  async close(): Promise<NdjsonFileSummary> {
    this.#assertOpen("close");
    try {
      await this.#flush();
      await this.#out?.end();
      this.#verify();
      await this.#sink.close();
    } catch (err) {
      this.#state = "failed";
      throw err;
    }
    this.#state = "closed";
    return { records: this.#records, bytes: this.#sink.bytesWritten };
  }

  /** Drop the file: nothing becomes visible. Safe to call in any state. */
  async abort(): Promise<void> {
    if (this.#state === "closed" || this.#state === "aborted") return;
    this.#state = "aborted";
    this.#lines = [];
    await this.#out?.abort();
    await this.#sink.abort();
  }

  /** The file must hold one line per record handed in, or never appear. */
  #verify(): void {
    if (this.#written === this.#records) return;
    throw new WriteError(
      `it holds ${this.#written} lines, but ${this.#records} records were handed in`,
      {
        stream: this.#stream,
        ...(this.#file !== undefined ? { file: this.#file } : {}),
      },
    );
  }

  #assertOpen(action: string): void {
    if (this.#state !== "open") {
      throw new Error(
        `Cannot ${action} the NDJSON file of "${this.#stream}": it is ${this.#state}`,
      );
    }
  }

  async #flush(): Promise<void> {
    if (this.#lines.length === 0) return;
    const bytes = encoder.encode(this.#lines.join("\n") + "\n");
    // JSON text never holds a raw newline (JSON.stringify escapes it), so
    // the bytes hold exactly one line per string joined.
    this.#written += this.#lines.length;
    this.#lines = [];
    this.#pending = 0;
    try {
      if (this.#out) await this.#out.write(bytes);
      else await this.#sink.write(bytes);
    } catch (err) {
      this.#state = "failed";
      throw err;
    }
  }
}

/**
 * One compressor feeding a sink, driven by its own write/end calls: no web
 * stream adapters, and one sink write per chunk instead of one per 16 KiB
 * of output. Each chunk is compressed and its output written before the
 * next is taken, so nothing piles up in memory.
 */
class Compressor {
  readonly #zlib: Gzip;
  readonly #sink: FileSink;
  // Output not yet written, in order.
  #out: Buffer[] = [];
  #outBytes = 0;
  readonly #ended: Promise<void>;

  constructor(format: "zstd" | "gzip", sink: FileSink) {
    this.#zlib = format === "zstd"
      ? createZstdCompress(ZSTD_OPTIONS) as unknown as Gzip
      : createGzip();
    this.#sink = sink;
    this.#zlib.on("data", (chunk: Buffer) => {
      this.#out.push(chunk);
      this.#outBytes += chunk.length;
    });
    this.#ended = new Promise<void>((resolve, reject) => {
      this.#zlib.once("end", resolve);
      this.#zlib.once("error", reject);
    });
    // Observed by end() and the write callbacks; never an uncaught event.
    this.#ended.catch(() => {});
    this.#zlib.on("error", () => {});
  }

  async write(bytes: Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.#zlib.write(bytes, (err) => err ? reject(err) : resolve())
    );
    await this.#drain();
  }

  async end(): Promise<void> {
    this.#zlib.end();
    await this.#ended;
    await this.#drain();
  }

  abort(): Promise<void> {
    this.#out = [];
    this.#zlib.destroy();
    return Promise.resolve();
  }

  async #drain(): Promise<void> {
    if (this.#out.length === 0) return;
    const parts = this.#out;
    const bytes = new Uint8Array(this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    await this.#sink.write(bytes);
  }
}
