/**
 * A failed attempt of the HTTP client: what went wrong, and the error a
 * request fails with once it may not retry any more.
 *
 * @module
 */

import {
  type ErrorContext,
  HttpError,
  NetworkError,
  type PaginationError,
  StalledError,
} from "../connector/errors.ts";
import { redactError } from "./_redact.ts";

const EXCERPT_CHARS = 200;
/** An error page may be huge: only this much of it is read. */
export const ERROR_BODY_BYTES = 64 * 1024;

/** The reason an attempt is aborted with when it runs out of time. */
export class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** A failed attempt that may be retried. */
export interface Failure {
  status?: number;
  excerpt?: string;
  reason?: string;
  timeout?: boolean;
  cause?: unknown;
  /** When the attempt went out, epoch ms (an answer with a status). */
  sentAt?: number;
  /** How long the source took to answer, ms (an answer with a status). */
  latencyMs?: number;
  /** The wait the source asked for (`retry-after-ms`, `Retry-After`, a spent quota's reset). */
  retryAfterMs?: number;
  /**
   * The source said slow down (429, a rate-limited 403, a 503 asking for a
   * wait): retried after its wait without spending the request's attempts
   * or the retry budget, as long as the run makes progress.
   */
  throttled?: boolean;
  /** A 2xx JSON answer whose body did not parse (cut short): retried, then this error. */
  notJson?: (note: string) => PaginationError;
}

/** The start of a body, whitespace folded, for error messages. */
export function excerptOf(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes.subarray(0, EXCERPT_CHARS * 4))
    .replace(/\s+/g, " ").trim();
  return text.length > EXCERPT_CHARS
    ? `${text.slice(0, EXCERPT_CHARS)}...`
    : text;
}

// Reads at most `max` bytes, then cancels: an error page may be huge.
export async function readBounded(
  res: Response,
  max: number,
): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    if (size >= max) await reader.cancel().catch(() => {});
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// Deno wraps the reason in `cause`; name what happened in a few words.
/** A few words naming what went wrong on the wire. */
export function describe(err: unknown): string {
  const text = [err, (err as { cause?: unknown })?.cause]
    .map((e) => (e instanceof Error ? e.message : String(e ?? ""))).join(" ");
  if (/connection refused/i.test(text)) return "connection refused";
  if (/reset/i.test(text)) return "connection reset";
  if (/reading a body|body from connection/i.test(text)) {
    return "connection dropped while reading the body";
  }
  if (/closed|incomplete|unexpected eof/i.test(text)) {
    return "connection closed before the answer";
  }
  if (/dns|lookup|resolve/i.test(text)) return "host name not resolved";
  if (/certificate|tls|ssl/i.test(text)) return "TLS error";
  return "network error";
}

/** Whether `err` is the sandbox refusing a host. */
export function isPermissionError(err: unknown): boolean {
  const errors = Deno.errors as unknown as Record<
    string,
    (new () => Error) | undefined
  >;
  for (const name of ["NotCapable", "PermissionDenied"]) {
    const cls = errors[name];
    if (cls && err instanceof cls) return true;
  }
  return false;
}

/** The error a request fails with once its last attempt failed with `failure`. */
export function finalError(
  failure: Failure,
  note: string,
  safeUrl: string,
  where: ErrorContext,
  redact: (text: string) => string,
): Error {
  if (failure.notJson) return failure.notJson(note);
  if (failure.status !== undefined) {
    const ctx: ErrorContext & { body?: string } = { ...where };
    if (failure.excerpt) ctx.body = failure.excerpt;
    const cause = failure.cause === undefined
      ? new Error(note)
      : new Error(note, { cause: redactError(failure.cause, redact) });
    return new HttpError(failure.status, safeUrl, ctx, { cause });
  }
  return new NetworkError(
    safeUrl,
    `${failure.reason ?? "network error"} (${note})`,
    { ...where, timeout: failure.timeout ?? false },
    failure.cause === undefined
      ? undefined
      : { cause: redactError(failure.cause, redact) },
  );
}

/** The error a throttled request fails with once the run made no progress for `stalledMs`. */
export function stalledError(
  failure: Failure,
  stalledMs: number,
  safeUrl: string,
  where: ErrorContext,
  redact: (text: string) => string,
): StalledError {
  const ctx: ErrorContext & { body?: string } = { ...where };
  if (failure.excerpt) ctx.body = failure.excerpt;
  return new StalledError(
    failure.status ?? 429,
    safeUrl,
    stalledMs,
    ctx,
    failure.cause === undefined
      ? undefined
      : { cause: redactError(failure.cause, redact) },
  );
}
