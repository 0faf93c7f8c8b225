/**
 * Records to a Parquet file, streamed: rows are buffered until a row group
 * fills, the group is encoded and its bytes go to the {@linkcode FileSink}
 * at once, so memory holds one row group, never the file.
 *
 * Column types come from the records (see `schema.ts`). A file's schema is
 * fixed when its first row group is written; rows that need more (a new
 * column, a widened type) make `write()` throw {@linkcode SchemaChange}
 * before buffering any of them, and the caller rolls to a new file.
 *
 * @module
 */
import {
  InlineEncoder,
  type ParquetCodec,
  type ParquetEncoder,
  WorkerEncoder,
  workersAvailable,
  yieldToEventLoop,
} from "./_parquet_encoder.ts";
import { FooterTail } from "./_parquet_footer.ts";
import { RowSources } from "./_row_failure.ts";
import type { ErrorContext } from "../connector/errors.ts";
import { inferSchema, type Schema } from "./schema.ts";
import { SchemaChange } from "./schema_change.ts";
import { settleSchema } from "./_struct_type.ts";
import type { FileSink } from "./storage.ts";
import type { Row } from "../connector/types.ts";

export { SchemaChange };
export { holdEncoderThreads } from "./_parquet_encoder.ts";

/**
 * Where a batch of records came from, for messages: the page (0-based) and
 * its URL.
 *
 * @example
 * ```ts
 * import type { RecordSource } from "./parquet_writer.ts";
 * const source: RecordSource = { page: 2, url: "http://127.0.0.1:8000/items?page=3" };
 * ```
 */
export type RecordSource = Pick<ErrorContext, "page" | "url">;

/**
 * Options of {@linkcode ParquetWriter.create}.
 *
 * @example
 * ```ts
 * import type { ParquetWriterOptions } from "./parquet_writer.ts";
 * const options: ParquetWriterOptions = { stream: "demo/items", rowGroupSize: 50_000 };
 * ```
 */
export interface ParquetWriterOptions {
  /** `"connector/stream"`, for messages. */
  stream: string;
  /** The file's name, for messages. @default {"the Parquet file"} */
  file?: string;
  /** Rows per row group: memory holds about this many rows. @default {10_000} */
  rowGroupSize?: number;
  /** Page compression. @default {"ZSTD"} */
  codec?: ParquetCodec;
  /**
   * Where row groups are encoded: on a worker thread (a few at most, shared
   * by every open file), so the pull's event loop stays free for requests
   * and answers, or on the calling thread (a column at a time, yielding
   * between columns). Both write the same bytes.
   * @default {"worker"} where workers start (checked once), else `"inline"`
   */
  encoder?: "worker" | "inline";
  /**
   * Columns to start from (the stream's schema so far, or
   * {@linkcode SchemaChange.schema}): the file has these columns with at
   * least these types even when the rows leave some of them null.
   * @default {[]}
   */
  schema?: Schema;
  /** Declared fields (typed in `schema`, values converted already): not inferred. @default {none} */
  declared?: ReadonlySet<string>;
  /**
   * Called once, when the file's columns are fixed (its first row group):
   * the columns again with their Iceberg field ids, and the
   * `iceberg.schema` footer value (see `_table_columns.ts`).
   * @default {no field ids}
   */
  fieldIds?: (schema: Schema) => { schema: Schema; meta: string };
}

/**
 * What a closed file holds.
 *
 * @example
 * ```ts
 * import type { ParquetFileSummary } from "./parquet_writer.ts";
 * const s: ParquetFileSummary = { records: 2, bytes: 512, schema: [{ name: "id", type: "INT64" }] };
 * ```
 */
export interface ParquetFileSummary {
  /** Rows written. */
  records: number;
  /** File size in bytes. */
  bytes: number;
  /** The file's columns. */
  schema: Schema;
}

type State = "open" | "closed" | "aborted" | "failed";

