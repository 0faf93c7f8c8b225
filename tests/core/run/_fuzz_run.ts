/**
 * Runs one fuzz case against the engine and judges it: in process through
 * `pull()`, or through the CLI in a child killed with SIGKILL at planned
 * request numbers and run again. A run either ends "ok" with the lake
 * exactly the served records, or fails naming the page; a failure is only
 * allowed when the case has a fault no retry can mend.
 *
 * @module
 */
import { pull, type RunSummary } from "../../../core/run/pull.ts";
import {
  type FuzzServer,
  startFuzzServer,
} from "../../../core/testing/fuzz_server.ts";
import { runCliChild, spawnCli } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";
import {
  describeCase,
  type FuzzCase,
  mustSucceed,
  recordText,
} from "./_fuzz_case.ts";
import { fuzzConnector } from "./_fuzz_connector.ts";
import {
  lakeProblem,
  namesPage,
  type Query,
  readStream,
} from "./_fuzz_oracle.ts";

/** A run took longer than this: a hang, not slowness (cases take ~1 s). */
const HANG_MS = 120_000;

/** Most requests a case may take before it counts as endless. */
function requestCap(c: FuzzCase, server: FuzzServer): number {
  const faults = Object.values(c.faults).reduce((n, f) => n + f.length, 0);
  // Windows without a total may look ahead of the end by the pool width.
  return 3 * server.pages + faults + 300;
}

function fail(c: FuzzCase, what: string): never {
  throw new Error(`${what}\ncase: ${describeCase(c)}`);
}

/** Judge a finished run: `errors` empty means it said "ok". */
async function judge(
  query: Query,
  c: FuzzCase,
  lake: string,
  server: FuzzServer,
  errors: readonly string[],
  cap: number,
): Promise<void> {
  if (server.requestCount > cap) {
    fail(
      c,
      `endless: ${server.requestCount} requests for ${server.pages} pages`,
    );
  }
  const rows = await readStream(query, `${lake}/fuzz/items`, c.format);
  if (Deno.env.get("INLET_FUZZ_VERBOSE") === "1") {
    console.log(
      `${c.paging} n=${c.records.length} size=${c.pageSize} ${c.format} faults=${
        JSON.stringify(c.faults)
      } empty=${c.emptyPages} bad=${
        JSON.stringify(c.badPages)
      } extra=${c.totalExtra}: ${server.requestCount} requests, ${rows.length} rows, ${
        errors.length ? `failed: ${errors.join("; ").slice(0, 300)}` : "ok"
      }`,
    );
  }
  const problem = lakeProblem(c.records, rows, errors.length === 0);
  if (errors.length === 0) {
    if (problem) fail(c, `run said ok, but ${problem}`);
    return;
  }
  if (problem) fail(c, `failed run left a wrong lake: ${problem}`);
  for (const e of errors) {
    if (!namesPage(e, server.url)) fail(c, `error names no page: ${e}`);
  }
  // A field whose values no one column type holds exactly (a fraction and
  // an integer past 64 bits) is an error by design, never a rounding.
  // Nested objects are structs: a nested field's clash is one too.
  const typeClash = errors.every((e) =>
    /field ".*" was (\w+|struct<.*>|STRUCT<.*>), now (\w+|struct<.*>)/.test(e)
  );
  if (mustSucceed(c) && !typeClash) {
    fail(c, `failed though every fault was retryable: ${errors.join("; ")}`);
  }
}

/** The fuzz API for `c`, with a hook on each request. */
function serverFor(c: FuzzCase, onRequest?: (n: number) => void): FuzzServer {
  return startFuzzServer({
    paging: c.paging,
    pageSize: c.pageSize,
    records: c.records.map(recordText),
    faults: c.faults,
    emptyPages: c.emptyPages,
    badPages: c.badPages,
    totalExtra: c.totalExtra,
    ...(onRequest ? { onRequest } : {}),
  });
}

