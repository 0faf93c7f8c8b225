/**
 * Encoding row groups on the calling thread, and the encoding itself, which
 * the worker runs too (see `_parquet_encoder.ts`, which chooses where).
 *
 * @module
 */
import { ParquetWriter as HyParquetWriter } from "hyparquet-writer";
import { zstdCompressSync } from "node:zlib";
import { ZSTD_OPTIONS } from "./_zstd_level.ts";
import { ColumnBuilder } from "./_column_builder.ts";
import { type BuiltGroup, columnValues } from "./_column_group.ts";
import { leafPages } from "./_leaf_pages.ts";
import { fileColumns, schemaElements } from "./_parquet_columns.ts";
import { writeGroupByColumn } from "./_parquet_group.ts";
import { RowFailure } from "./_row_failure.ts";
import { SinkWriter } from "./_sink_writer.ts";
import type { Schema } from "./schema.ts";
import type { FileSink } from "./storage.ts";
import type { Row } from "../connector/types.ts";

/** Page compression of a Parquet file. */
export type ParquetCodec = "ZSTD" | "SNAPPY" | "UNCOMPRESSED";

/** Encodes the row groups of one file into its sink. */
export interface ParquetEncoder {
  /**
   * Rows of the group being filled, fitting `schema` (see
   * `ColumnBuilder.add`; `mayWiden` until the file's schema is fixed).
   */
  add(rows: readonly Row[], schema: Schema, mayWiden: boolean): void;
  /**
   * Encode the rows added since the last group as one row group with
   * `schema` (the same for every group of a file). Resolves once its bytes
   * are in the sink; groups are encoded and written in call order.
   */
  group(schema: Schema, meta?: string): Promise<void>;
  /**
   * Write the footer after every group; resolves once it is in the sink.
   * `meta` (here and in `group`) is the `iceberg.schema` footer value.
   */
  finish(schema: Schema, meta?: string): Promise<void>;
  /** Stop: nothing more reaches the sink once this resolves. Safe any time. */
  dispose(): Promise<void>;
  /** The largest encode buffer held so far, in bytes. */
  readonly peakBytes: number;
}

// One function for every file: a new closure per file changed the call
// target at each page's compression, and V8 threw its optimized page
// writer away each time.
const COMPRESSORS = {
  ZSTD: (bytes: Uint8Array) => zstdCompressSync(bytes, ZSTD_OPTIONS),
};

/**
 * The encoding itself: a hyparquet-writer over a byte buffer handed to
 * `out` after every row group and the footer. Both encoders run this.
 */
export class GroupEncoder {
  readonly #out: SinkWriter;
  readonly #codec: ParquetCodec;
  #pq: HyParquetWriter | undefined;
  // Rows of the groups before this one: a RowFailure names a row of the file.
  #rows = 0;

  constructor(out: Pick<FileSink, "write">, codec: ParquetCodec) {
    this.#out = new SinkWriter(out);
    this.#codec = codec;
  }

  /** See {@linkcode ParquetEncoder.peakBytes}. */
  get peakBytes(): number {
    return Math.max(this.#out.peakBytes, this.#out.buffer.byteLength);
  }

  /**
   * Encode `group` (built with `schema`) as one row group; `pause` is
   * awaited between columns.
   */
  async encode(
    schema: Schema,
    group: BuiltGroup,
    pause: () => Promise<void>,
    meta?: string,
  ): Promise<void> {
    const columns = fileColumns(schema);
    const first = this.#rows;
    this.#rows += group.rows;
    try {
      await writeGroupByColumn(
        this.#writer(schema, meta),
        columns.map((c) => c.name),
        group.rows,
        (i) => columnValues(group.columns[i]!, group.rows),
        pause,
        (i) => leafPages(group.columns[i]!, group.rows),
      );
    } catch (err) {
      throw err instanceof RowFailure ? err.shifted(first) : err;
    }
  }

  /** Write the footer. */
  async finish(schema: Schema, meta?: string): Promise<void> {
    await this.#writer(schema, meta).finish();
  }

  #writer(schema: Schema, meta?: string): HyParquetWriter {
    this.#pq ??= new HyParquetWriter({
      writer: this.#out,
      schema: schemaElements(fileColumns(schema)),
      // What Iceberg's own writers put in every data file.
      ...(meta === undefined
        ? {}
        : { kvMetadata: [{ key: "iceberg.schema", value: meta }] }),
      codec: this.#codec,
      compressors: COMPRESSORS,
      createdBy: "inlet",
    });
    return this.#pq;
  }
}

/**
 * The group `builder` holds, a `RowFailure` named by its row in the file
 * (`first` rows came before the group).
 */
export function takeGroup(
  builder: ColumnBuilder,
  schema: Schema,
  first: number,
): BuiltGroup {
  try {
    return builder.take(schema);
  } catch (err) {
    throw err instanceof RowFailure ? err.shifted(first) : err;
  }
}

/** Let timers and I/O run (a macrotask, not a microtask). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Encodes on the calling thread, yielding to the event loop between columns. */
export class InlineEncoder implements ParquetEncoder {
  readonly #encoder: GroupEncoder;
  readonly #builder = new ColumnBuilder();
  // Rows of the groups before the one being filled.
  #taken = 0;
  #chain: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(sink: Pick<FileSink, "write">, codec: ParquetCodec) {
    this.#encoder = new GroupEncoder(sink, codec);
  }

  get peakBytes(): number {
    return this.#encoder.peakBytes;
  }

  add(rows: readonly Row[], schema: Schema, mayWiden: boolean): void {
    if (!this.#disposed) this.#builder.add(rows, schema, mayWiden);
  }

  group(schema: Schema, meta?: string): Promise<void> {
    const first = this.#taken;
    this.#taken += this.#builder.rows;
    let group: BuiltGroup;
    try {
      group = takeGroup(this.#builder, schema, first);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#then(() =>
      this.#encoder.encode(schema, group, yieldToEventLoop, meta)
    );
  }

  finish(schema: Schema, meta?: string): Promise<void> {
    return this.#then(() => this.#encoder.finish(schema, meta));
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    await this.#chain.catch(() => {});
  }

  #then(step: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(() => {
      if (this.#disposed) throw new Error("the encoder was disposed");
      return step();
    });
    this.#chain = run.catch(() => {});
    return run;
  }
}
