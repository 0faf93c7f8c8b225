/**
 * The bench's `cpu` mode: CPU seconds per 100,000 records of inlet (Parquet
 * and NDJSON) beside a bare fetch loop's, each pull in a process of its own
 * (`_bench_cpu.ts`) against one zero-latency test API in another.
 *
 * @module
 */

import { type CpuRun, type Engine, ENGINES } from "./_bench_cpu.ts";
import { startServerProcess } from "./_bench_server.ts";
import { pullV8FlagsArg } from "../core/cli/pull_v8_flags.ts";
import type { BenchRow } from "./_bench_table.ts";

const CHILD = new URL("./_bench_cpu.ts", import.meta.url).pathname;

/** The figure of a target: how many times the bare loop's CPU at most. */
const TARGETS: Record<Engine, number | undefined> = {
  bare: undefined,
  parquet: 1.5,
  ndjson: 1.2,
  "parquet-fetch": undefined,
};

/**
 * Median and range of `values`, and the text `m (lo–hi)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spread } from "./_bench_cpu_mode.ts";
 * assert.deepEqual(spread([0.5, 0.3, 0.4]), { median: 0.4, min: 0.3, max: 0.5, text: "0.40 (0.30–0.50)" });
 * ```
 */
export function spread(values: number[]): {
  median: number;
  min: number;
  max: number;
  text: string;
} {
  const sorted = values.toSorted((a, b) => a - b);
  const median = sorted[sorted.length >> 1] ?? NaN;
  const min = sorted[0] ?? NaN, max = sorted.at(-1) ?? NaN;
  const f = (n: number) => n.toFixed(2);
  return { median, min, max, text: `${f(median)} (${f(min)}–${f(max)})` };
}

async function pullOnce(
  url: string,
  records: number,
  engine: Engine,
): Promise<CpuRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    // inlet with the V8 flags of `deno task pull`; the bare loop as a plain
    // script runs, with V8's defaults.
    args: [
      "run",
      "--allow-all",
      ...(engine === "bare" ? [] : [pullV8FlagsArg()]),
      CHILD,
      url,
      String(records),
      engine,
    ],
    env: { INLET_HTTP: engine === "parquet-fetch" ? "fetch" : "" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`cpu pull (${engine}) failed`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const run: CpuRun = JSON.parse(lines.at(-1)!);
  if (run.records !== records) {
    throw new Error(`cpu pull (${engine}) landed ${run.records} of ${records}`);
  }
  return run;
}

/**
 * `runs` rounds, each pulling `records` records once per engine (the
 * engines interleaved, so a busy spell of the machine falls on all of them),
 * then one row per engine: its median CPU-s per 100,000 records over the
 * bare loop's median.
 */
export async function cpuMode(
  sizes: { records: number; runs: number },
  record: (row: BenchRow) => void,
): Promise<void> {
  await using server = await startServerProcess([
    "--records",
    String(sizes.records),
  ]);
  const runs = new Map<Engine, CpuRun[]>(ENGINES.map((e) => [e, []]));
  for (let i = 0; i < sizes.runs; i++) {
    for (const engine of ENGINES) {
      runs.get(engine)!.push(await pullOnce(server.url, sizes.records, engine));
    }
  }
  const per100k = (r: CpuRun) => r.cpuSeconds / r.records * 100_000;
  const bare = spread(runs.get("bare")!.map(per100k)).median;
  for (const engine of ENGINES) {
    const done = runs.get(engine)!;
    const cpu = spread(done.map(per100k));
    const wall = spread(done.map((r) => r.seconds));
    const target = TARGETS[engine];
    record({
      mode: "cpu 0 ms source, pages of 50",
      run: engine === "bare" ? "bare fetch loop" : `inlet ${engine}`,
      records: sizes.records,
      seconds: wall.median,
      ratio: cpu.median / bare,
      of: "the bare loop's CPU-s",
      limit: engine === "bare" ? "8" : "auto",
      requests: Math.ceil(sizes.records / 50),
      throttled: 0,
      note: `CPU-s per 100k records ${cpu.text}, ${done.length} runs${
        target === undefined ? "" : `; target <= ${target}`
      }`,
    });
  }
}
