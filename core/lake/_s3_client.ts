/**
 * One S3 request done right: path-style URL, SigV4 signature (aws4fetch) with
 * the payload hash, bounded retries with full jitter on 5xx, 429, S3's
 * `RequestTimeout` and network errors, a timeout per attempt, and errors that
 * name the bucket, the key and S3's own `Code`/`Message` (never a secret).
 *
 * @module
 */

import { AwsClient } from "aws4fetch";
import { HttpError, NetworkError } from "../connector/errors.ts";
import { xmlText } from "./xml.ts";

/**
 * Everything a request needs, resolved (no environment lookups here).
 *
 * @example
 * ```ts
 * import type { S3ClientConfig } from "./_s3_client.ts";
 * const config: S3ClientConfig = {
 *   endpoint: "http://127.0.0.1:9000", bucket: "lake", region: "us-east-1",
 *   accessKeyId: "id", secretAccessKey: "secret", sessionToken: undefined,
 *   fetch, retries: 3, timeoutMs: 120_000,
 *   sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: Math.random,
 * };
 * ```
 */
export interface S3ClientConfig {
  /** `http(s)://host[:port][/path]`, no trailing slash. */
  endpoint: string;
  /** The bucket every request goes to. */
  bucket: string;
  /** The signing region. */
  region: string;
  /** Credentials: the key id. */
  accessKeyId: string;
  /** Credentials: the secret, used only to sign. */
  secretAccessKey: string;
  /** Credentials: a temporary session's token. */
  sessionToken: string | undefined;
  /** Sends a signed request. */
  fetch: typeof fetch;
  /** Extra attempts after the first. */
  retries: number;
  /** Per-attempt timeout, headers and body included. */
  timeoutMs: number;
  /** Waits between retries. */
  sleep: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random: () => number;
}

/**
 * One S3 call.
 *
 * @example
 * ```ts
 * import type { S3Request } from "./_s3_client.ts";
 * const req: S3Request = { op: "get", method: "GET", key: "demo/items/metadata/v1.metadata.json" };
 * ```
 */
export interface S3Request {
  /** What we were doing, for messages: `"put"`, `"list"`, `"upload part 3 of"`. */
  op: string;
  /** The HTTP method. */
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  /** The object key; omitted for bucket-level calls (list). */
  key?: string;
  /** Query parameters (`""` values are sent bare, as in `?uploads`). */
  query?: Record<string, string>;
  /** Headers to send and sign. */
  headers?: Record<string, string>;
  /** The payload; its SHA-256 is signed. */
  body?: Uint8Array;
  /** Statuses retried for this call besides 5xx and 429. */
  retryStatuses?: readonly number[];
  /**
   * S3 may answer CopyObject and CompleteMultipartUpload with 200 and an
   * `<Error>` document; when set, such an answer counts as a 500.
   */
  errorIn200?: boolean;
}

/**
 * What came back; HTTP errors are data here, the caller decides.
 *
 * @example
 * ```ts
 * import type { S3Response } from "./_s3_client.ts";
 * const res: S3Response = {
 *   status: 404, headers: new Headers(), body: new Uint8Array(),
 *   code: "NoSuchKey", message: "The specified key does not exist.", retried: false,
 * };
 * ```
 */
export interface S3Response {
  /** HTTP status (a 200 carrying an `<Error>` counts as 500). */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The whole body. */
  body: Uint8Array;
  /** S3's error `Code`, when the body is an `<Error>` document. */
  code: string | undefined;
  /** S3's error `Message`. */
  message: string | undefined;
  /**
   * True when an earlier attempt was sent and may have been applied before
   * its answer was lost: a conditional write then sees its own write.
   */
  retried: boolean;
}

const EMPTY_SHA256 =
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const MAX_BACKOFF_MS = 5_000;
const BASE_BACKOFF_MS = 100;

/**
 * Encode an object key for a path-style URL: each segment percent-encoded
 * the way SigV4 canonicalises it, `/` kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeKey } from "./_s3_client.ts";
 * assert(encodeKey("a b/c(1).json") === "a%20b/c%281%29.json");
 * ```
 */
