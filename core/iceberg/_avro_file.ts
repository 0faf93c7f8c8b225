/**
 * Avro object container files in memory, through avsc: manifests and
 * manifest lists are small, so a whole file is one buffer.
 *
 * @module
 */
import avro from "avsc";
import { Buffer } from "node:buffer";

/** Encode `records` as an Avro container file with `metadata` (string values). */
export function encodeAvro(
  schema: object,
  records: readonly unknown[],
  metadata: Record<string, string>,
): Promise<Uint8Array> {
  const meta: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v);
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    // The schema itself, not a parsed Type: avsc then writes it to the
    // header as given, field ids and all.
    // avsc takes `metadata` (written to the header) but its types omit it.
    // The header always: a snapshot with no manifests still has a manifest
    // list, and every reader expects a whole Avro file there.
    const options = {
      codec: "null",
      metadata: meta,
      writeHeader: "always",
    } as { codec: string };
    const encoder = new avro.streams.BlockEncoder(
      schema as avro.Schema,
      options,
    );
    encoder.on("data", (c: Uint8Array) => chunks.push(c));
    encoder.on("error", reject);
    encoder.on("typeError", (err: Error, value: unknown) =>
      reject(
        new TypeError(`Cannot encode ${JSON.stringify(value)} in Avro`, {
          cause: err,
        }),
      ));
    encoder.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    for (const r of records) encoder.write(r);
    encoder.end();
  });
}

/** The records and metadata of an Avro container file. */
export function decodeAvro<T>(
  bytes: Uint8Array,
): Promise<{ records: T[]; metadata: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const records: T[] = [];
    const metadata: Record<string, string> = {};
    const decoder = new avro.streams.BlockDecoder({ noDecode: false });
    decoder.on("metadata", (_t: unknown, _c: unknown, header: {
      meta: Record<string, Buffer>;
    }) => {
      for (const [k, v] of Object.entries(header.meta)) {
        metadata[k] = v.toString();
      }
    });
    decoder.on("data", (r: T) => records.push(r));
    decoder.on("error", reject);
    decoder.on("end", () => resolve({ records, metadata }));
    decoder.end(Buffer.from(bytes));
  });
}
