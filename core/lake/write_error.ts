/**
 * {@linkcode WriteError}: the lake refused records rather than hold fewer
 * or altered rows than it was handed.
 *
 * @module
 */
import type { ErrorContext } from "../connector/errors.ts";

/**
 * Records that cannot land in the lake exactly: a record the encoder cannot
 * take (nested too deeply, say), or a written file whose own row count
 * disagrees with the rows handed to it. The file is never committed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WriteError } from "./write_error.ts";
 * const err = new WriteError("it is nested too deeply", {
 *   stream: "demo/items",
 *   page: 2,
 *   url: "http://127.0.0.1:8000/items?page=3",
 *   record: 4,
 * });
 * assert(err.message === 'Cannot write record 5 of page 3 of "demo/items": it is nested too deeply at http://127.0.0.1:8000/items?page=3');
 * ```
 */
export class WriteError extends Error {
  /** `"connector/stream"`. */
  readonly stream: string | undefined;
  /** The URL of the page the record came from, when known. */
  readonly url: string | undefined;
  /** The staged file, when the file itself is at fault. */
  readonly file: string | undefined;

  /** Build the error: `reason` says what is wrong, `ctx` where. */
  constructor(
    reason: string,
    ctx: ErrorContext & { record?: number; file?: string } = {},
    options?: ErrorOptions,
  ) {
    const parts: string[] = [];
    if (ctx.record !== undefined) parts.push(`record ${ctx.record + 1}`);
    if (ctx.page !== undefined) parts.push(`page ${ctx.page + 1}`);
    if (ctx.file !== undefined) parts.push(`file ${ctx.file}`);
    if (ctx.stream !== undefined) parts.push(`"${ctx.stream}"`);
    const what = parts.join(" of ") || "records";
    super(
      `Cannot write ${what}: ${reason}${ctx.url ? ` at ${ctx.url}` : ""}`,
      options,
    );
    this.name = "WriteError";
    this.stream = ctx.stream;
    this.url = ctx.url;
    this.file = ctx.file;
  }
}
