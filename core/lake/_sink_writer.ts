/**
 * A hyparquet-writer `Writer` that hands its bytes to a {@linkcode FileSink}
 * after every row group and then reuses its buffer, so a file's size never
 * shows in memory: only the largest row group does.
 *
 * @module
 */
import { ByteWriter } from "hyparquet-writer";
import type { FileSink } from "./storage.ts";

/** ByteWriter whose `flush()` moves the buffered bytes to a sink. */
export class SinkWriter extends ByteWriter {
  readonly #sink: Pick<FileSink, "write">;
  /** The largest buffer this writer has held, in bytes. */
  peakBytes = 0;

  constructor(sink: Pick<FileSink, "write">) {
    super(64 * 1024);
    this.#sink = sink;
  }

  /** Send what is buffered to the sink and start the buffer over. */
  flush(): Promise<void> {
    this.peakBytes = Math.max(this.peakBytes, this.buffer.byteLength);
    if (this.index === 0) return Promise.resolve();
    // A copy: the sink may hold the chunk while we refill the buffer.
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.#sink.write(chunk);
  }

  /** Flush the footer; closing the sink is the caller's move. */
  override finish(): Promise<void> {
    return this.flush();
  }
}
