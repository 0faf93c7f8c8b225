/**
 * The bench's result rows and their table.
 *
 * @module
 */

/** One measured run. */
export interface BenchRow {
  /** The mode (`offset 32@20ms`). */
  mode: string;
  /** The run (`auto`, `fixed 32`, `sequential`). */
  run: string;
  /** Records landed. */
  records: number;
  /** Wall time in seconds. */
  seconds: number;
  /** Items per second over the physical limit (or the rate limit). */
  ratio: number;
  /** What `ratio` is a share of, e.g. `80,000 items/s`. */
  of: string;
  /** The concurrency limit at the end (or a range). */
  limit: string;
  /** HTTP requests the server received. */
  requests: number;
  /** 429s the server sent. */
  throttled: number;
  /** Anything else worth a word. */
  note?: string;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * Rows as an aligned text table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchTable } from "./_bench_table.ts";
 * const text = benchTable([{
 *   mode: "offset", run: "auto", records: 100, seconds: 1, ratio: 0.5,
 *   of: "200 items/s", limit: "8", requests: 2, throttled: 0,
 * }]);
 * assert(text.includes("0.500"));
 * ```
 */
export function benchTable(rows: readonly BenchRow[]): string {
  const head = [
    "mode",
    "run",
    "records",
    "s",
    "items/s",
    "ratio",
    "of (physical limit)",
    "limit",
    "requests",
    "429s",
    "note",
  ];
  const cells = rows.map((r) => [
    r.mode,
    r.run,
    fmt(r.records),
    r.seconds.toFixed(1),
    fmt(r.seconds > 0 ? r.records / r.seconds : 0),
    r.ratio.toFixed(3),
    r.of,
    r.limit,
    fmt(r.requests),
    r.requests > 0
      ? `${fmt(r.throttled)} (${(100 * r.throttled / r.requests).toFixed(2)}%)`
      : fmt(r.throttled),
    r.note ?? "",
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...cells.map((c) => c[i]!.length))
  );
  const numeric = new Set([2, 3, 4, 5, 8, 9]);
  const line = (c: string[]) =>
    c.map((v, i) =>
      numeric.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)
    ).join("  ").trimEnd();
  return [line(head), line(head.map((_, i) => "-".repeat(widths[i]!)))]
    .concat(cells.map(line)).join("\n");
}
