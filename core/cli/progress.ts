/**
 * Progress of a run: a live line per stream on a terminal, a plain log line
 * every few seconds otherwise, and a summary table at the end either way.
 *
 * @module
 */

import type { RunMonitor, RunSummary } from "../run/pull.ts";

/** Options of {@linkcode Progress}. */
export interface ProgressOptions {
  /** Where text goes. @default {stderr} */
  write?: (text: string) => void;
  /** Redraw lines in place (a terminal) or append log lines. @default {Deno.stderr.isTerminal()} */
  terminal?: boolean;
  /** Milliseconds between updates. @default {250 on a terminal, 5000 otherwise} */
  intervalMs?: number;
  /** Clock in milliseconds. @default {performance.now} */
  now?: () => number;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function stderrWriter(): (text: string) => void {
  const enc = new TextEncoder();
  return (text) => {
    Deno.stderr.writeSync(enc.encode(text));
  };
}

/**
 * Renders a {@linkcode RunMonitor}. Call `start()` once the run has begun and
 * `stop()` when it ends; `stop()` restores the terminal (cursor shown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Progress } from "./progress.ts";
 * import { newStreamStats } from "../paging/paginate.ts";
 * let out = "";
 * const p = new Progress({ write: (t) => out += t, terminal: false, now: () => 5000 });
 * const stats = newStreamStats();
 * stats.records = 10;
 * p.attach({
 *   runId: "r",
 *   streams: new Map([["items", stats]]),
 *   limits: () => ({ "127.0.0.1:8787": 32 }),
 *   traces: () => ({}),
 * }, "demo");
 * assert(p.lines()[0]!.includes("demo/items"));
 * ```
 */
export class Progress {
  #write: (text: string) => void;
  #terminal: boolean;
  #interval: number;
  #now: () => number;
  #run: RunMonitor | undefined;
  #connector = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  #drawn = 0;
  #t0 = 0;
  #last = new Map<string, { at: number; records: number }>();

  /** Make a progress reporter. */
  constructor(options: ProgressOptions = {}) {
    this.#write = options.write ?? stderrWriter();
    this.#terminal = options.terminal ?? Deno.stderr.isTerminal();
    this.#interval = options.intervalMs ?? (this.#terminal ? 250 : 5000);
    this.#now = options.now ?? (() => performance.now());
  }

  /** Follow this run. */
  attach(run: RunMonitor, connector: string): void {
    this.#run = run;
    this.#connector = connector;
    this.#t0 = this.#now();
  }

  /** The current line of each stream. */
  lines(): string[] {
    const run = this.#run;
    if (!run) return [];
    const now = this.#now();
    const limits = Object.values(run.limits());
    const limit = limits.length ? ` limit ${limits.join("/")}` : "";
    return [...run.streams].map(([name, s]) => {
      const prev = this.#last.get(name) ?? { at: this.#t0, records: 0 };
      const dt = (now - prev.at) / 1000;
      const rate = dt > 0 ? (s.records - prev.records) / dt : 0;
      this.#last.set(name, { at: now, records: s.records });
      return `${this.#connector}/${name}  ${fmt(s.records)} records  ${
        fmt(s.pages)
      } pages  ${
        fmt(rate)
      } rec/s  in flight ${s.inFlight}${limit}  retries ${s.retries}${
        s.throttled ? `  429s ${s.throttled}` : ""
      }`;
    });
  }

  #draw(): void {
    const lines = this.lines();
    if (this.#terminal) {
      // Move up over the previous frame and redraw it in place.
      const up = this.#drawn ? `\x1b[${this.#drawn}F` : "";
      this.#write(up + lines.map((l) => `\x1b[2K${l}`).join("\n") + "\n");
      this.#drawn = lines.length;
    } else {
      for (const l of lines) this.#write(`[inlet] ${l}\n`);
    }
  }

  /** Begin periodic updates. */
  start(): void {
    if (this.#terminal) this.#write("\x1b[?25l");
    this.#timer = setInterval(() => this.#draw(), this.#interval);
  }

  /** End updates and restore the terminal. Safe to call twice. */
  stop(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      if (this.#terminal) {
        this.#draw();
        this.#write("\x1b[?25h");
      }
    }
  }
}

/**
 * A run's summary as a table, one row per stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summaryTable } from "./progress.ts";
 * import type { RunSummary } from "../run/run_summary.ts";
 * const summary: RunSummary = {
 *   runId: "r", connector: "demo", status: "ok", startedAt: "", durationMs: 2000,
 *   records: 100, pages: 2, requests: 2, retries: 0, bytes: 10, limits: {}, limitTrace: {},
 *   errors: [], warnings: [],
 *   streams: [{ stream: "items", records: 100, pages: 2, requests: 2, retries: 0, throttled: 0,
 *     bytes: 10, bytesWritten: 5, files: 1, durationMs: 2000, maxInFlight: 4, complete: true }],
 * };
 * const text = summaryTable(summary);
 * assert(text.includes("items") && text.includes("50"));
 * // A limit that pushback moved gets a line of its own.
 * const range = { "api:443": { min: 17, max: 64, final: 32 } };
 * assert(summaryTable({ ...summary, limitRange: range }).includes("limit api:443: 17..64, final 32"));
 * ```
 */
export function summaryTable(summary: RunSummary): string {
  const head = [
    "stream",
    "records",
    "pages",
    "requests",
    "retries",
    "429s",
    "MB in",
    "files",
    "s",
    "rec/s",
    "peak in flight",
  ];
  const rows = summary.streams.map((s) => [
    s.stream,
    fmt(s.records),
    fmt(s.pages),
    fmt(s.requests),
    fmt(s.retries),
    fmt(s.throttled),
    (s.bytes / 1e6).toFixed(1),
    fmt(s.files),
    (s.durationMs / 1000).toFixed(1),
    fmt(s.durationMs > 0 ? s.records / (s.durationMs / 1000) : 0),
    fmt(s.maxInFlight),
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i]!.length))
  );
  const line = (r: string[]) =>
    r.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))
      .join("  ");
  // How far pushback took each host's concurrency, when it moved at all.
  const limits = Object.entries(summary.limitRange ?? {}).flatMap((
    [host, r],
  ) =>
    r.min === r.max
      ? []
      : [`limit ${host}: ${r.min}..${r.max}, final ${r.final}`]
  );
  return [line(head), ...rows.map(line), ...limits].join("\n");
}
