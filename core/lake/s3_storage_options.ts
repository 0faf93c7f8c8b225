/**
 * How an S3 lake is reached, and the part size S3 allows.
 *
 * @module
 */

/**
 * The smallest part S3 accepts (every part of an upload but the last).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIN_PART_SIZE } from "./s3_storage.ts";
 * assert(MIN_PART_SIZE === 5 * 1024 * 1024);
 * ```
 */
export const MIN_PART_SIZE: number = 5 * 1024 * 1024;

/**
 * How to reach the store. Every field falls back to the environment, read
 * through `env`, so a CI job only sets the standard variables.
 *
 * @example
 * ```ts
 * import type { S3StorageOptions } from "./s3_storage.ts";
 * const opts: S3StorageOptions = { endpoint: "http://127.0.0.1:9000", region: "eu-west-1" };
 * ```
 */
export interface S3StorageOptions {
  /**
   * The store's base URL, path-style requests go to `<endpoint>/<bucket>/<key>`.
   * For AWS itself: `https://s3.<region>.amazonaws.com`.
   * @default env INLET_S3_ENDPOINT
   */
  endpoint?: string;
  /** The signing region. @default env AWS_REGION, then AWS_DEFAULT_REGION, then "us-east-1" */
  region?: string;
  /** The access key id. @default env AWS_ACCESS_KEY_ID */
  accessKeyId?: string;
  /** The secret access key; used only to sign, never shown. @default env AWS_SECRET_ACCESS_KEY */
  secretAccessKey?: string;
  /** Temporary credentials' token. @default env AWS_SESSION_TOKEN */
  sessionToken?: string;
  /** Sends the signed requests. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Bytes per multipart part; at least {@linkcode MIN_PART_SIZE}. @default 8 MiB */
  partSize?: number;
  /**
   * Accept a `partSize` below S3's 5 MiB minimum. Only for tests against a
   * local server configured to take small parts.
   * @default false
   */
  allowSmallParts?: boolean;
  /** Parts of one file uploading at once. @default 4 */
  partConcurrency?: number;
  /** Extra attempts on 5xx, 429, throttling and network errors. @default 3 */
  retries?: number;
  /** Per-attempt timeout in milliseconds. @default 120_000 */
  timeoutMs?: number;
  /** Waits between retries (injected in tests). @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /**
   * Commit even when the store ignores `If-None-Match` (the probe that
   * otherwise refuses such a store is skipped). Only when a single writer per
   * lake is guaranteed: two runs at once would both commit.
   * @default env INLET_S3_SINGLE_WRITER is "1"
   */
  assumeSingleWriter?: boolean;
  /** Reads an environment variable. @default Deno.env.get */
  env?: (name: string) => string | undefined;
}