/** Pull `c` in this process and judge the lake. */
export async function runInProcess(
  query: Query,
  c: FuzzCase,
): Promise<void> {
  const t0 = performance.now();
  const abort = new AbortController();
  let cap = Infinity;
  await using server = serverFor(c, (n) => {
    if (n > cap) abort.abort(new Error(`more than ${cap} requests`));
  });
  cap = requestCap(c, server);
  const hang = setTimeout(
    () =>
      abort.abort(
        new Error(
          `no end after ${HANG_MS} ms (${server.requestCount} requests)`,
        ),
      ),
    HANG_MS,
  );
  try {
    await withTempDir("inlet-fuzz-", async (lake) => {
      let summary: RunSummary | undefined;
      let errors: string[];
      try {
        summary = await pull(fuzzConnector(c), {
          lake,
          baseUrl: server.url,
          format: c.format,
          fileRecords: c.fileRecords,
          concurrency: c.concurrency,
          maxConcurrency: 32,
          signal: abort.signal,
        });
        errors = summary.errors;
      } catch (err) {
        errors = [err instanceof Error ? err.message : String(err)];
      }
      if (abort.signal.aborted) fail(c, String(abort.signal.reason));
      if (summary?.status === "ok" && summary.records !== c.records.length) {
        fail(
          c,
          `summary says ${summary.records} records, the server has ${c.records.length}`,
        );
      }
      const t1 = performance.now();
      await judge(query, c, lake, server, errors, cap);
      if (Deno.env.get("INLET_FUZZ_VERBOSE") === "1") {
        console.log(
          `  pull ${Math.round(t1 - t0)} ms, judge ${
            Math.round(performance.now() - t1)
          } ms`,
        );
      }
    });
  } finally {
    clearTimeout(hang);
  }
}

/** The CLI arguments of a child pull of `c`. */
function childArgs(c: FuzzCase, url: string, lake: string): string[] {
  return [
    "pull",
    "fuzz",
    "--no-sandbox",
    "--base-url",
    url,
    "--lake",
    lake,
    "--format",
    c.format,
    "--checkpoint-records",
    String(c.fileRecords),
    "--concurrency",
    String(c.concurrency),
  ];
}

const ENTRY = "tests/core/run/_fuzz_cli.ts";

/**
 * Pull `c` in a child, SIGKILL it when the server receives request number
 * `1 + f * pages` of that run (for each fraction `f` of `kills`), start it
 * again each time, then let a last run finish and judge the lake.
 */
export async function runWithKills(
  query: Query,
  c: FuzzCase,
  kills: readonly number[],
): Promise<void> {
  let child: Deno.ChildProcess | undefined;
  let killAt = Infinity;
  await using server = serverFor(c, (n) => {
    if (n >= killAt && child) {
      try {
        child.kill("SIGKILL");
      } catch {
        // It had already ended.
      }
      killAt = Infinity;
    }
  });
  const env = {
    INLET_FUZZ_STREAM: JSON.stringify({
      paging: c.paging,
      pageSize: c.pageSize,
    }),
  };
  await withTempDir("inlet-fuzz-kill-", async (lake) => {
    const args = childArgs(c, server.url, lake);
    const cap = requestCap(c, server) * (kills.length + 1);
    for (const f of kills) {
      killAt = server.requestCount + 1 + Math.floor(f * server.pages);
      const running = child = spawnCli(args, { entry: ENTRY, env });
      let hung = false;
      const guard = setTimeout(() => {
        hung = true;
        running.kill("SIGKILL");
      }, HANG_MS);
      const out = await running.output().finally(() => clearTimeout(guard));
      child = undefined;
      killAt = Infinity;
      if (hung) fail(c, `child pull: no end after ${HANG_MS} ms`);
      if (out.signal === "SIGKILL") {
        if (Deno.env.get("INLET_FUZZ_VERBOSE") === "1") {
          console.log(`  killed at request ${server.requestCount}`);
        }
        continue;
      }
      // It ended before its kill: a new run would be a new (appended) sweep.
      const stderr = new TextDecoder().decode(out.stderr).trim();
      const errors = out.code === 0 ? [] : [stderr || `exit ${out.code}`];
      return await judge(query, c, lake, server, errors, cap);
    }
    const last = await runCliChild(args, {
      entry: ENTRY,
      env,
      timeoutMs: HANG_MS,
    });
    const errors = last.code === 0
      ? []
      : [last.stderr.trim() || `exit ${last.code}`];
    await judge(query, c, lake, server, errors, cap);
  });
}
