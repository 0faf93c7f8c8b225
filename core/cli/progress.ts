/**
 * Progress of a run: a live line per stream on a terminal, a plain log line
 * every few seconds otherwise, and a summary table at the end either way.
 *
 * On a terminal every line is cut to the terminal's width (read again at
 * each redraw, so a resize takes effect at the next tick): a line that
 * wrapped would throw off the redraw, which moves up one row per line.
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
  /** The terminal's width in columns, read at every redraw. @default {terminalColumns} */
  columns?: () => number;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

function stderrWriter(): (text: string) => void {
  const enc = new TextEncoder();
  return (text) => {
    Deno.stderr.writeSync(enc.encode(text));
  };
}

/**
 * The console's width in columns, or 80 when there is no console to ask
 * (output piped, or a sandbox without the `sys` permission).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { terminalColumns } from "./progress.ts";
 * assert(terminalColumns() > 0);
 * ```
 */
export function terminalColumns(): number {
  try {
    const { columns } = Deno.consoleSize();
    return columns > 0 ? columns : 80;
  } catch {
    return 80;
  }
}

/**
 * `text` cut to `columns - 1` characters, its end marked `…`. One column
 * stays free: a line filling the last column leaves some terminals in a
 * pending wrap that the next newline turns into an empty row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitLine } from "./progress.ts";
 * assert.equal(fitLine("abcdef", 80), "abcdef");
 * assert.equal(fitLine("abcdef", 5), "abc…");
 * ```
 */
export function fitLine(text: string, columns: number): string {
  const room = Math.max(1, columns - 1);
  const chars = [...text];
  if (chars.length <= room) return text;
  return chars.slice(0, room - 1).join("") + "…";
}

/**
 * Renders a {@linkcode RunMonitor}. Call `start()` once the run has begun and
 * `stop()` when it ends; `stop()` restores the terminal (cursor shown), and
 * so does the process exiting any other way while the lines are live.
 *
 * A stream's `in flight N, limit L` counts its requests sent and not yet
 * answered, against the requests per host the limiter allows now. When
 * adaptive concurrency lowers the limit, requests already sent still
 * finish: N can exceed L for a moment, and the line says `draining` (no new
 * request goes out until N is below L). Requests waiting to be retried are
 * not in flight; `retries` counts them.
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
 * stats.inFlight = 32;
 * p.attach({
 *   runId: "r",
 *   streams: new Map([["items", stats]]),
 *   limits: () => ({ "127.0.0.1:8787": 16 }),
 *   traces: () => ({}),
 * }, "demo");
 * const [line] = p.lines();
 * assert(line!.startsWith("demo/items  10 records"));
 * assert(line!.includes("in flight 32, limit 16 (draining)"));
 * ```
 */
export class Progress {
  #write: (text: string) => void;
  #terminal: boolean;
  #interval: number;
  #now: () => number;
  #columns: () => number;
  #run: RunMonitor | undefined;
  #connector = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Characters of each line of the frame on screen. */
  #drawn: number[] = [];
  #t0 = 0;
  #last = new Map<string, { at: number; records: number }>();
  #onUnload = () => this.#write(SHOW_CURSOR);

  /** Make a progress reporter. */
  constructor(options: ProgressOptions = {}) {
    this.#write = options.write ?? stderrWriter();
    this.#terminal = options.terminal ?? Deno.stderr.isTerminal();
    this.#interval = options.intervalMs ?? (this.#terminal ? 250 : 5000);
    this.#now = options.now ?? (() => performance.now());
    this.#columns = options.columns ?? terminalColumns;
  }

  /** Follow this run. */
  attach(run: RunMonitor, connector: string): void {
    this.#run = run;
    this.#connector = connector;
    this.#t0 = this.#now();
  }

  /** The current line of each stream, uncut. */
  lines(): string[] {
    const run = this.#run;
    if (!run) return [];
    const now = this.#now();
    const limits = Object.values(run.limits());
    const top = limits.length ? Math.max(...limits) : Infinity;
    const limit = limits.length
      ? `, limit${limits.length > 1 ? "s" : ""} ${limits.join("/")}`
      : "";
    return [...run.streams].map(([name, s]) => {
      const prev = this.#last.get(name) ?? { at: this.#t0, records: 0 };
      const dt = (now - prev.at) / 1000;
      const rate = dt > 0 ? (s.records - prev.records) / dt : 0;
      this.#last.set(name, { at: now, records: s.records });
      return [
        `${this.#connector}/${name}`,
        `${fmt(s.records)} records`,
        `${fmt(s.pages)} pages`,
        `${fmt(rate)} rec/s`,
        `in flight ${s.inFlight}${limit}${
          s.inFlight > top ? " (draining)" : ""
        }`,
        s.retries ? `retries ${s.retries}` : "",
        s.throttled ? `429s ${s.throttled}` : "",
      ].filter(Boolean).join("  ");
    });
  }