export function encodeKey(key: string): string {
  return key.split("/").map(encodeRfc3986).join("/");
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    data as Uint8Array<ArrayBuffer>,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * Signs and sends S3 requests for one bucket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3Client } from "./_s3_client.ts";
 * import { startS3Server } from "../testing/s3_server.ts";
 * const server = await startS3Server();
 * try {
 *   server.bucket("bkt");
 *   const client = new S3Client({
 *     endpoint: server.url, bucket: "bkt", region: "us-east-1",
 *     accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey,
 *     sessionToken: undefined, fetch, retries: 0, timeoutMs: 5_000,
 *     sleep: () => Promise.resolve(), random: Math.random,
 *   });
 *   const res = await client.send({ op: "get", method: "GET", key: "missing" });
 *   assert(res.status === 404 && res.code === "NoSuchKey");
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export class S3Client {
  /** The resolved configuration. */
  readonly config: Readonly<S3ClientConfig>;
  #aws: AwsClient;

  /** A client for `config.bucket`. */
  constructor(config: S3ClientConfig) {
    this.config = config;
    this.#aws = new AwsClient({
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
      service: "s3",
      region: config.region,
      retries: 0,
    });
  }

  /** The path-style URL of `key` (or of the bucket), with `query`. */
  url(key: string | undefined, query: Record<string, string> = {}): string {
    const path = `${this.config.endpoint}/${encodeRfc3986(this.config.bucket)}${
      key === undefined ? "" : "/" + encodeKey(key)
    }`;
    // Built by hand: URLSearchParams writes spaces as "+", which S3 and the
    // signer read differently.
    const qs = Object.entries(query)
      .map((
        [k, v],
      ) => (v === ""
        ? encodeRfc3986(k)
        : `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
      )
      .join("&");
    return qs ? `${path}?${qs}` : path;
  }

  /** Send `req`, retrying what is safe to retry; throws only {@linkcode NetworkError}. */
  async send(req: S3Request): Promise<S3Response> {
    const url = this.url(req.key, req.query);
    const payloadHash = req.body ? await sha256Hex(req.body) : EMPTY_SHA256;
    const retryable = new Set([
      ...RETRY_STATUSES,
      ...(req.retryStatuses ?? []),
    ]);
    const { retries } = this.config;
    for (let attempt = 0;; attempt++) {
      let res: S3Response;
      try {
        res = await this.#attempt(req, url, payloadHash, attempt > 0);
      } catch (cause) {
        if (attempt < retries) {
          await this.#backoff(attempt);
          continue;
        }
        const reason = cause instanceof Error ? cause.message : String(cause);
        const err = new NetworkError(url, reason, {}, { cause });
        err.message = `Cannot ${req.op} ${
          this.#target(req)
        }: ${reason} at ${req.method} ${url}`;
        throw err;
      }
      const again = retryable.has(res.status) ||
        res.code === "RequestTimeout" ||
        res.code === "SlowDown";
      if (again && attempt < retries) {
        await this.#backoff(attempt);
        continue;
      }
      return res;
    }
  }

  /** An {@linkcode HttpError} for an answer the caller cannot accept. */
  error(req: S3Request, res: S3Response): HttpError {
    const url = this.url(req.key, req.query);
    const detail = res.code
      ? `${res.code}${res.message ? `: ${res.message}` : ""}`
      : new TextDecoder().decode(res.body.subarray(0, 200)).trim() || undefined;
    const err = new HttpError(res.status, url, detail ? { body: detail } : {});
    err.message = `Cannot ${req.op} ${this.#target(req)}: status ${res.status}${
      detail ? ` ${detail}` : ""
    } at ${req.method} ${url}`;
    return err;
  }

  #target(req: S3Request): string {
    const bucket = `bucket "${this.config.bucket}"`;
    return req.key === undefined ? bucket : `key "${req.key}" in ${bucket}`;
  }

  async #attempt(
    req: S3Request,
    url: string,
    payloadHash: string,
    retried: boolean,
  ): Promise<S3Response> {
    const headers = new Headers(req.headers);
    headers.set("x-amz-content-sha256", payloadHash);
    const init: RequestInit = { method: req.method, headers };
    if (req.body) init.body = req.body as Uint8Array<ArrayBuffer>;
    const signed = await this.#aws.sign(url, init);
    const abort = new AbortController();
    const timer = setTimeout(
      () =>
        abort.abort(new Error(`no answer within ${this.config.timeoutMs} ms`)),
      this.config.timeoutMs,
    );
    try {
      const res = await this.config.fetch(signed, { signal: abort.signal });
      const body = new Uint8Array(await res.arrayBuffer());
      let status = res.status;
      let code: string | undefined;
      let message: string | undefined;
      if (status >= 300 || req.errorIn200) {
        const text = new TextDecoder().decode(body);
        if (/<Error[\s>]/.test(text)) {
          code = xmlText(text, "Code");
          message = xmlText(text, "Message");
          if (status < 300) status = 500;
        }
      }
      return { status, headers: res.headers, body, code, message, retried };
    } finally {
      clearTimeout(timer);
    }
  }

  #backoff(attempt: number): Promise<void> {
    const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
    return this.config.sleep(this.config.random() * cap);
  }
}
