/**
 * Whether an S3-compatible store honours `If-None-Match: *`. The Iceberg commit's
 * exactly-once guarantee rests on it: a store that ignores the header lets
 * two runs both commit the same version, and readers then see every record
 * twice. Some stores (s3rver, older MinIO and Ceph) ignore it silently.
 *
 * @module
 */

import { ConfigError, HttpError } from "../connector/errors.ts";

/** What the probe does on the store, and how it names it in messages. */
export interface ProbeTarget {
  /** Identifies the store and the lake (endpoint, bucket, prefix): the cache key. */
  key: string;
  /** `s3://bucket/prefix` at `endpoint`, for messages. */
  describe: string;
  /** A conditional (`If-None-Match: *`) PUT: `false` when refused with 412. */
  putIfAbsent(path: string, data: Uint8Array): Promise<boolean>;
  /** Remove the probe object. */
  delete(path: string): Promise<void>;
}

/** The environment variable that skips the probe; see {@linkcode ensureConditionalWrites}. */
export const SINGLE_WRITER_ENV = "INLET_S3_SINGLE_WRITER";

/**
 * Whether the environment accepts the risk (`INLET_S3_SINGLE_WRITER=1`). An
 * unreadable variable (not allowed to this process) leaves the probe on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { singleWriterFromEnv } from "./_s3_probe.ts";
 * assert.equal(singleWriterFromEnv(() => "1"), true);
 * assert.equal(singleWriterFromEnv(() => { throw new Error("denied"); }), false);
 * ```
 */
export function singleWriterFromEnv(
  env: (name: string) => string | undefined,
): boolean {
  try {
    return env(SINGLE_WRITER_ENV) === "1";
  } catch {
    return false;
  }
}

const verdicts = new Map<string, Promise<void>>();

/**
 * Resolve when the store refuses a second conditional PUT of the same key
 * (checked once per lake per process: a probe object written twice, then
 * removed); reject with a {@linkcode ConfigError} naming the store and the
 * way out when it accepts it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ensureConditionalWrites } from "./_s3_probe.ts";
 * const keys = new Set<string>();
 * const honest = {
 *   key: "example-honest",
 *   describe: "s3://lake at http://127.0.0.1:9000",
 *   putIfAbsent: (p: string) => Promise.resolve(keys.has(p) ? false : (keys.add(p), true)),
 *   delete: (p: string) => Promise.resolve(void keys.delete(p)),
 * };
 * await ensureConditionalWrites(honest);
 * assert.equal(keys.size, 0);
 * const liar = { ...honest, key: "example-liar", putIfAbsent: () => Promise.resolve(true) };
 * await assert.rejects(ensureConditionalWrites(liar), /ignores If-None-Match/);
 * ```
 */
export function ensureConditionalWrites(target: ProbeTarget): Promise<void> {
  let verdict = verdicts.get(target.key);
  if (!verdict) {
    verdict = probe(target);
    verdicts.set(target.key, verdict);
    // A network failure says nothing about the store: probe again next time.
    verdict.catch((err) => {
      if (!(err instanceof ConfigError)) verdicts.delete(target.key);
    });
  }
  return verdict;
}

async function probe(target: ProbeTarget): Promise<void> {
  const path = `_inlet_probe/${crypto.randomUUID()}.json`;
  const enc = new TextEncoder();
  let honoured: boolean;
  try {
    if (!await target.putIfAbsent(path, enc.encode('{"probe":1}'))) {
      throw new Error(
        `Cannot probe ${target.describe}: a fresh probe key ${path} was refused as existing`,
      );
    }
    honoured = !await target.putIfAbsent(path, enc.encode('{"probe":2}'));
  } catch (err) {
    // Stores without conditional writes may refuse the header outright.
    if (err instanceof HttpError && err.status === 501) honoured = false;
    else throw err;
  } finally {
    await target.delete(path);
  }
  if (!honoured) {
    throw new ConfigError(
      `Cannot commit to ${target.describe}: the store ignores If-None-Match (a conditional PUT over an existing key succeeded), so two runs could both commit and readers would see records twice. Use a store with conditional writes (AWS S3, Cloudflare R2, a recent MinIO), or, only if you guarantee a single writer per lake, set ${SINGLE_WRITER_ENV}=1`,
    );
  }
}
