/**
 * A local S3-protocol server for tests: path-style requests on 127.0.0.1,
 * objects in memory, AWS SigV4 signatures verified in full (the payload hash
 * too), and S3's XML answers and errors. It speaks what inlet's lake needs:
 * PutObject (with `If-None-Match: *` / `If-Match`), GetObject, HeadObject,
 * DeleteObject, CopyObject, ListObjectsV2, multipart uploads and CreateBucket.
 *
 * @module
 */

import { AwsV4Signer } from "aws4fetch";
import { createHash } from "node:crypto";
import { xmlElements, xmlEscape, xmlText } from "../lake/xml.ts";

/**
 * How the server behaves.
 *
 * @example
 * ```ts
 * import type { S3ServerOptions } from "./s3_server.ts";
 * // Small parts and short listing pages, to test multipart and pagination cheaply.
 * const opts: S3ServerOptions = { minPartSize: 1024, maxKeys: 10 };
 * ```
 */
export interface S3ServerOptions {
  /** Port on 127.0.0.1. @default 0 (any free port) */
  port?: number;
  /** The only access key id accepted. @default "INLETTESTACCESSKEY" */
  accessKeyId?: string;
  /** Its secret, used to verify signatures. @default "inlet-test-secret" */
  secretAccessKey?: string;
  /** Smallest size of every part but the last (S3: 5 MiB). @default 5 MiB */
  minPartSize?: number;
  /** Most keys in one ListObjectsV2 page (S3: 1000). @default 1000 */
  maxKeys?: number;
}

/**
 * What the server saw; live counters.
 *
 * @example
 * ```ts
 * import type { S3ServerStats } from "./s3_server.ts";
 * const stats: S3ServerStats = {
 *   requests: 3, rejected: 1, operations: { PutObject: 2 }, openUploads: 0,
 * };
 * ```
 */
export interface S3ServerStats {
  /** Every request received. */
  requests: number;
  /** Requests refused for their signature or credentials. */
  rejected: number;
  /** Authenticated requests by S3 operation name (`PutObject`, `UploadPart`...). */
  operations: Record<string, number>;
  /** Multipart uploads started and neither completed nor aborted. */
  openUploads: number;
}

/**
 * A running server, from {@linkcode startS3Server}. Close it when done
 * (or `await using` it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type S3Server, startS3Server } from "./s3_server.ts";
 * const server: S3Server = await startS3Server();
 * try {
 *   server.bucket("lake");
 *   assert(server.env.INLET_S3_ENDPOINT === server.url);
 *   assert(server.keys("lake").length === 0);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export interface S3Server extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, the endpoint. */
  readonly url: string;
  /** The access key id requests must be signed with. */
  readonly accessKeyId: string;
  /** Its secret. */
  readonly secretAccessKey: string;
  /** The environment a client needs: `INLET_S3_ENDPOINT`, `AWS_*`. */
  readonly env: Readonly<Record<string, string>>;
  /** Live counters. */
  readonly stats: S3ServerStats;
  /** Create the bucket `name` if absent; returns `s3://<name>`. */
  bucket(name: string): string;
  /** The keys stored in `bucket`, sorted (empty for an unknown bucket). */
  keys(bucket: string): string[];
  /** Stop listening and wait for open connections to finish; safe to call twice. */
  close(): Promise<void>;
}

interface StoredObject {
  data: Uint8Array;
  etag: string;
  lastModified: Date;
}

interface Upload {
  bucket: string;
  key: string;
  parts: Map<number, { data: Uint8Array; etag: string }>;
}

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

class S3Failure {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly extra: Record<string, string> = {},
  ) {}
}