/**
 * A streaming Parquet file writer over a {@linkcode FileSink}.
 *
 * Types written: INT64, DOUBLE, BOOLEAN, STRING (UTF8), TIMESTAMP (INT64
 * microseconds, UTC-adjusted: DuckDB reads `TIMESTAMP WITH TIME ZONE`), lists
 * as standard 3-level LISTs, nested objects as groups (structs), other nested
 * values as JSON text (DuckDB reads `JSON`); declared types too. Every
 * column is nullable; a missing field is null. A field null in every row so
 * far has no type yet and is left out of the file (it is still in
 * {@linkcode ParquetWriter.schema}, typed `NULL`). Files of one stream may so
 * differ in columns and (widened) types: read them with DuckDB's
 * `read_parquet('<stream>/*.parquet', union_by_name = true)`; without it
 * DuckDB takes the first file's columns and types for all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ParquetWriter } from "./parquet_writer.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   const w = await ParquetWriter.create(await lake.create("demo/items/a.parquet"), {
 *     stream: "demo/items",
 *   });
 *   try {
 *     await w.write([{ id: 1, at: "2024-01-02T03:04:05Z", tags: ["a", "b"] }]);
 *     await w.write([{ id: 2, at: null, tags: [] }]);
 *     const { records, bytes } = await w.close();
 *     assert(records === 2 && bytes > 0);
 *   } catch (err) {
 *     await w.abort();
 *     throw err;
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ParquetWriter {
  /** The file extension, without the dot. */
  static readonly extension = "parquet";

  readonly #sink: FileSink;
  readonly #stream: string;
  readonly #rowGroupSize: number;
  readonly #encoder: ParquetEncoder;
  readonly #tail: FooterTail;
  readonly #file: string | undefined;
  #schema: Schema;
  // The schema is fixed once the first row group goes to the encoder.
  #fixed = false;
  // Rows handed to the encoder since its last group.
  #inGroup = 0;
  #records = 0;
  readonly #fieldIds: ParquetWriterOptions["fieldIds"];
  readonly #declared: ReadonlySet<string> | undefined;
  #meta: string | undefined;
  #state: State = "open";
  /**
   * Row groups being encoded, in order, behind the caller's back: `write()`
   * returns once rows are handed over, so a pull keeps reading pages while a
   * group is encoded. Never rejects; a failure waits in `#failure`.
   */
  #encoding: Promise<void> = Promise.resolve();
  #pendingGroups = 0;
  #failure: { error: unknown } | undefined;
  #yieldedAt = performance.now();
  readonly #sources = new RowSources();

  private constructor(sink: FileSink, options: ParquetWriterOptions) {
    const rowGroupSize = options.rowGroupSize ?? 10_000;
    if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
      throw new RangeError(
        `rowGroupSize must be a positive integer, got ${rowGroupSize}`,
      );
    }
    const codec = options.codec ?? "ZSTD";
    if (codec !== "ZSTD" && codec !== "SNAPPY" && codec !== "UNCOMPRESSED") {
      throw new TypeError(
        `codec must be ZSTD, SNAPPY or UNCOMPRESSED, got ${codec}`,
      );
    }
    const where = options.encoder ?? "worker";
    if (where !== "worker" && where !== "inline") {
      throw new TypeError(`encoder must be worker or inline, got ${where}`);
    }
    this.#sink = sink;
    this.#stream = options.stream;
    this.#file = options.file;
    this.#rowGroupSize = rowGroupSize;
    this.#schema = options.schema ?? [];
    this.#fieldIds = options.fieldIds;
    this.#declared = options.declared;
    this.#tail = new FooterTail(sink);
    const out = this.#tail.wrap();
    this.#encoder = where === "worker"
      ? new WorkerEncoder(out, codec)
      : new InlineEncoder(out, codec);
  }

  /** Start a Parquet file on `sink`; the writer owns the sink from now on. */
  static create(
    sink: FileSink,
    options: ParquetWriterOptions,
  ): Promise<ParquetWriter> {
    // Async so bad options reject rather than throw.
    return Promise.resolve().then(async () => {
      const encoder = options.encoder ??
        (await workersAvailable() ? "worker" : "inline");
      return new ParquetWriter(sink, { ...options, encoder });
    });
  }

  /** The file's columns so far (fixed once the first row group is written). */
  get schema(): Schema {
    return this.#schema;
  }

  /** Rows taken so far, buffered or written. */
  get records(): number {
    return this.#records;
  }

  /**
   * The largest encode buffer held so far, in bytes: about one compressed
   * row group, however big the file grows.
   */
  get peakBufferBytes(): number {
    return this.#encoder.peakBytes;
  }

  /**
   * Take `rows`; a row group is written each time `rowGroupSize` rows are
   * buffered. Throws {@linkcode SchemaChange} (taking none of the rows) when
   * the fixed schema cannot hold them, `SchemaError` when a field changed to
   * an incompatible type. Rows must not be mutated after this call; await
   * each call before the next. A record the encoder cannot take fails this
   * or a later call, or `close()`, with a `WriteError` naming `source`.
   */
  async write(rows: readonly Row[], source?: RecordSource): Promise<void> {
    this.#throwFailure();
    this.#assertOpen("write to");
    if (rows.length === 0) return;
    const declared = this.#declared;
    const infer = { stream: this.#stream, base: this.#schema, declared };
    if (!this.#fixed) {
      this.#schema = inferSchema(rows, infer);
    } else {
      const needed = inferSchema(rows, infer);
      // A new field that is null everywhere costs nothing to leave out; only
      // real values or widened types need a new file.
      const merged = needed.filter((c, i) =>
        i < this.#schema.length || c.type !== "NULL"
      );
      if (
        merged.length !== this.#schema.length ||
        merged.some((c, i) => c.type !== this.#schema[i]?.type)
      ) {
        throw new SchemaChange(this.#stream, this.#schema, merged);
      }
    }
    if (source) this.#sources.add(this.#records, source);
    this.#records += rows.length;
    let from = 0;
    while (from < rows.length) {
      const take = Math.min(
        rows.length - from,
        this.#rowGroupSize - this.#inGroup,
      );
      const page = rows.length === take ? rows : rows.slice(from, from + take);
      this.#encoder.add(page, this.#schema, !this.#fixed);
      this.#inGroup += take;
      from += take;
      if (this.#inGroup < this.#rowGroupSize) break;
      this.#schedule();
      // One group may encode while the next fills; more would hold more rows.
      if (this.#pendingGroups > 1) await this.#encoding;
    }
    this.#throwFailure();
    // A caller draining many buffered pages runs on resolved promises only,
    // which starves timers and I/O: let them in every few milliseconds.
    const now = performance.now();
    if (now - this.#yieldedAt >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      this.#yieldedAt = performance.now();
    }
  }

  /** The schema is final from now on: its field ids are taken once. */
  #fix(): void {
    if (this.#fixed) return;
    this.#fixed = true;
    this.#schema = settleSchema(this.#schema);
    if (this.#fieldIds) {
      const { schema, meta } = this.#fieldIds(this.#schema);
      this.#schema = schema;
      this.#meta = meta;
    }
  }

  /** Encode the rows handed over as a row group; fixes the schema now. */
  #schedule(): void {
    this.#fix();
    this.#inGroup = 0;
    this.#pendingGroups++;
    const group = this.#encoder.group(this.#schema, this.#meta);
    // Observed in order below; marked handled now so an early failure is not
    // an unhandled rejection meanwhile.
    group.catch(() => {});
    this.#encoding = this.#encoding
      .then(() => group)
      .catch((error) => {
        this.#failure ??= { error: this.#sources.explain(error, this.#stream) };
      })
      .finally(() => {
        this.#pendingGroups--;
      });
  }

  #throwFailure(): void {
    if (this.#failure) {
      this.#state = "failed";
      throw this.#failure.error;
    }
  }

  /**
   * Write the last row group and the footer, and close the sink (the file
   * appears). A file without a single column (no rows and no `schema`
   * option) would break every reader's glob, so that close rejects and the
   * writer stays open for `abort()`.
   */
  async close(): Promise<ParquetFileSummary> {
    this.#assertOpen("close");
    if (this.#schema.length === 0) {
      throw new Error(
        `Cannot close the Parquet file of "${this.#stream}": it has no columns (no records were written); abort() it instead`,
      );
    }
    try {
      await this.#encoding;
      this.#throwFailure();
      this.#fix();
      if (this.#inGroup > 0) {
        await this.#encoder.group(this.#schema, this.#meta);
      }
      await this.#encoder.finish(this.#schema, this.#meta);
      // A reader takes the footer's word for what the file holds.
      this.#tail.check(this.#records, {
        stream: this.#stream,
        ...(this.#file !== undefined ? { file: this.#file } : {}),
      });
      await this.#sink.close();
    } catch (err) {
      this.#state = "failed";
      await this.#encoder.dispose();
      throw this.#sources.explain(err, this.#stream);
    }
    this.#state = "closed";
    return {
      records: this.#records,
      bytes: this.#sink.bytesWritten,
      schema: this.#schema,
    };
  }

  /** Drop the file: nothing becomes visible. Safe to call in any state. */
  async abort(): Promise<void> {
    if (this.#state === "closed" || this.#state === "aborted") return;
    this.#state = "aborted";
    // No group may still be writing to the sink once it is gone.
    await this.#encoder.dispose();
    await this.#encoding;
    await this.#sink.abort();
  }

  #assertOpen(action: string): void {
    if (this.#state !== "open") {
      throw new Error(
        `Cannot ${action} the Parquet file of "${this.#stream}": it is ${this.#state}`,
      );
    }
  }
}

/** The longest `write()` calls run without letting the event loop turn. */
const YIELD_EVERY_MS = 2;
