/**
 * A row of a Parquet file that the encoder could not take, by its index in
 * the file: the writer, which knows what page each row came from, turns it
 * into a {@linkcode WriteError} naming that page.
 *
 * @module
 */
import type { ErrorContext } from "../connector/errors.ts";
import { WriteError } from "./write_error.ts";

/** Where a batch of records came from: its page (0-based) and URL. */
type RecordSource = Pick<ErrorContext, "page" | "url">;

/**
 * Rows from `row` on (0-based, in the file) were not encoded: that very
 * row, or (`batch`) some row of the batch handed in starting there.
 */
export class RowFailure extends Error {
  /** Index in the file of the first row lost. */
  readonly row: number;
  /** The row is the first of its batch, not known to be the culprit. */
  readonly batch: boolean;

  /** `reason` says why the row was not encoded. */
  constructor(
    row: number,
    reason: string,
    options?: ErrorOptions & { batch?: boolean },
  ) {
    super(reason, options);
    this.name = "RowFailure";
    this.row = row;
    this.batch = options?.batch ?? false;
  }

  /** The same failure `offset` rows further into the file. */
  shifted(offset: number): RowFailure {
    return new RowFailure(this.row + offset, this.message, {
      cause: this.cause,
      batch: this.batch,
    });
  }
}

/** Where the rows of a file came from: a page and URL per batch handed in. */
export class RowSources {
  // By the batch's first row in the file; a few per page, in order.
  #sources: Array<{ from: number; source: RecordSource }> = [];

  /** Rows from `from` on came from `source`. */
  add(from: number, source: RecordSource): void {
    this.#sources.push({ from, source });
  }

  /** `err` as a `WriteError` naming the page, when it is a `RowFailure`. */
  explain(err: unknown, stream: string): unknown {
    if (!(err instanceof RowFailure)) return err;
    let at: { from: number; source: RecordSource } | undefined;
    for (const s of this.#sources) {
      if (s.from > err.row) break;
      at = s;
    }
    return new WriteError(err.message, {
      stream,
      ...at?.source,
      ...(at && !err.batch ? { record: err.row - at.from } : {}),
    }, { cause: err });
  }
}

/** What `err` says, for a message. */
export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
