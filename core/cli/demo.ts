/**
 * `deno task demo`: starts the sample API on 127.0.0.1 (100,000 records,
 * pages of 50, 20 ms per request, at most 32 requests served at once), pulls
 * it with the `demo` connector, and compares the time with a sequential pull
 * estimated from the measured per-page latency.
 *
 * @module
 */

import { parseArgs } from "node:util";
import demo from "../../connectors/demo.ts";
import { HttpClient } from "../http/http.ts";
import { useHttp1Agent } from "../http/use_http1_agent.ts";
import { Http1Agent } from "../http/http1_agent.ts";
import { Progress, summaryTable } from "./progress.ts";
import { pull, type RunSummary } from "../run/pull.ts";
import { startApiServer } from "../testing/api_server.ts";
import { helpOrVersion } from "./_help_or_version.ts";
import { stopNotice, StopSignals } from "./_stop_signals.ts";

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  /** Lake folder. @default {"./lake"} */
  lake?: string;
  /** Records the sample API serves. @default {100000} */
  records?: number;
  /** Milliseconds per request. @default {20} */
  latencyMs?: number;
  /** Requests served at once. @default {32} */
  capacity?: number;
  /** Where text goes. @default {stdout} */
  write?: (text: string) => void;
  /** Live progress lines on stderr, or `false` for none. @default {a new Progress} */
  progress?: boolean | Progress;
  /** Stop gracefully: pages in flight land and are committed. */
  stop?: AbortSignal;
  /** Abort at once. */
  abort?: AbortSignal;
}

/** What the demo measured. */
export interface DemoResult {
  /** Records landed. */
  records: number;
  /** Wall time of the concurrent pull in seconds. */
  seconds: number;
  /** Estimated wall time of a sequential pull in seconds. */
  sequentialSeconds: number;
  /** Where the files are. */
  path: string;
  /** Whether `stop` ended the pull before every record landed. */
  stopped: boolean;
  /** Requests the sample API answered: the timed sequential ones and the pull's. */
  requests: number;
  /** The most requests the sample API was serving at once. */
  maxInFlight: number;
}

