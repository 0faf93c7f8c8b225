/**
 * One pull to Parquet in a process of its own, so its peak memory is its
 * own: `deno run --allow-all tests/_bench_memory.ts <url> <records>` pulls
 * `records` records of offset mode from the test API at `url` into a temp
 * lake and prints `{"records":n,"seconds":s,"peakKiB":k}` (the peak
 * resident set, VmHWM, from `/proc/self/status`).
 *
 * @module
 */

import { pull } from "../core/run/pull.ts";
import { offsetConnector } from "./_bench_connectors.ts";

/**
 * The process's peak resident set in KiB (`VmHWM`), or NaN where `/proc`
 * has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peakRssKiB } from "./_bench_memory.ts";
 * const kib = peakRssKiB();
 * assert(Number.isNaN(kib) || kib > 0);
 * ```
 */
export function peakRssKiB(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

async function main([url, records]: string[]): Promise<void> {
  if (!url || !records) {
    console.error("usage: _bench_memory.ts <url> <records>");
    Deno.exit(2);
  }
  const lake = await Deno.makeTempDir({ prefix: "inlet-bench-mem-" });
  try {
    const t0 = performance.now();
    const summary = await pull(offsetConnector(url), {
      lake,
      limit: Number(records),
    });
    if (summary.status !== "ok") throw new Error(summary.errors.join("\n"));
    console.log(JSON.stringify({
      records: summary.records,
      seconds: (performance.now() - t0) / 1000,
      peakKiB: peakRssKiB(),
    }));
  } finally {
    await Deno.remove(lake, { recursive: true });
  }
}

if (import.meta.main) await main(Deno.args);