/**
 * Start the server. Stop it with `close()` in every test.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startS3Server } from "./s3_server.ts";
 * const server = await startS3Server();
 * try {
 *   assert(server.bucket("lake") === "s3://lake");
 *   // Unsigned requests are refused, as by S3.
 *   const res = await fetch(`${server.url}/lake/x`);
 *   assert(res.status === 403 && (await res.text()).includes("AccessDenied"));
 *   assert(server.stats.rejected === 1);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export function startS3Server(
  options: S3ServerOptions = {},
): Promise<S3Server> {
  const accessKeyId = options.accessKeyId ?? "INLETTESTACCESSKEY";
  const secretAccessKey = options.secretAccessKey ?? "inlet-test-secret";
  const minPartSize = options.minPartSize ?? 5 * 1024 * 1024;
  const pageMax = options.maxKeys ?? 1000;
  const buckets = new Map<string, Map<string, StoredObject>>();
  const uploads = new Map<string, Upload>();
  const stats: S3ServerStats = {
    requests: 0,
    rejected: 0,
    operations: {},
    openUploads: 0,
  };

  const count = (op: string) => {
    stats.operations[op] = (stats.operations[op] ?? 0) + 1;
  };

  async function handle(req: Request): Promise<Response> {
    stats.requests++;
    const url = new URL(req.url);
    const resource = url.pathname;
    let body: Uint8Array;
    try {
      body = new Uint8Array(await req.arrayBuffer());
    } catch {
      return errorResponse(
        req,
        resource,
        new S3Failure(400, "IncompleteBody", "The request body ended early."),
      );
    }
    try {
      const denied = await authenticate(req, url, body);
      if (denied) {
        stats.rejected++;
        return errorResponse(req, resource, denied);
      }
      const segments = url.pathname.split("/");
      let bucketName: string;
      let key: string;
      try {
        bucketName = decodeURIComponent(segments[1] ?? "");
        key = segments.slice(2).map(decodeURIComponent).join("/");
      } catch {
        throw new S3Failure(
          400,
          "InvalidURI",
          "Couldn't parse the specified URI.",
        );
      }
      if (bucketName === "") {
        throw new S3Failure(
          501,
          "NotImplemented",
          "ListBuckets is not implemented here.",
        );
      }
      return key === ""
        ? bucketRequest(req, url, bucketName)
        : objectRequest(req, url, bucketName, key, body);
    } catch (err) {
      if (err instanceof S3Failure) return errorResponse(req, resource, err);
      throw err;
    }
  }

  async function authenticate(
    req: Request,
    url: URL,
    body: Uint8Array,
  ): Promise<S3Failure | undefined> {
    const auth = req.headers.get("authorization");
    if (!auth) return new S3Failure(403, "AccessDenied", "Access Denied");
    const m = AUTH_RE.exec(auth);
    if (!m) {
      return new S3Failure(
        400,
        "AuthorizationHeaderMalformed",
        "The authorization header is malformed.",
      );
    }
    const [, keyId, day, region, service, signedList, signature] =
      m as unknown as string[];
    if (keyId !== accessKeyId) {
      return new S3Failure(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
      );
    }
    const datetime = req.headers.get("x-amz-date") ?? "";
    const signed = signedList!.split(";");
    if (
      service !== "s3" || !datetime.startsWith(day!) || !signed.includes("host")
    ) {
      return new S3Failure(
        400,
        "AuthorizationHeaderMalformed",
        "The authorization header is malformed.",
      );
    }
    const headers = new Headers();
    for (const name of signed) {
      if (name !== "host") headers.set(name, req.headers.get(name) ?? "");
    }
    const signer = new AwsV4Signer({
      method: req.method,
      url: url.toString(),
      headers,
      accessKeyId,
      secretAccessKey,
      service: "s3",
      region: region!,
      datetime,
      allHeaders: true,
    });
    if (await signer.signature() !== signature) {
      return new S3Failure(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
      );
    }
    const claimed = req.headers.get("x-amz-content-sha256");
    if (
      claimed && claimed !== "UNSIGNED-PAYLOAD" && claimed !== sha256Hex(body)
    ) {
      return new S3Failure(
        400,
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    return undefined;
  }

  function bucketRequest(req: Request, url: URL, name: string): Response {
    const q = url.searchParams;
    if (req.method === "PUT") {
      count("CreateBucket");
      if (buckets.has(name)) {
        throw new S3Failure(
          409,
          "BucketAlreadyOwnedByYou",
          "Your previous request to create the named bucket succeeded and you already own it.",
        );
      }
      buckets.set(name, new Map());
      return new Response(null, {
        status: 200,
        headers: { location: `/${name}` },
      });
    }
    if (req.method === "GET" && q.get("list-type") === "2") {
      count("ListObjectsV2");
      return listObjects(name, q);
    }
    if (req.method === "HEAD") {
      count("HeadBucket");
      return new Response(null, { status: buckets.has(name) ? 200 : 404 });
    }
    throw new S3Failure(
      501,
      "NotImplemented",
      `${req.method} on a bucket is not implemented here.`,
    );
  }

  function objectsOf(bucket: string): Map<string, StoredObject> {
    const objects = buckets.get(bucket);
    if (!objects) {
      throw new S3Failure(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist.",
        { BucketName: bucket },
      );
    }
    return objects;
  }

  function listObjects(bucket: string, q: URLSearchParams): Response {
    const objects = objectsOf(bucket);
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const encoding = q.get("encoding-type");
    if (encoding !== null && encoding !== "url") {
      throw new S3Failure(
        400,
        "InvalidArgument",
        "Invalid Encoding Method specified in Request",
      );
    }
    const requested = q.has("max-keys") ? Number(q.get("max-keys")) : pageMax;
    if (!Number.isInteger(requested) || requested < 0) {
      throw new S3Failure(
        400,
        "InvalidArgument",
        "max-keys must be a non-negative integer",
      );
    }
    const maxKeys = Math.min(requested, pageMax);
    const token = q.get("continuation-token");
    let after = q.get("start-after") ?? "";
    let afterIsPrefix = false;
    if (token !== null) {
      try {
        const parsed = JSON.parse(decodeURIComponent(atob(token))) as {
          k: string;
          p: boolean;
        };
        after = parsed.k;
        afterIsPrefix = parsed.p;
      } catch {
        throw new S3Failure(
          400,
          "InvalidArgument",
          "The continuation token provided is incorrect",
        );
      }
    }
    const contents: string[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let last = { k: "", p: false };
    for (const k of [...objects.keys()].sort()) {
      if (!k.startsWith(prefix) || k <= after) continue;
      if (afterIsPrefix && k.startsWith(after)) continue;
      const cut = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
      const common = cut >= 0 ? k.slice(0, cut + delimiter.length) : undefined;
      if (common !== undefined && prefixes.at(-1) === common) continue;
      if (contents.length + prefixes.length >= maxKeys) {
        truncated = maxKeys > 0;
        break;
      }
      if (common !== undefined) prefixes.push(common);
      else contents.push(k);
      last = { k: common ?? k, p: common !== undefined };
    }
    const enc = (s: string) =>
      xmlEscape(
        encoding === "url"
          ? encodeURIComponent(s).replace(/%2F/g, "/").replace(/%20/g, "+")
          : s,
      );
    const el = (name: string, value: string) => `<${name}>${value}</${name}>`;
    const xml = `<ListBucketResult xmlns="${XMLNS}">` +
      el("Name", xmlEscape(bucket)) +
      el("Prefix", enc(prefix)) +
      (delimiter ? el("Delimiter", enc(delimiter)) : "") +
      el("MaxKeys", String(maxKeys)) +
      el("KeyCount", String(contents.length + prefixes.length)) +
      el("IsTruncated", String(truncated)) +
      (encoding ? el("EncodingType", encoding) : "") +
      (token !== null ? el("ContinuationToken", xmlEscape(token)) : "") +
      (truncated
        ? el(
          "NextContinuationToken",
          btoa(encodeURIComponent(JSON.stringify(last))),
        )
        : "") +
      (q.has("start-after")
        ? el("StartAfter", enc(q.get("start-after")!))
        : "") +
      contents.map((k) => {
        const o = objects.get(k)!;
        return el(
          "Contents",
          el("Key", enc(k)) + el("LastModified", o.lastModified.toISOString()) +
            el("ETag", xmlEscape(o.etag)) +
            el("Size", String(o.data.byteLength)) +
            el("StorageClass", "STANDARD"),
        );
      }).join("") +
      prefixes.map((p) => el("CommonPrefixes", el("Prefix", enc(p)))).join("") +
      `</ListBucketResult>`;
    return xmlResponse(200, xml);
  }

  function objectRequest(
    req: Request,
    url: URL,
    bucket: string,
    key: string,
    body: Uint8Array,
  ): Response {
    const q = url.searchParams;
    const objects = objectsOf(bucket);
    switch (req.method) {
      case "POST":
        if (q.has("uploads")) return createUpload(bucket, key);
        if (q.has("uploadId")) {
          return completeUpload(
            req,
            objects,
            bucket,
            key,
            q.get("uploadId")!,
            body,
          );
        }
        break;
      case "PUT":
        if (q.has("uploadId")) return uploadPart(bucket, key, q, body);
        if (req.headers.has("x-amz-copy-source")) {
          return copyObject(req, objects, key);
        }
        return putObject(req, objects, key, body);
      case "GET":
      case "HEAD": {
        count(req.method === "GET" ? "GetObject" : "HeadObject");
        const o = objects.get(key);
        if (!o) {
          throw new S3Failure(
            404,
            "NoSuchKey",
            "The specified key does not exist.",
            { Key: key },
          );
        }
        return new Response(
          req.method === "GET" ? o.data as Uint8Array<ArrayBuffer> : null,
          {
            status: 200,
            headers: {
              "content-length": String(o.data.byteLength),
              "content-type": "application/octet-stream",
              etag: o.etag,
              "last-modified": o.lastModified.toUTCString(),
            },
          },
        );
      }
      case "DELETE":
        if (q.has("uploadId")) {
          count("AbortMultipartUpload");
          uploadOf(bucket, key, q.get("uploadId")!);
          uploads.delete(q.get("uploadId")!);
          stats.openUploads = uploads.size;
          return new Response(null, { status: 204 });
        }
        count("DeleteObject");
        objects.delete(key);
        return new Response(null, { status: 204 });
    }
    throw new S3Failure(
      501,
      "NotImplemented",
      `${req.method} with these parameters is not implemented here.`,
    );
  }

  function putObject(
    req: Request,
    objects: Map<string, StoredObject>,
    key: string,
    body: Uint8Array,
  ): Response {
    count("PutObject");
    // Body already read: the check and the write below run without a pause,
    // so a conditional write is atomic.
    checkConditions(req, objects.get(key));
    const etag = `"${md5Hex(body)}"`;
    objects.set(key, { data: body, etag, lastModified: new Date() });
    return new Response(null, { status: 200, headers: { etag } });
  }

  function checkConditions(
    req: Request,
    existing: StoredObject | undefined,
  ): void {
    const noneMatch = req.headers.get("if-none-match");
    if (noneMatch !== null) {
      if (noneMatch.trim() !== "*") {
        throw new S3Failure(
          501,
          "NotImplemented",
          "If-None-Match supports only '*' on writes.",
        );
      }
      if (existing) {
        throw new S3Failure(
          412,
          "PreconditionFailed",
          "At least one of the pre-conditions you specified did not hold",
          {
            Condition: "If-None-Match",
          },
        );
      }
    }
    const match = req.headers.get("if-match");
    if (match !== null && existing?.etag !== match.trim()) {
      if (!existing) {
        throw new S3Failure(
          404,
          "NoSuchKey",
          "The specified key does not exist.",
        );
      }
      throw new S3Failure(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        {
          Condition: "If-Match",
        },
      );
    }
  }

  function copyObject(
    req: Request,
    objects: Map<string, StoredObject>,
    key: string,
  ): Response {
    count("CopyObject");
    const source = (req.headers.get("x-amz-copy-source") ?? "").replace(
      /\?.*$/,
      "",
    ).replace(/^\//, "");
    const slash = source.indexOf("/");
    let srcBucket: string;
    let srcKey: string;
    try {
      srcBucket = decodeURIComponent(source.slice(0, slash));
      srcKey = decodeURIComponent(source.slice(slash + 1));
    } catch {
      throw new S3Failure(
        400,
        "InvalidArgument",
        "Copy Source must mention the source bucket and key",
      );
    }
    if (slash <= 0 || srcKey === "") {
      throw new S3Failure(
        400,
        "InvalidArgument",
        "Copy Source must mention the source bucket and key",
      );
    }
    const src = objectsOf(srcBucket).get(srcKey);
    if (!src) {
      throw new S3Failure(
        404,
        "NoSuchKey",
        "The specified key does not exist.",
        { Key: srcKey },
      );
    }
    if (objects === buckets.get(srcBucket) && srcKey === key) {
      throw new S3Failure(
        400,
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata.",
      );
    }
    checkConditions(req, objects.get(key));
    const copy = { data: src.data, etag: src.etag, lastModified: new Date() };
    objects.set(key, copy);
    return xmlResponse(
      200,
      `<CopyObjectResult xmlns="${XMLNS}"><LastModified>${copy.lastModified.toISOString()}</LastModified><ETag>${
        xmlEscape(copy.etag)
      }</ETag></CopyObjectResult>`,
    );
  }

  function createUpload(bucket: string, key: string): Response {
    count("CreateMultipartUpload");
    const uploadId = crypto.randomUUID();
    uploads.set(uploadId, { bucket, key, parts: new Map() });
    stats.openUploads = uploads.size;
    return xmlResponse(
      200,
      `<InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${
        xmlEscape(bucket)
      }</Bucket><Key>${
        xmlEscape(key)
      }</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  function uploadOf(bucket: string, key: string, uploadId: string): Upload {
    const upload = uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) {
      throw new S3Failure(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        { UploadId: uploadId },
      );
    }
    return upload;
  }

  function uploadPart(
    bucket: string,
    key: string,
    q: URLSearchParams,
    body: Uint8Array,
  ): Response {
    count("UploadPart");
    const number = Number(q.get("partNumber"));
    if (!Number.isInteger(number) || number < 1 || number > 10000) {
      throw new S3Failure(
        400,
        "InvalidArgument",
        "Part number must be an integer between 1 and 10000, inclusive",
      );
    }
    const upload = uploadOf(bucket, key, q.get("uploadId")!);
    const etag = `"${md5Hex(body)}"`;
    upload.parts.set(number, { data: body, etag });
    return new Response(null, { status: 200, headers: { etag } });
  }

  function completeUpload(
    req: Request,
    objects: Map<string, StoredObject>,
    bucket: string,
    key: string,
    uploadId: string,
    body: Uint8Array,
  ): Response {
    count("CompleteMultipartUpload");
    const upload = uploadOf(bucket, key, uploadId);
    const listed = xmlElements(new TextDecoder().decode(body), "Part").map((
      p,
    ) => ({
      number: Number(xmlText(p, "PartNumber")),
      etag: xmlText(p, "ETag") ?? "",
    }));
    if (listed.length === 0) {
      throw new S3Failure(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema.",
      );
    }
    const chosen: Uint8Array[] = [];
    const digests: Uint8Array[] = [];
    for (const [i, p] of listed.entries()) {
      if (i > 0 && p.number <= listed[i - 1]!.number) {
        throw new S3Failure(
          400,
          "InvalidPartOrder",
          "The list of parts was not in ascending order.",
        );
      }
      const part = upload.parts.get(p.number);
      if (!part || part.etag.replace(/"/g, "") !== p.etag.replace(/"/g, "")) {
        throw new S3Failure(
          400,
          "InvalidPart",
          "One or more of the specified parts could not be found.",
        );
      }
      if (i < listed.length - 1 && part.data.byteLength < minPartSize) {
        throw new S3Failure(
          400,
          "EntityTooSmall",
          "Your proposed upload is smaller than the minimum allowed object size.",
        );
      }
      chosen.push(part.data);
      digests.push(md5(part.data));
    }
    checkConditions(req, objects.get(key));
    const data = concat(chosen);
    const etag = `"${md5Hex(concat(digests))}-${chosen.length}"`;
    objects.set(key, { data, etag, lastModified: new Date() });
    uploads.delete(uploadId);
    stats.openUploads = uploads.size;
    return xmlResponse(
      200,
      `<CompleteMultipartUploadResult xmlns="${XMLNS}"><Location>/${
        xmlEscape(bucket)
      }/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${
        xmlEscape(key)
      }</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen() {},
  }, handle);
  const url = `http://127.0.0.1:${server.addr.port}`;
  let closing: Promise<void> | undefined;
  const close = () => closing ??= server.shutdown();
  return Promise.resolve({
    url,
    accessKeyId,
    secretAccessKey,
    env: {
      INLET_S3_ENDPOINT: url,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: "us-east-1",
    },
    stats,
    bucket(name: string): string {
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
        throw new TypeError(`invalid bucket name ${JSON.stringify(name)}`);
      }
      if (!buckets.has(name)) buckets.set(name, new Map());
      return `s3://${name}`;
    },
    keys(bucket: string): string[] {
      return [...(buckets.get(bucket)?.keys() ?? [])].sort();
    },
    close,
    [Symbol.asyncDispose]: close,
  });
}

function errorResponse(req: Request, resource: string, f: S3Failure): Response {
  if (req.method === "HEAD") return new Response(null, { status: f.status });
  const extra = Object.entries(f.extra).map(([k, v]) =>
    `<${k}>${xmlEscape(v)}</${k}>`
  ).join("");
  return xmlResponse(
    f.status,
    `<Error><Code>${f.code}</Code><Message>${
      xmlEscape(f.message)
    }</Message>${extra}<Resource>${
      xmlEscape(resource)
    }</Resource><RequestId>${crypto.randomUUID()}</RequestId></Error>`,
  );
}

function xmlResponse(status: number, xml: string): Response {
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, {
    status,
    headers: {
      "content-type": "application/xml",
      "x-amz-request-id": crypto.randomUUID(),
    },
  });
}

function md5(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("md5").update(data).digest());
}

function md5Hex(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