/**
 * Run the demo end to end, offline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runDemo } from "./demo.ts";
 * const lake = await Deno.makeTempDir();
 * try {
 *   const r = await runDemo({ lake, records: 500, latencyMs: 1, write: () => {}, progress: false });
 *   assert(r.records === 500);
 * } finally {
 *   await Deno.remove(lake, { recursive: true });
 * }
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const lake = options.lake ?? "./lake";
  const write = options.write ??
    ((t: string) => console.log(t.replace(/\n$/, "")));
  const server = await startApiServer({
    records: options.records ?? 100_000,
    latencyMs: options.latencyMs ?? 20,
    capacity: options.capacity ?? 32,
  });
  try {
    // The demo replaces its own earlier output so the counts below stay exact.
    await Deno.remove(`${lake}/demo`, { recursive: true }).catch(() => {});
    write(
      `sample API on ${server.url}: ${
        (options.records ?? 100_000).toLocaleString("en-US")
      } records, pages of 50, ${options.latencyMs ?? 20} ms per request, ${
        options.capacity ?? 32
      } requests served at once\n`,
    );

    const perPageMs = await perPageLatency(server.url);

    const progress = options.progress === false
      ? undefined
      : options.progress === true || options.progress === undefined
      ? new Progress()
      : options.progress;
    let summary;
    try {
      summary = await pull(demo, {
        lake,
        baseUrl: server.url,
        monitor: (run) => {
          progress?.attach(run, "demo");
          progress?.start();
        },
        ...(options.stop ? { stop: options.stop } : {}),
        ...(options.abort ? { signal: options.abort } : {}),
      });
    } finally {
      progress?.stop();
    }
    if (summary.status === "failed") {
      throw new Error(summary.errors.join("\n"));
    }
    const { requests, maxInFlight } = server.stats;
    return {
      ...report(write, summary, perPageMs, lake),
      requests,
      maxInFlight,
    };
  } finally {
    await server.close();
  }
}

// The per-page latency the way a sequential loop would see it, over the
// transport the pull uses.
async function perPageLatency(url: string): Promise<number> {
  using agent = useHttp1Agent() ? new Http1Agent() : undefined;
  const probe = new HttpClient(agent ? { fetch: agent.fetch } : {});
  const samples = 10;
  const t0 = performance.now();
  for (let i = 0; i < samples; i++) {
    await probe.getJson({
      url: `${url}/offset/items?offset=${i * 50}&limit=50`,
    });
  }
  return (performance.now() - t0) / samples;
}

function report(
  write: (text: string) => void,
  summary: RunSummary,
  perPageMs: number,
  lake: string,
): Omit<DemoResult, "requests" | "maxInFlight"> {
  write(`\n${summaryTable(summary)}\n\n`);
  const stopped = summary.status === "stopped";
  const path = `${lake}/demo/items`;
  const seconds = summary.durationMs / 1000;
  if (stopped) {
    write(
      `stopped: ${
        summary.records.toLocaleString("en-US")
      } records landed and were committed in ${path}\n`,
    );
    return {
      records: summary.records,
      seconds,
      sequentialSeconds: 0,
      path,
      stopped,
    };
  }
  const sequentialSeconds = summary.pages * perPageMs / 1000;
  write(
    `pulled ${
      summary.records.toLocaleString("en-US")
    } records (${summary.pages} pages) in ${
      seconds.toFixed(1)
    } s; a sequential pull takes about ${sequentialSeconds.toFixed(1)} s (${
      perPageMs.toFixed(1)
    } ms per page measured): ${
      (sequentialSeconds / seconds).toFixed(1)
    }x faster\n`,
  );
  write(`table: ${path} (Apache Iceberg v2: metadata/ and data/)\n`);
  write(
    `look at it: deno task query demo "SELECT count(*) AS records, count(DISTINCT id) AS ids, min(created_at), max(created_at) FROM items"${
      lake === "./lake" ? "" : ` --lake ${lake}`
    }\n`,
  );
  write(
    `or with any Iceberg reader, e.g. DuckDB: duckdb -c "INSTALL iceberg; LOAD iceberg; SELECT count(*) FROM iceberg_scan('${path}')"\n`,
  );
  return {
    records: summary.records,
    seconds,
    sequentialSeconds,
    path,
    stopped,
  };
}

const USAGE = `Usage: deno task demo [options]

Start the sample API on 127.0.0.1 and pull 100,000 records from it into
./lake/demo (replacing an earlier demo's files there), offline. Ctrl-C
stops it gracefully (what landed is committed; exit 130), a second aborts.

Options:
  -V, --version  print inlet's version
  -h, --help     show this help
`;

/**
 * The `demo` task's command line: `--help` and `--version` answer and do
 * nothing else; any other argument is bad usage (exit 2) rather than a
 * demo that deletes `./lake/demo`. Resolves the exit code: 0, or 130/143
 * when SIGINT/SIGTERM stopped the demo (what landed is committed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { demoMain } from "./demo.ts";
 * let out = "";
 * assert.equal(await demoMain(["--help"], { out: (t) => out += t, err: () => {} }), 0);
 * assert.match(out, /Usage: deno task demo/);
 * ```
 */
export async function demoMain(
  args: readonly string[],
  io: { out: (text: string) => void; err: (text: string) => void },
  run: () => Promise<number> = demoWithSignals,
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    }));
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const info = helpOrVersion(values, io, USAGE);
  if (info !== undefined) return info;
  return await run();
}

// A first SIGINT/SIGTERM stops the pull gracefully (exit 130/143), a second
// aborts it; either way the progress lines give the terminal its cursor back.
async function demoWithSignals(): Promise<number> {
  const progress = new Progress();
  const signals = new StopSignals((signal, action) =>
    progress.note(stopNotice(signal, action))
  );
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) =>
    [sig, () => signals.received(sig)] as const
  );
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  try {
    const result = await runDemo({
      progress,
      stop: signals.stop.signal,
      abort: signals.abort.signal,
    });
    return result.stopped ? signals.code : 0;
  } catch (err) {
    if (signals.abort.signal.aborted) return signals.code;
    throw err;
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  }
}

if (import.meta.main) {
  const enc = new TextEncoder();
  Deno.exit(
    await demoMain(Deno.args, {
      out: (t) => Deno.stdout.writeSync(enc.encode(t)),
      err: (t) => Deno.stderr.writeSync(enc.encode(t)),
    }),
  );
}
