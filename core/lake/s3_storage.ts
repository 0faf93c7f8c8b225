/**
 * The lake in any S3-compatible object store (AWS S3, MinIO, R2, Ceph...):
 * `--lake s3://bucket/prefix`. The commit protocol relies on two S3
 * guarantees: an object is invisible until its upload completes, and a PUT
 * with `If-None-Match: *` fails with 412 when the key exists (conditional
 * writes, on AWS since 2024), so two runs can never both commit a version.
 *
 * @module
 */

import { S3Client, type S3Request, type S3Response } from "./_s3_client.ts";
import { S3FileSink } from "./_s3_sink.ts";
import { xmlElements, xmlText } from "./xml.ts";
import { assertLakePath, assertLakePrefix } from "./_paths.ts";
import { ConfigError } from "../connector/errors.ts";
import { ensureConditionalWrites, singleWriterFromEnv } from "./_s3_probe.ts";
import type { FileSink, Storage } from "./storage.ts";
import { MIN_PART_SIZE, type S3StorageOptions } from "./s3_storage_options.ts";

export { MIN_PART_SIZE, type S3StorageOptions };

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const MAX_LIST_PAGES = 1_000_000;

/**
 * {@linkcode Storage} on an S3-compatible bucket, signed with AWS SigV4.
 *
 * Paths map to keys under the prefix: `s3://lake/prod` + `demo/items/a.parquet`
 * is the key `prod/demo/items/a.parquet` in bucket `lake`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3Storage } from "./s3_storage.ts";
 * import { startS3Server } from "../testing/s3_server.ts";
 *
 * const server = await startS3Server();
 * try {
 *   // In production the env is the process's: INLET_S3_ENDPOINT, AWS_ACCESS_KEY_ID, ...
 *   const lake = S3Storage.fromUrl(server.bucket("lake") + "/prod", { env: (n) => server.env[n] });
 *   const entry = new TextEncoder().encode('{"version":1}');
 *   assert(await lake.putIfAbsent("demo/items/metadata/v1.metadata.json", entry) === true);
 *   assert(await lake.putIfAbsent("demo/items/metadata/v1.metadata.json", entry) === false);
 *   assert((await lake.list("demo/items"))[0] === "demo/items/metadata/v1.metadata.json");
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export class S3Storage implements Storage {
  /** `s3://bucket[/prefix]`. */
  readonly root: string;
  /** The bucket name. */
  readonly bucket: string;
  /** The key prefix, without leading or trailing `/` (may be empty). */
  readonly prefix: string;
  #client: S3Client;
  #partSize: number;
  #partConcurrency: number;
  #singleWriter: boolean;

  /**
   * Open `bucket` under `prefix`; see {@linkcode S3Storage.fromUrl} for the
   * usual way in. Throws {@linkcode ConfigError} when the endpoint or the
   * credentials are missing, naming the variables to set.
   */
  constructor(bucket: string, prefix = "", options: S3StorageOptions = {}) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(bucket)) {
      throw new ConfigError(
        `S3 bucket name ${JSON.stringify(bucket)} is invalid`,
      );
    }
    this.bucket = bucket;
    this.prefix = prefix.replace(/^\/+|\/+$/g, "");
    if (this.prefix !== "") {
      try {
        assertLakePath(this.prefix);
      } catch (cause) {
        throw new ConfigError(
          `S3 prefix ${JSON.stringify(this.prefix)} is invalid: ${
            (cause as Error).message
          }`,
          { cause },
        );
      }
    }
    this.root = `s3://${bucket}${this.prefix ? "/" + this.prefix : ""}`;
    const env = options.env ?? readEnv;
    const endpoint = options.endpoint ?? env("INLET_S3_ENDPOINT");
    const accessKeyId = options.accessKeyId ?? env("AWS_ACCESS_KEY_ID");
    const secretAccessKey = options.secretAccessKey ??
      env("AWS_SECRET_ACCESS_KEY");
    const missing = [
      ...(endpoint ? [] : [
        "INLET_S3_ENDPOINT (the store's URL, e.g. https://s3.us-east-1.amazonaws.com)",
      ]),
      ...(accessKeyId ? [] : ["AWS_ACCESS_KEY_ID"]),
      ...(secretAccessKey ? [] : ["AWS_SECRET_ACCESS_KEY"]),
    ];
    if (missing.length > 0) {
      throw new ConfigError(
        `Cannot open the lake ${this.root}: set ${
          missing.join(", ")
        } in the environment`,
      );
    }
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(partSize) || partSize < 1) {
      throw new RangeError(
        `partSize must be a positive integer, got ${partSize}`,
      );
    }
    if (partSize < MIN_PART_SIZE && !options.allowSmallParts) {
      throw new RangeError(
        `partSize must be at least ${MIN_PART_SIZE} bytes (S3's minimum part), got ${partSize}`,
      );
    }
    const partConcurrency = options.partConcurrency ?? 4;
    if (!Number.isInteger(partConcurrency) || partConcurrency < 1) {
      throw new RangeError(
        `partConcurrency must be a positive integer, got ${partConcurrency}`,
      );
    }
    this.#partSize = partSize;
    this.#partConcurrency = partConcurrency;
    this.#singleWriter = options.assumeSingleWriter ??
      singleWriterFromEnv(env);
    const sessionToken = options.sessionToken ?? env("AWS_SESSION_TOKEN");
    this.#client = new S3Client({
      endpoint: normalizeEndpoint(endpoint!),
      bucket,
      region: options.region ?? env("AWS_REGION") ??
        env("AWS_DEFAULT_REGION") ?? "us-east-1",
      accessKeyId: accessKeyId!,
      secretAccessKey: secretAccessKey!,
      sessionToken: sessionToken || undefined,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      retries: options.retries ?? 3,
      timeoutMs: options.timeoutMs ?? 120_000,
      sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      random: options.random ?? Math.random,
    });
  }

  /**
   * Open `s3://bucket/prefix`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { S3Storage } from "./s3_storage.ts";
   * const env: Record<string, string> = {
   *   INLET_S3_ENDPOINT: "http://127.0.0.1:9000",
   *   AWS_ACCESS_KEY_ID: "id",
   *   AWS_SECRET_ACCESS_KEY: "secret",
   * };
   * const lake = S3Storage.fromUrl("s3://my-bucket/lake/", { env: (n) => env[n] });
   * assert(lake.bucket === "my-bucket" && lake.prefix === "lake");
   * assert(lake.root === "s3://my-bucket/lake");
   * ```
   */
  static fromUrl(url: string, options: S3StorageOptions = {}): S3Storage {
    const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
    if (!m) {
      throw new ConfigError(
        `${JSON.stringify(url)} is not an S3 URL: use s3://bucket/prefix`,
      );
    }
    return new S3Storage(m[1]!, m[2] ?? "", options);
  }

  /** Start writing a file; it is visible only after `close()`. */
  create(path: string): Promise<FileSink> {
    return Promise.resolve(
      new S3FileSink(this.#client, this.#key(path), {
        partSize: this.#partSize,
        partConcurrency: this.#partConcurrency,
      }),
    );
  }

  /** Write a whole small file (S3 PUTs are atomic). */
  async put(path: string, data: Uint8Array): Promise<void> {
    await this.#expect({
      op: "put",
      method: "PUT",
      key: this.#key(path),
      body: data,
    }, [200]);
  }

  /**
   * Write a whole small file only if the key is free (`If-None-Match: *`).
   * When the answer to an applied write was lost and the retry sees 412, the
   * stored bytes are compared with ours to tell our write from another's.
   * Before the first one, the store is probed (once per lake per process): one
   * that ignores the header is refused with a {@linkcode ConfigError}, unless
   * `assumeSingleWriter`.
   */
  async putIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    if (!this.#singleWriter) {
      const endpoint = this.#client.config.endpoint;
      await ensureConditionalWrites({
        key: `${endpoint} ${this.root}`,
        describe: `${this.root} at ${endpoint}`,
        putIfAbsent: (p, d) => this.#putIfAbsent(p, d),
        delete: (p) => this.delete(p),
      });
    }
    return await this.#putIfAbsent(path, data);
  }

  async #putIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    const req: S3Request = {
      op: "create",
      method: "PUT",
      key: this.#key(path),
      headers: { "if-none-match": "*" },
      body: data,
      // 409: a concurrent conditional write to the same key; AWS says retry.
      retryStatuses: [409],
    };
    const res = await this.#client.send(req);
    if (res.status === 200) return true;
    if (res.status !== 412) throw this.#client.error(req, res);
    if (!res.retried) return false;
    const stored = await this.get(path);
    return stored !== undefined && equalBytes(stored, data);
  }

  /** The whole file, or `undefined` when there is none. */
  async get(path: string): Promise<Uint8Array | undefined> {
    const req: S3Request = { op: "get", method: "GET", key: this.#key(path) };
    const res = await this.#client.send(req);
    if (res.status === 200) return res.body;
    if (isNoSuchKey(res)) return undefined;
    throw this.#client.error(req, res);
  }

  /**
   * Every file whose path starts with `prefix`, relative to the root, sorted.
   * As with `LocalStorage`, a string prefix: `"demo/items/"` lists
   * that folder, `"demo/it"` also matches `"demo/items2/..."`.
   */
  async list(prefix: string): Promise<string[]> {
    assertLakePrefix(prefix);
    const keyPrefix = this.prefix === "" ? prefix : `${this.prefix}/${prefix}`;
    const strip = this.prefix === "" ? 0 : this.prefix.length + 1;
    const out: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query: Record<string, string> = {
        "list-type": "2",
        "encoding-type": "url",
      };
      if (keyPrefix) query.prefix = keyPrefix;
      if (token !== undefined) query["continuation-token"] = token;
      const req: S3Request = {
        op: `list "${keyPrefix}" in`,
        method: "GET",
        query,
      };
      const res = await this.#expect(req, [200]);
      const xml = new TextDecoder().decode(res.body);
      // Keys come URL-encoded only when the store honoured encoding-type.
      const encoded = xmlText(xml, "EncodingType") === "url";
      for (const contents of xmlElements(xml, "Contents")) {
        const raw = xmlText(contents, "Key") ?? "";
        const key = encoded ? decodeURIComponent(raw.replace(/\+/g, " ")) : raw;
        // Zero-byte "folder" markers some consoles create are not files.
        if (key.endsWith("/") || !key.startsWith(keyPrefix)) continue;
        out.push(key.slice(strip));
      }
      if (xmlText(xml, "IsTruncated") !== "true") return out.sort();
      const next = xmlText(xml, "NextContinuationToken");
      if (!next || next === token) {
        throw this.#client.error(req, {
          ...res,
          code: "InvalidListing",
          message: "a truncated listing without a new continuation token",
        });
      }
      token = next;
    }
    throw new Error(
      `Cannot list "${keyPrefix}" in bucket "${this.bucket}": too many pages`,
    );
  }

  /**
   * CopyObject then DeleteObject. Idempotent: when the source is gone and
   * the target exists, an earlier call already moved it.
   */
  async move(from: string, to: string): Promise<void> {
    const src = this.#key(from);
    const dst = this.#key(to);
    if (src === dst) {
      if (await this.#exists(dst)) return;
      throw new Error(
        `Cannot move "${from}" onto itself in ${this.root}: it does not exist`,
      );
    }
    const req: S3Request = {
      op: `copy "${src}" to`,
      method: "PUT",
      key: dst,
      headers: {
        "x-amz-copy-source": `/${this.bucket}/${
          encodeURIComponent(src).replace(/%2F/g, "/")
        }`,
      },
      errorIn200: true,
    };
    const res = await this.#client.send(req);
    if (res.status !== 200) {
      if (isNoSuchKey(res) && await this.#exists(dst)) return;
      throw this.#client.error(req, res);
    }
    await this.#delete(src);
  }

  /** Remove a file; a missing file is not an error. */
  async delete(path: string): Promise<void> {
    await this.#delete(this.#key(path));
  }

  async #delete(key: string): Promise<void> {
    const req: S3Request = { op: "delete", method: "DELETE", key };
    const res = await this.#client.send(req);
    if (res.status === 204 || res.status === 200 || isNoSuchKey(res)) return;
    throw this.#client.error(req, res);
  }

  async #exists(key: string): Promise<boolean> {
    const req: S3Request = { op: "check", method: "HEAD", key };
    const res = await this.#client.send(req);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.#client.error(req, res);
  }

  async #expect(req: S3Request, ok: number[]): Promise<S3Response> {
    const res = await this.#client.send(req);
    if (!ok.includes(res.status)) throw this.#client.error(req, res);
    return res;
  }

  #key(path: string): string {
    assertLakePath(path);
    return this.prefix === "" ? path : `${this.prefix}/${path}`;
  }
}

function isNoSuchKey(res: S3Response): boolean {
  // A 404 without a body (HEAD, some stores) is a missing key; a missing
  // bucket is a configuration error and must not look like "no file".
  return res.status === 404 &&
    (res.code === undefined || res.code === "NoSuchKey");
}

function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    const shown = endpoint.includes("@") ? "" : ` ${JSON.stringify(endpoint)}`;
    throw new ConfigError(`INLET_S3_ENDPOINT${shown} is not a URL`, { cause });
  }
  // Checked first so that the value, which may hold a secret, is not echoed.
  if (url.username || url.password || url.search) {
    throw new ConfigError(
      "INLET_S3_ENDPOINT must be a plain URL without credentials or query: put keys in AWS_* variables",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(
      `INLET_S3_ENDPOINT must be http(s), got ${JSON.stringify(endpoint)}`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (cause) {
    throw new ConfigError(
      `Cannot read ${name}: allow it with --allow-env=${name}`,
      { cause },
    );
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
