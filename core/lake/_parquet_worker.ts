/**
 * The Parquet encoder worker (see `_parquet_encoder.ts`): a `group` message
 * brings a row group's columns (built as pages landed, their buffers
 * transferred), the worker encodes and compresses them, and the encoded
 * bytes go back to the file's owner, transferred, not copied. It does no
 * I/O of its own.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import {
  type FromWorker,
  GroupEncoder,
  type ParquetCodec,
  type ToWorker,
} from "./_parquet_encoder.ts";
import { RowFailure } from "./_row_failure.ts";

const send = (message: FromWorker, transfer: Transferable[] = []) =>
  self.postMessage(message, transfer);

/** One open file: its encoder. */
interface File {
  encoder: GroupEncoder | undefined;
  failed: boolean;
}

const files = new Map<number, File>();

function fileOf(id: number): File {
  let file = files.get(id);
  if (!file) {
    file = { encoder: undefined, failed: false };
    files.set(id, file);
  }
  return file;
}

function encoderOf(id: number, file: File, codec: ParquetCodec): GroupEncoder {
  file.encoder ??= new GroupEncoder({
    write(chunk: Uint8Array): Promise<void> {
      // The chunk is a fresh copy (see SinkWriter.flush): hand it over.
      send({ id, t: "bytes", chunk }, [chunk.buffer as ArrayBuffer]);
      return Promise.resolve();
    },
  }, codec);
  return file.encoder;
}

const noPause = () => Promise.resolve();

// Loaded and able to encode: the owner may send files.
send({ id: 0, t: "ready" });

// One message at a time, in arrival order.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<ToWorker>) => {
  const message = e.data;
  queue = queue.then(async () => {
    const { id } = message;
    if (message.t === "drop") {
      files.delete(id);
      return;
    }
    const file = fileOf(id);
    if (file.failed) return;
    try {
      switch (message.t) {
        case "group":
          await encoderOf(id, file, message.codec).encode(
            message.schema,
            message.group,
            noPause,
            message.meta,
          );
          break;
        case "finish":
          await encoderOf(id, file, message.codec).finish(
            message.schema,
            message.meta,
          );
          files.delete(id);
          break;
      }
      send({ id, t: "done", peakBytes: file.encoder?.peakBytes ?? 0 });
    } catch (err) {
      file.failed = true;
      const e = err instanceof Error ? err : new Error(String(err));
      const row = e instanceof RowFailure ? { row: e.row, batch: e.batch } : {};
      send({ id, t: "error", name: e.name, message: e.message, ...row });
    }
  });
};
