/**
 * Writes one stream's records into files and commits them, with the
 * stream's state, to the stream's Iceberg table ({@linkcode StreamTable}).
 *
 * @module
 */

import type { CommitEntry, StreamTable } from "./stream_table.ts";
import type { TableColumns } from "./_table_columns.ts";
import { SchemaError } from "../connector/errors.ts";
import type { ColumnDeclaration } from "../connector/column_type.ts";
import { DeclaredColumns } from "./declared_columns.ts";
import { NdjsonWriter } from "./ndjson_writer.ts";
import {
  ParquetWriter,
  type RecordSource,
  SchemaChange,
} from "./parquet_writer.ts";
import { inferSchema, type Schema, widenType } from "./schema.ts";
import { nestedConflict } from "./_struct_type.ts";
import type { Storage } from "./storage.ts";
import type { Row } from "../connector/types.ts";

/** File formats of the lake. */
export type Format = "parquet" | "ndjson";

/** Options of {@linkcode StreamWriter}. */
export interface StreamWriterOptions {
  /** `"connector/stream"`, for messages. */
  stream: string;
  /** The lake. */
  storage: Storage;
  /** The stream's table. */
  log: StreamTable;
  /** File format. @default {"parquet"} */
  format?: Format;
  /** Compression of NDJSON files. @default {"zstd"} */
  compression?: "zstd" | "gzip";
  /** Rows per Parquet row group. @default {10000} */
  rowGroupSize?: number;
  /** Where Parquet row groups are encoded (see `ParquetWriterOptions`). */
  encoder?: "worker" | "inline";
  /**
   * The primary key of a record, for a `merge` stream written as NDJSON: a
   * key never appears twice in one NDJSON file (a second version starts a
   * new file), so the newest version is the one in the latest file. Parquet
   * readers have each row's number in its file and need no such rule.
   */
  uniqueKey?: (row: Row) => string;
  /**
   * The primary key (column paths) of a `merge` stream: each commit's rows
   * delete the table's older rows of the same keys (position deletes).
   * @default {rows are appended}
   */
  merge?: readonly string[];
  /**
   * The stream's declared column types: Parquet files have these columns
   * with these types, and their values are converted first (a value that
   * cannot be is a `SchemaError` naming field and page). NDJSON archives
   * keep the values as sent.
   * @default {every column is inferred}
   */
  columns?: Readonly<Record<string, ColumnDeclaration>>;
}

/** How {@linkcode StreamWriter.commit} commits. */
export interface CommitOptions {
  /** Commit even with no new file (to record state). @default {false} */
  always?: boolean;
  /** Keep this commit's files out of the table, invisible to readers (a `replace` sweep). @default {false} */
  hold?: boolean;
  /** Staged files of earlier held commits to publish now. */
  publish?: string[];
  /** Remove every live file (a `replace` sweep swapping in). @default {false} */
  replaceLive?: boolean;
}

interface FileWriter {
  write(rows: Row[], source?: RecordSource): Promise<void>;
  close(): Promise<{ records: number; bytes: number }>;
  abort(): Promise<void>;
}

