/**
 * One pull in a process of its own, so the CPU it reports is the pull's
 * alone (the test API runs in another process):
 * `deno run --allow-all tests/_bench_cpu.ts <url> <records> <engine>` pulls
 * `records` records of offset mode from the test API at `url` and prints
 * `{"records":n,"seconds":s,"cpuSeconds":c}`, `c` the user + system time of
 * this process (every thread, the encoder's worker included) over the pull,
 * by `process.cpuUsage` (getrusage).
 *
 * Engines: `parquet` and `ndjson` pull with `pull()` into a temp lake
 * (`parquet-fetch` as `parquet`, with `INLET_HTTP=fetch`: the GETs through
 * Deno's `fetch` instead of inlet's own HTTP/1.1 connections);
 * `bare` is the floor inlet is compared with: a plain `fetch` loop (a few
 * pages in flight) that parses each page and writes its records as NDJSON
 * lines to a file, with no retries, limiter, paging state or lake.
 *
 * @module
 */

import process from "node:process";
import { pull } from "../core/run/pull.ts";
import { offsetConnector, PAGE } from "./_bench_connectors.ts";

/** What `_bench_cpu.ts` prints. */
export interface CpuRun {
  /** Records landed. */
  records: number;
  /** Wall time of the pull, s. */
  seconds: number;
  /** User + system CPU time of the process over the pull, s. */
  cpuSeconds: number;
}

/** The ways of pulling the bench compares. */
export const ENGINES = ["bare", "parquet", "ndjson", "parquet-fetch"] as const;
/** One of {@linkcode ENGINES}. */
export type Engine = typeof ENGINES[number];

/**
 * Pages of `/offset/items` fetched by `inFlight` loops, each page's records
 * written to `file` as NDJSON lines: what pulling costs at the least.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startApiServer } from "../core/testing/api_server.ts";
 * import { bareLoop } from "./_bench_cpu.ts";
 * await using server = await startApiServer({ records: 120 });
 * const file = await Deno.makeTempFile();
 * assert.equal(await bareLoop(server.url, 120, file), 120);
 * const lines = (await Deno.readTextFile(file)).trim().split("\n");
 * assert.equal(lines.length, 120);
 * await Deno.remove(file);
 * ```
 */
export async function bareLoop(
  url: string,
  records: number,
  file: string,
  inFlight = 8,
): Promise<number> {
  using out = await Deno.open(file, { write: true, create: true });
  const encoder = new TextEncoder();
  let next = 0, landed = 0;
  const loop = async () => {
    while (next < records) {
      const offset = next;
      next += PAGE;
      const limit = Math.min(PAGE, records - offset);
      const res = await fetch(
        `${url}/offset/items?limit=${limit}&offset=${offset}`,
      );
      if (!res.ok) throw new Error(`HTTP ${res.status} at offset ${offset}`);
      const page = await res.json() as { items: unknown[] };
      let text = "";
      for (const item of page.items) text += JSON.stringify(item) + "\n";
      landed += page.items.length;
      const bytes = encoder.encode(text);
      for (let n = 0; n < bytes.length;) {
        n += await out.write(bytes.subarray(n));
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return landed;
}

async function run(url: string, records: number, engine: Engine) {
  const dir = await Deno.makeTempDir({ prefix: "inlet-bench-cpu-" });
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let landed: number;
    if (engine === "bare") {
      landed = await bareLoop(url, records, `${dir}/items.ndjson`);
    } else {
      const summary = await pull(offsetConnector(url), {
        lake: dir,
        limit: records,
        format: engine === "ndjson" ? "ndjson" : "parquet",
      });
      if (summary.status !== "ok") throw new Error(summary.errors.join("\n"));
      landed = summary.records;
    }
    const cpu = process.cpuUsage(cpu0);
    const result: CpuRun = {
      records: landed,
      seconds: (performance.now() - t0) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
    console.log(JSON.stringify(result));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const [url, records, engine] = Deno.args;
  if (!url || !records || !ENGINES.includes(engine as Engine)) {
    console.error(
      `usage: _bench_cpu.ts <url> <records> <${ENGINES.join("|")}>`,
    );
    Deno.exit(2);
  }
  await run(url, Number(records), engine as Engine);
}
