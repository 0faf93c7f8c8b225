/**
 * One stream's run: plans its lanes (option slices, range partitions, the
 * detail walk of a dependent stream), pulls them concurrently, writes their
 * pages in order per lane, and checkpoints: each commit holds the files and
 * the position of every lane, so a killed run resumes with each record
 * exactly once.
 *
 * @module
 */

import { planStream } from "./_stream_plan.ts";
import { StreamSweep } from "./_stream_sweep.ts";
import type { StreamState } from "../lake/stream_state.ts";
import type { StreamRunOptions } from "./stream_run_options.ts";

export type { StreamRunOptions };

/** What a stream run did. */
export interface StreamRunResult {
  /** Records written by this run. */
  records: number;
  /** Bytes written. */
  bytes: number;
  /** Files committed. */
  files: number;
  /** The sweep finished (false: stopped or limited; the next run continues). */
  complete: boolean;
  /** The state committed last. */
  state: StreamState | undefined;
  /** Nothing to do: the stream's sweep of the resumed pass was complete already. */
  skipped?: boolean;
}

/**
 * Pull one stream into the lake, resuming its running sweep if there is one.
 * When a lane fails, the others stop as on a graceful stop, what landed in
 * order before the failure is committed, and then the error propagates: the
 * next run continues after that prefix. Only when a write or a commit
 * failed (the staged files cannot be trusted) or on an abort is nothing more
 * committed: the lake and the state stay at the last commit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runStream } from "./stream_run.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { HttpClient } from "../http/http.ts";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { newStreamStats } from "../paging/paginate.ts";
 * import { cursorPaginator } from "../paging/paginators.ts";
 * import { startApiServer } from "../testing/api_server.ts";
 *
 * const server = await startApiServer({ records: 100 });
 * const dir = await Deno.makeTempDir();
 * try {
 *   const c = defineConnector({
 *     name: "t",
 *     baseUrl: server.url,
 *     streams: {
 *       items: {
 *         path: "/cursor/items",
 *         recordsPath: "data",
 *         primaryKey: "id",
 *         paginator: cursorPaginator({ cursorParam: "cursor", cursorPath: "next_cursor" }),
 *       },
 *     },
 *   });
 *   const r = await runStream({
 *     connector: c,
 *     name: "items",
 *     storage: new LocalStorage(dir),
 *     runId: "20260101T000000Z-000001",
 *     http: new HttpClient(),
 *     baseUrl: server.url,
 *     stats: newStreamStats(),
 *     poolWidth: 4,
 *   });
 *   assert(r.records === 100 && r.complete);
 * } finally {
 *   await server.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function runStream(o: StreamRunOptions): Promise<StreamRunResult> {
  const plan = await planStream(o);
  if (!plan) {
    return {
      records: 0,
      bytes: 0,
      files: 0,
      complete: true,
      state: undefined,
      skipped: true,
    };
  }
  return await new StreamSweep(o, plan).run();
}
