/**
 * The inlet CLI with one extra connector, `crash`, for the crash and stop
 * tests: every paging shape the engine checkpoints differently, against the
 * test API (`--base-url`). Run it like `core/cli.ts`:
 * `deno run -A tests/core/_crash_cli.ts pull crash --base-url <url> --lake <dir>`.
 *
 * @module
 */
import { type CliRuntime, runCli } from "../../core/cli.ts";
import { defineConnector, singlePaginator } from "../../core/mod.ts";
import { BASE_S } from "../../core/testing/_records.ts";
import {
  cursorStream,
  offsetStream,
  stripeLikeStream,
} from "../_connectors.ts";

/**
 * Streams of the test API, one per kind of lane:
 * - `fanout`: offset pages with a total, fetched concurrently;
 * - `cursor`: a sequential `next_cursor` chain;
 * - `partitioned`: Stripe-style `starting_after` chains over `created`
 *   ranges, split while they run;
 * - `details`: one request per `fanout` record (a dependent stream).
 */
export const crash = defineConnector({
  name: "crash",
  baseUrl: "http://127.0.0.1:9",
  hosts: ["127.0.0.1"],
  streams: {
    fanout: offsetStream(50),
    // Small pages: the chain is long enough for every kill to land in it.
    cursor: cursorStream(7),
    // Far past the data: most partitions are empty, one is dense and splits.
    partitioned: stripeLikeStream(10, {
      end: BASE_S + 1_000_000,
      partitions: 4,
    }),
    details: {
      path: "/v0/item/{id}.json",
      primaryKey: "id",
      parent: { stream: "fanout", field: "id" },
      paginator: singlePaginator(),
    },
  },
});

if (import.meta.main) {
  const { default: connectors } = await import("../../connectors/mod.ts");
  const enc = new TextEncoder();
  const write = (f: typeof Deno.stdout | typeof Deno.stderr) => (t: string) => {
    const bytes = enc.encode(t);
    for (let off = 0; off < bytes.length;) {
      off += f.writeSync(bytes.subarray(off));
    }
  };
  // The same graceful stop as core/cli.ts: the first signal stops, a second aborts.
  const stop = new AbortController();
  const abort = new AbortController();
  let stopCode = 130;
  const onSignal = (signal: "SIGINT" | "SIGTERM") => () => {
    if (stop.signal.aborted) return abort.abort(new Error(signal));
    stopCode = signal === "SIGINT" ? 130 : 143;
    stop.abort(new Error(signal));
  };
  const runtime: CliRuntime = {
    stop: stop.signal,
    abort: abort.signal,
    stopCode: () => stopCode,
    listen: () => {
      Deno.addSignalListener("SIGINT", onSignal("SIGINT"));
      Deno.addSignalListener("SIGTERM", onSignal("SIGTERM"));
    },
  };
  Deno.exit(
    await runCli(Deno.args, [...connectors, crash], {
      out: write(Deno.stdout),
      err: write(Deno.stderr),
      terminal: false,
      env: (n) => Deno.env.get(n),
    }, runtime),
  );
}
