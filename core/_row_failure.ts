/**
 * A row of a Parquet file that the encoder could not take, by its index in
 * the file: the writer, which knows what page each row came from, turns it
 * into a {@linkcode WriteError} naming that page.
 *
 * @module
 */

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

/** What `err` says, for a message. */
export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
