/**
 * The Parquet encoder worker (see `_parquet_encoder.ts`): rows arrive as
 * pages land, a `group` message encodes those since the last group, and
 * the encoded bytes go back to the file's owner, transferred, not copied.
 * It does no I/O of its own.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import {
  type FromWorker,
  GroupEncoder,
  type ToWorker,
} from "./_parquet_encoder.ts";
import type { Row } from "./types.ts";

const send = (message: FromWorker, transfer: Transferable[] = []) =>
  self.postMessage(message, transfer);

const out = {
  write(chunk: Uint8Array): Promise<void> {
    // The chunk is a fresh copy (see SinkWriter.flush): hand it over.
    send({ t: "bytes", chunk }, [chunk.buffer as ArrayBuffer]);
    return Promise.resolve();
  },
};
let encoder: GroupEncoder | undefined;

let rows: Row[] = [];
let failed = false;
const noPause = () => Promise.resolve();

// One message at a time, in arrival order.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<ToWorker>) => {
  const message = e.data;
  queue = queue.then(async () => {
    if (failed) return;
    try {
      switch (message.t) {
        case "rows":
          for (const row of message.rows) rows.push(row);
          return;
        case "group": {
          const group = rows;
          rows = [];
          encoder ??= new GroupEncoder(out, message.codec);
          await encoder.encode(message.schema, group, noPause);
          break;
        }
        case "finish":
          encoder ??= new GroupEncoder(out, message.codec);
          await encoder.finish(message.schema);
          break;
      }
      send({ t: "done", peakBytes: encoder?.peakBytes ?? 0 });
    } catch (err) {
      failed = true;
      const e = err instanceof Error ? err : new Error(String(err));
      send({ t: "error", name: e.name, message: e.message });
    }
  });
};