  // Up to the first row of the frame on screen. A terminal that reflows on
  // resize (tmux, most) wraps the lines drawn when it was wider: count the
  // rows they take at today's width.
  #up(columns: number): string {
    const rows = this.#drawn.reduce(
      (n, len) => n + Math.max(1, Math.ceil(len / columns)),
      0,
    );
    return rows ? `\x1b[${rows}F` : "";
  }

  // `above` (kept) and the frame, each row cleared to its end as it is
  // written, then what is left of the old frame below. Never "clear to end
  // of screen" from the top-left corner: tmux takes that for a clear
  // screen and pushes the old frame into its scrollback.
  #redraw(above: string[]): void {
    const columns = this.#columns();
    const up = this.#up(columns);
    const lines = this.lines().map((l) => fitLine(l, columns));
    this.#drawn = lines.map((l) => [...l].length);
    const rows = [...above, ...lines].map((l) => `${l}\x1b[K\n`).join("");
    this.#write(up + rows + (rows ? "\x1b[J" : ""));
  }

  #draw(): void {
    if (this.#terminal) this.#redraw([]);
    else for (const l of this.lines()) this.#write(`[inlet] ${l}\n`);
  }

  /**
   * Print `text` (ending in a newline) above the live lines, where the next
   * redraw leaves it: what a stop signal does, say.
   */
  note(text: string): void {
    if (!this.#terminal) return this.#write(text);
    // Not live: off the row where the terminal echoed `^C`.
    if (this.#timer === undefined) return this.#write(`\n${text}`);
    this.#redraw(text.replace(/\n$/, "").split("\n"));
  }

  /** Begin periodic updates. */
  start(): void {
    if (this.#timer !== undefined) return;
    if (this.#terminal) {
      this.#write(HIDE_CURSOR);
      // Deno.exit (a second Ctrl-C, a dead parent) dispatches unload.
      globalThis.addEventListener("unload", this.#onUnload);
    }
    this.#timer = setInterval(() => this.#draw(), this.#interval);
  }

  /** End updates and restore the terminal. Safe to call twice. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#terminal) {
      this.#draw();
      this.#write(SHOW_CURSOR);
      globalThis.removeEventListener("unload", this.#onUnload);
    }
  }
}

const HEAD = [
  "stream",
  "records",
  "pages",
  "retries",
  "429s",
  "MB in",
  "files",
  "s",
  "rec/s",
  "peak",
];

/**
 * A run's summary as a table, one row per stream, at most `columns` wide
 * (80 unless told): a stream name that does not fit is cut, its end marked
 * `…`. `peak` is the most requests in flight at once; requests, retries
 * included, are in the run's JSON summary.
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
 * assert(text.split("\n").every((l) => l.length <= 80));
 * // A limit that pushback moved gets a line of its own.
 * const range = { "api:443": { min: 17, max: 64, final: 32 } };
 * assert(summaryTable({ ...summary, limitRange: range }).includes("limit api:443: 17..64, final 32"));
 * ```
 */
export function summaryTable(summary: RunSummary, columns = 80): string {
  const rows = summary.streams.map((s) => [
    // "!": the stream has warnings, printed under the table.
    s.warnings?.length ? `${s.stream} !` : s.stream,
    fmt(s.records),
    fmt(s.pages),
    fmt(s.retries),
    fmt(s.throttled),
    (s.bytes / 1e6).toFixed(1),
    fmt(s.files),
    (s.durationMs / 1000).toFixed(1),
    fmt(s.durationMs > 0 ? s.records / (s.durationMs / 1000) : 0),
    fmt(s.maxInFlight),
  ]);
  const widths = HEAD.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => [...r[i]!].length))
  );
  const rest = widths.slice(1).reduce((n, w) => n + w + 2, 0);
  widths[0] = Math.max(HEAD[0]!.length, Math.min(widths[0]!, columns - rest));
  const cell = (c: string, i: number) => {
    const w = widths[i]!;
    if (i > 0) return c.padStart(w);
    return ([...c].length > w ? fitLine(c, w + 1) : c).padEnd(w);
  };
  const line = (r: string[]) => r.map(cell).join("  ").trimEnd();
  // How far pushback took each host's concurrency, when it moved at all.
  const limits = Object.entries(summary.limitRange ?? {}).flatMap((
    [host, r],
  ) =>
    r.min === r.max ? [] : [
      fitLine(`limit ${host}: ${r.min}..${r.max}, final ${r.final}`, columns),
    ]
  );
  return [line(HEAD), ...rows.map(line), ...limits].join("\n");
}