/**
 * One stream's writer: appends records to a staged file, rolls to a new file
 * when the schema widens, and on `commit(state)` closes the file and records
 * it with the state in one atomic commit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StreamWriter } from "./stream_writer.ts";
 * import { StreamTable } from "./stream_table.ts";
 * import { LocalStorage } from "./local_storage.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const storage = new LocalStorage(dir);
 *   const log = new StreamTable(storage, "demo/items", { runId: "20260101T000000Z-abcd" });
 *   const writer = new StreamWriter({ stream: "demo/items", storage, log });
 *   await writer.write([{ id: 1 }, { id: 2 }]);
 *   const entry = await writer.commit({ done: true });
 *   assert(entry?.add.length === 1);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class StreamWriter {
  #opts: StreamWriterOptions;
  #current: FileWriter | undefined;
  #currentName = "";
  #pending: Array<{ staged: string; records: number; bytes: number }> = [];
  #seq = 0;
  // The run's columns so far: every new file starts from them, so a field
  // that changes type is an error even across files.
  #schema: Schema | undefined;
  #columns: TableColumns | undefined;
  #keys = new Set<string>();
  readonly #declared: DeclaredColumns | undefined;
  /** Records written to files (committed or not). */
  records = 0;
  /** Bytes of closed files. */
  bytes = 0;
  /** Files committed. */
  files = 0;

  /** Make a writer; no file is created before the first record. */
  constructor(options: StreamWriterOptions) {
    this.#opts = options;
    const columns = options.columns ?? {};
    this.#declared = options.format !== "ndjson" &&
        Object.keys(columns).length > 0
      ? new DeclaredColumns(options.stream, columns)
      : undefined;
  }

  /** The table's columns, with the declared ones' types in place. */
  #seed(columns: TableColumns): Schema {
    const seed = columns.seed();
    const declared = this.#declared;
    if (!declared) return seed;
    const types = new Map(declared.schema.map((c) => [c.name, c.type]));
    return [
      ...seed.map((c) => ({ name: c.name, type: types.get(c.name) ?? c.type })),
      ...declared.schema.filter((c) => !seed.some((s) => s.name === c.name)),
    ];
  }

  #ext(): string {
    if (this.#opts.format === "ndjson") {
      return this.#opts.compression === "gzip" ? ".ndjson.gz" : ".ndjson.zst";
    }
    return ".parquet";
  }

  async #open(schema?: Schema): Promise<FileWriter> {
    const o = this.#opts;
    // Files are written where they stay: a name is never taken twice, even
    // by two writers of one run (a random tag after the sequence).
    const tag = Array.from(
      crypto.getRandomValues(new Uint8Array(3)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    this.#currentName = `${o.log.runId}-${
      String(this.#seq++).padStart(5, "0")
    }-${tag}${this.#ext()}`;
    const sink = await o.storage.create(o.log.stagingPath(this.#currentName));
    if (o.format === "ndjson") {
      return await NdjsonWriter.create(sink, {
        compression: o.compression === "gzip" ? "gzip" : "zstd",
        stream: o.stream,
        file: this.#currentName,
      });
    }
    const columns = this.#columns ??= await o.log.columns();
    const base = schema ?? this.#schema ?? this.#seed(columns);
    return await ParquetWriter.create(sink, {
      stream: o.stream,
      file: this.#currentName,
      schema: base,
      ...(this.#declared ? { declared: this.#declared.names } : {}),
      fieldIds: (s) => columns.fix(s),
      ...(o.rowGroupSize !== undefined ? { rowGroupSize: o.rowGroupSize } : {}),
      ...(o.encoder ? { encoder: o.encoder } : {}),
    });
  }

  async #closeCurrent(): Promise<void> {
    const w = this.#current;
    if (!w) return;
    this.#current = undefined;
    this.#keys.clear();
    if (w instanceof ParquetWriter) this.#schema = w.schema;
    let summary: { records: number; bytes: number };
    try {
      summary = await w.close();
    } catch (err) {
      // A file that failed to close (its rows not all there) never appears.
      await w.abort().catch(() => {});
      throw err;
    }
    const { records, bytes } = summary;
    this.bytes += bytes;
    if (records > 0) {
      this.#pending.push({
        staged: this.#opts.log.stagingPath(this.#currentName),
        records,
        bytes,
      });
    }
  }

  /**
   * Append records to the current file (opening or rolling one as needed).
   * `source` (their page and URL) is named by any error about them.
   */
  async write(rows: Row[], source?: RecordSource): Promise<void> {
    const keyOf = this.#opts.uniqueKey;
    if (keyOf && this.#opts.format === "ndjson") {
      // A key already in the open file: the rows from it on go to a new file.
      let from = 0;
      for (let i = 0; i < rows.length; i++) {
        const k = keyOf(rows[i]!);
        if (this.#keys.has(k)) {
          await this.#append(rows.slice(from, i), source);
          await this.#closeCurrent();
          from = i;
        }
        this.#keys.add(k);
      }
      await this.#append(from === 0 ? rows : rows.slice(from), source);
      return;
    }
    await this.#append(rows, source);
  }

  async #append(rows: Row[], source?: RecordSource): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.#appendTo(this.#declared?.convert(rows) ?? rows, source);
    } catch (err) {
      // A value its declared type cannot hold, a field that changed type,
      // or the table's schema refusing a column (here, or as a file's
      // columns were fixed): name the page (the run adds its URL).
      if (!(err instanceof SchemaError) || source?.page === undefined) {
        throw err;
      }
      throw new SchemaError(`${err.message} (page ${source.page + 1})`, {
        cause: err,
      });
    }
    this.records += rows.length;
  }

  async #appendTo(rows: Row[], source?: RecordSource): Promise<void> {
    this.#current ??= await this.#open();
    const before = this.#current instanceof ParquetWriter
      ? this.#current.schema
      : [];
    try {
      await this.#writeRolling(rows, source);
    } catch (err) {
      throw nestedCause(err, before, rows, this.#opts);
    }
  }

  async #writeRolling(rows: Row[], source?: RecordSource): Promise<void> {
    const current = this.#current!;
    try {
      await current.write(rows, source);
    } catch (err) {
      if (!(err instanceof SchemaChange)) throw err;
      // A new column or a widened type: a new file carries the new schema,
      // and the table's schema evolves (field ids kept).
      this.#columns?.check(err.schema);
      await this.#closeCurrent();
      this.#current = await this.#open(err.schema);
      await this.#current.write(rows, source);
    }
    if (this.#current instanceof ParquetWriter) {
      this.#columns?.check(this.#current.schema);
    }
  }

  /** Records in the open file or staged files, not yet committed. */
  get uncommitted(): boolean {
    return this.#current !== undefined || this.#pending.length > 0;
  }

  /**
   * Close the open file and commit every staged file with the state, atomically.
   * `state` may be a function of the staged paths this commit adds (a
   * `replace` sweep keeps them in its state until it publishes them).
   * Resolves `undefined` when there was nothing to commit and `always` is false.
   */
  async commit(
    state: unknown | ((staged: string[]) => unknown),
    options: CommitOptions = {},
  ): Promise<CommitEntry | undefined> {
    await this.#closeCurrent();
    const publish = options.publish ?? [];
    if (this.#pending.length === 0 && !options.always && publish.length === 0) {
      return undefined;
    }
    const staged = this.#pending.map((f) => f.staged);
    const remove = options.replaceLive ? await this.#opts.log.files() : [];
    const entry = await this.#opts.log.commit({
      add: this.#pending,
      state: typeof state === "function" ? state(staged) : state,
      ...(options.hold ? { hold: true } : {}),
      ...(publish.length ? { publish } : {}),
      ...(this.#opts.merge ? { merge: this.#opts.merge } : {}),
      ...(remove.length ? { remove } : {}),
    });
    this.files += this.#pending.length;
    this.#pending = [];
    return entry;
  }

  /** Drop the open file and the staged files no commit lists. */
  async abort(): Promise<void> {
    const w = this.#current;
    this.#current = undefined;
    await w?.abort();
    const staged = this.#pending;
    this.#pending = [];
    // Best effort: a later run's recovery deletes whatever is left.
    await Promise.allSettled(
      staged.map((f) => this.#opts.storage.delete(f.staged)),
    );
  }
}

/**
 * `err` (the table refusing a file's columns) naming the nested field that
 * turned a struct column into JSON text, when that is what happened.
 */
function nestedCause(
  err: unknown,
  before: Schema,
  rows: readonly Row[],
  o: StreamWriterOptions,
): unknown {
  if (!(err instanceof SchemaError)) return err;
  let now: Schema;
  try {
    now = inferSchema(rows, { stream: o.stream });
  } catch {
    return err; // The rows' own conflict is reported elsewhere.
  }
  const types = new Map(now.map((c) => [c.name, c.type]));
  for (const c of before) {
    const t = types.get(c.name);
    const why = t && nestedConflict(c.type, t, c.name, widenType);
    if (why) {
      return new SchemaError(`${err.message} (nested field ${why})`, {
        cause: err,
      });
    }
  }
  return err;
}
