/**
 * The S3 `FileSink`: bytes are buffered until a part fills, then sent as a
 * multipart upload with a few parts in flight; a file smaller than one part
 * is a single PUT at `close()`. Either way S3 shows the object only once it
 * is complete, which is the `FileSink` contract.
 *
 * @module
 */

import type { S3Client, S3Request } from "./_s3_client.ts";
import type { FileSink } from "./storage.ts";
import { xmlEscape, xmlText } from "./xml.ts";

/**
 * How a sink uploads.
 *
 * @example
 * ```ts
 * import type { S3SinkOptions } from "./_s3_sink.ts";
 * const opts: S3SinkOptions = { partSize: 8 * 1024 * 1024, partConcurrency: 4 };
 * ```
 */
export interface S3SinkOptions {
  /** Bytes per part (every part but the last has exactly this size). */
  partSize: number;
  /** Parts uploading at once; `write()` waits while this many are in flight. */
  partConcurrency: number;
}

type State = "open" | "closing" | "closed" | "aborted";

/**
 * A file being written to S3; see the module doc.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3Storage } from "./s3_storage.ts";
 * import { startS3Server } from "../testing/s3_server.ts";
 * const server = await startS3Server();
 * try {
 *   const storage = S3Storage.fromUrl(server.bucket("lake") + "/p", { env: (n) => server.env[n] });
 *   const sink = await storage.create("a.bin");
 *   await sink.write(new Uint8Array([1, 2, 3]));
 *   assert((await storage.get("a.bin")) === undefined);
 *   await sink.close();
 *   assert((await storage.get("a.bin"))?.length === 3);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export class S3FileSink implements FileSink {
  #client: S3Client;
  #key: string;
  #opts: S3SinkOptions;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #written = 0;
  #state: State = "open";
  #uploadId: string | undefined;
  #parts: { number: number; etag: string }[] = [];
  #nextPart = 1;
  #inflight = new Set<Promise<void>>();
  #failure: unknown;

  /** Start a sink for `key`; nothing is sent before the first part fills. */
  constructor(client: S3Client, key: string, opts: S3SinkOptions) {
    this.#client = client;
    this.#key = key;
    this.#opts = opts;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Append bytes; waits while `partConcurrency` parts are uploading. */
  async write(chunk: Uint8Array): Promise<void> {
    this.#checkOpen("write to");
    if (this.#failure !== undefined) throw this.#failure;
    if (chunk.byteLength === 0) return;
    // Copied: the caller may reuse its buffer once write() resolves.
    this.#chunks.push(chunk.slice());
    this.#buffered += chunk.byteLength;
    this.#written += chunk.byteLength;
    while (this.#buffered >= this.#opts.partSize) {
      await this.#startPart(this.#take(this.#opts.partSize));
    }
  }

  /** Complete the upload; the object appears at its key only now. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#checkOpen("close");
    this.#state = "closing";
    try {
      if (this.#uploadId === undefined) {
        const body = this.#take(this.#buffered);
        await this.#expect({ op: "put", method: "PUT", key: this.#key, body }, [
          200,
        ]);
      } else {
        if (this.#buffered > 0) {
          await this.#startPart(this.#take(this.#buffered));
        }
        await this.#settle();
        if (this.#failure !== undefined) throw this.#failure;
        await this.#complete();
      }
      this.#state = "closed";
    } catch (err) {
      // Parts of an unfinished upload are stored (and billed) until aborted.
      await this.abort().catch(() => {});
      throw err;
    }
  }

  /** Drop everything: buffered bytes and any uploaded parts. */
  async abort(): Promise<void> {
    if (this.#state === "closed" || this.#state === "aborted") return;
    this.#state = "aborted";
    this.#chunks = [];
    this.#buffered = 0;
    // Parts still arriving after the abort could outlive it: wait for them.
    await this.#settle();
    const uploadId = this.#uploadId;
    if (uploadId === undefined) return;
    this.#uploadId = undefined;
    const req: S3Request = {
      op: "abort the upload of",
      method: "DELETE",
      key: this.#key,
      query: { uploadId },
    };
    const res = await this.#client.send(req);
    if (
      res.status !== 204 && res.status !== 200 && res.code !== "NoSuchUpload"
    ) {
      throw this.#client.error(req, res);
    }
  }

  #checkOpen(what: string): void {
    if (this.#state !== "open") {
      throw new Error(
        `Cannot ${what} "${this.#key}": the file is already ${this.#state}`,
      );
    }
  }

  /** Remove the first `n` buffered bytes as one array. */
  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0]!;
      const need = n - filled;
      if (head.byteLength <= need) {
        out.set(head, filled);
        filled += head.byteLength;
        this.#chunks.shift();
      } else {
        out.set(head.subarray(0, need), filled);
        this.#chunks[0] = head.subarray(need);
        filled = n;
      }
    }
    this.#buffered -= n;
    return out;
  }

  async #startPart(bytes: Uint8Array): Promise<void> {
    if (this.#uploadId === undefined) this.#uploadId = await this.#initiate();
    while (this.#inflight.size >= this.#opts.partConcurrency) {
      await Promise.race(this.#inflight);
    }
    if (this.#failure !== undefined) throw this.#failure;
    const number = this.#nextPart++;
    const p: Promise<void> = this.#uploadPart(this.#uploadId, number, bytes)
      .catch((err) => {
        this.#failure ??= err;
      })
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  async #settle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all(this.#inflight);
  }

  async #initiate(): Promise<string> {
    const res = await this.#expect({
      op: "start a multipart upload of",
      method: "POST",
      key: this.#key,
      query: { uploads: "" },
    }, [200]);
    const id = xmlText(new TextDecoder().decode(res.body), "UploadId");
    if (!id) {
      throw new Error(
        `Cannot upload "${this.#key}": S3 answered without an UploadId`,
      );
    }
    return id;
  }

  async #uploadPart(
    uploadId: string,
    number: number,
    body: Uint8Array,
  ): Promise<void> {
    const res = await this.#expect({
      op: `upload part ${number} of`,
      method: "PUT",
      key: this.#key,
      query: { partNumber: String(number), uploadId },
      body,
    }, [200]);
    const etag = res.headers.get("etag");
    if (!etag) {
      throw new Error(
        `Cannot upload part ${number} of "${this.#key}": S3 answered without an ETag`,
      );
    }
    this.#parts.push({ number, etag });
  }

  async #complete(): Promise<void> {
    const uploadId = this.#uploadId!;
    const parts = [...this.#parts].sort((a, b) => a.number - b.number);
    const xml = `<CompleteMultipartUpload>${
      parts.map((p) =>
        `<Part><PartNumber>${p.number}</PartNumber><ETag>${
          xmlEscape(p.etag)
        }</ETag></Part>`
      )
        .join("")
    }</CompleteMultipartUpload>`;
    const req: S3Request = {
      op: "complete the upload of",
      method: "POST",
      key: this.#key,
      query: { uploadId },
      headers: { "content-type": "application/xml" },
      body: new TextEncoder().encode(xml),
      errorIn200: true,
    };
    const res = await this.#client.send(req);
    if (res.status === 200) {
      this.#uploadId = undefined;
      return;
    }
    // A lost answer to a completion that did happen: the upload is gone and
    // the object is there with our size.
    if (res.retried && res.code === "NoSuchUpload" && await this.#landed()) {
      this.#uploadId = undefined;
      return;
    }
    throw this.#client.error(req, res);
  }

  async #landed(): Promise<boolean> {
    const res = await this.#client.send({
      op: "check",
      method: "HEAD",
      key: this.#key,
    });
    return res.status === 200 &&
      Number(res.headers.get("content-length")) === this.#written;
  }

  async #expect(req: S3Request, ok: number[]) {
    const res = await this.#client.send(req);
    if (!ok.includes(res.status)) throw this.#client.error(req, res);
    return res;
  }
}
