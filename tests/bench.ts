/**
 * `deno task bench`: how close inlet gets to a source's physical limit.
 *
 * The test API runs in a child process (`core/testing/api_server.ts`) with a
 * service time and a capacity (requests served at once) the client is not
 * told; the pull runs here through `pull()` into a temp lake (Parquet).
 * Every figure is a ratio: items/s over the physical limit, capacity ÷
 * service time × page size (or achieved requests/s over a rate limit). A
 * bench, not a test: nothing here passes or fails.
 *
 *   deno task bench              every mode (about 10 minutes on 2 cores)
 *   deno task bench --quick      short runs, a smoke test
 *   deno task bench --mode id    one mode (repeatable)
 *
 * Modes: id, offset, id-64, offset-64, overload, overload-0, shed, shed-64,
 * 5xx, storm, rate, cursor, halving, halving-429, memory, cpu.
 *
 * Mode `cpu` is the one figure that is not a share of a limit: CPU seconds
 * per 100,000 records of the pulling process alone, over a bare fetch loop's.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Connector } from "../core/connector/connector.ts";
import {
  pull,
  type RunEvent,
  type RunMonitor,
  type RunSummary,
} from "../core/run/pull.ts";
import hackernews from "../connectors/hackernews.ts";
import { cursorConnector, offsetConnector, PAGE } from "./_bench_connectors.ts";
import {
  closeAllServers,
  type ServerProcess,
  startServerProcess,
} from "./_bench_server.ts";
import { type BenchRow, benchTable } from "./_bench_table.ts";
import { cpuMode } from "./_bench_cpu_mode.ts";
import { pullV8FlagsArg } from "../core/cli/pull_v8_flags.ts";
import { fetchLoops, socketLoops } from "./_bench_plain_clients.ts";

/** Sizes of one bench: full, or `--quick`. */
interface Sizes {
  /** Hacker News ids in id mode. */
  ids: number;
  /** Records in offset, overload, cursor and halving modes. */
  records: number;
  /** Length of the sequential (single chain) runs, ms. */
  sequentialMs: number;
  /** Rate-limited mode: requests per second allowed, and records pulled. */
  rate: { perSecond: number; records: number };
  /** Memory mode: the large and the small pull. */
  memory: { large: number; small: number };
  /** 5xx mode: records (each 503 costs a retry from a run-wide budget). */
  faulty: number;
  /** Storm mode: the run's length, and when a storm starts and how long it lasts, ms. */
  storm: { runMs: number; atMs: number; forMs: number };
  /** CPU mode: records per pull, and pulls per engine. */
  cpu: { records: number; runs: number };
}

const FULL: Sizes = {
  ids: 20_000,
  records: 1_000_000,
  sequentialMs: 5_000,
  rate: { perSecond: 500, records: 300_000 },
  memory: { large: 10_000_000, small: 1_000_000 },
  faulty: 400_000,
  storm: { runMs: 60_000, atMs: 20_000, forMs: 10_000 },
  cpu: { records: 1_000_000, runs: 3 },
};

const QUICK: Sizes = {
  ids: 4_000,
  records: 150_000,
  sequentialMs: 2_000,
  rate: { perSecond: 500, records: 60_000 },
  memory: { large: 200_000, small: 20_000 },
  faulty: 150_000,
  storm: { runMs: 20_000, atMs: 6_000, forMs: 4_000 },
  cpu: { records: 100_000, runs: 3 },
};

/** A source: its service time and how many requests it serves at once. */
interface Source {
  latencyMs: number;
  capacity: number;
}

const rows: BenchRow[] = [];
const traces: string[] = [];

function record(row: BenchRow): void {
  rows.push(row);
  console.log(benchTable([row]).split("\n").at(-1));
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Items per second the source can serve at most. */
const physical = (s: Source, pageSize: number) =>
  s.capacity / (s.latencyMs / 1000) * pageSize;

interface Measured {
  summary: RunSummary;
  seconds: number;
  /** Time the host was paused by `Retry-After`, ms (overlapping pauses once). */
  pausedMs: number;
  /** Pauses (throttles that started one). */
  pauses: number;
  /** The limit every `sampleMs`, with the records landed by then. */
  samples: Array<{ atMs: number; limit: number; records: number }>;
}

/** One pull into a fresh temp lake, with the limit sampled as it runs. */
async function measure(
  connector: Connector,
  options: {
    concurrency: number | "auto";
    baseUrl?: string;
    limit?: number;
    stopAfterMs?: number;
    /** Return a failed run's figures instead of throwing. */
    failOk?: boolean;
    sampleMs?: number;
    onSample?: (s: { atMs: number; limit: number; records: number }) => void;
  },
): Promise<Measured> {
  const lake = await Deno.makeTempDir({ prefix: "inlet-bench-" });
  const stop = new AbortController();
  const samples: Measured["samples"] = [];
  let monitor: RunMonitor | undefined;
  const t0 = performance.now();
  const sample = () => {
    if (!monitor) return;
    const limits = Object.values(monitor.limits());
    const records = [...monitor.streams.values()].reduce(
      (n, s) => n + s.records,
      0,
    );
    const s = {
      atMs: performance.now() - t0,
      limit: limits.length ? Math.max(...limits) : 0,
      records,
    };
    samples.push(s);
    options.onSample?.(s);
  };
  const sampler = setInterval(sample, options.sampleMs ?? 500);
  // Union of the pause windows the source asked for, by the clock of the
  // HTTP client (Date.now), from each throttle to its Retry-After end. A
  // wait under a second (retry-after-ms) delays only its request, no pause.
  let pausedMs = 0, pauses = 0, pausedUntil = -Infinity;
  const onEvent = (e: RunEvent) => {
    if (e.type !== "throttle") return;
    const at = Date.now();
    if (e.untilMs <= pausedUntil || e.untilMs - at < 500) return;
    if (at >= pausedUntil) {
      if (e.untilMs > at) pauses++;
      pausedMs += Math.max(0, e.untilMs - at);
    } else pausedMs += e.untilMs - pausedUntil;
    pausedUntil = e.untilMs;
  };
  const stopper = options.stopAfterMs === undefined
    ? undefined
    : setTimeout(() => stop.abort(), options.stopAfterMs);
  try {
    const summary = await pull(connector, {
      lake,
      concurrency: options.concurrency,
      stop: stop.signal,
      monitor: (m) => monitor = m,
      onEvent,
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    sample();
    if (summary.status === "failed" && !options.failOk) {
      throw new Error(`${connector.name}: ${summary.errors.join("\n")}`);
    }
    return { summary, seconds, samples, pausedMs, pauses };
  } finally {
    clearInterval(sampler);
    clearTimeout(stopper);
    await Deno.remove(lake, { recursive: true });
  }
}

/** The limit over a run: its final value and the range it moved in. */
function limitText(m: Measured, concurrency: number | "auto"): string {
  if (concurrency !== "auto") return String(concurrency);
  const values = m.samples.map((s) => s.limit).filter((l) => l > 0);
  const last = Object.values(m.summary.limits)[0] ?? 0;
  if (values.length === 0) return String(last);
  const sorted = values.toSorted((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  return `${last} (median ${median})`;
}

/**
 * The slowest half second of a run (its first and last excluded: start-up
 * and the final commit), as a share of `perSecond`: where a run lost time.
 */
function dipText(m: Measured, perSecond: number): string {
  let worst: { ratio: number; atMs: number } | undefined;
  for (let i = 2; i < m.samples.length - 1; i++) {
    const a = m.samples[i - 1]!, b = m.samples[i]!;
    const ratio = (b.records - a.records) / ((b.atMs - a.atMs) / 1000) /
      perSecond;
    if (!worst || ratio < worst.ratio) worst = { ratio, atMs: b.atMs };
  }
  return worst
    ? `slowest 0.5 s ${worst.ratio.toFixed(2)} at ${
      (worst.atMs / 1000).toFixed(1)
    } s`
    : "";
}

/**
 * The host's pauses, when the source asked for any, and the ratio over the
 * time outside them: what a pause cost, beside what the rest ran at.
 */
function pausedText(m: Measured, perSecond: number): string {
  if (m.pauses === 0) return "";
  const outside = m.seconds - m.pausedMs / 1000;
  return `paused ${(m.pausedMs / 1000).toFixed(2)} s (${m.pauses} pause${
    m.pauses === 1 ? "" : "s"
  }), ${(m.summary.records / outside / perSecond).toFixed(3)} outside pauses; `;
}

/** Requests and 429s the server saw since `before`. */
async function serverDelta(
  server: ServerProcess,
  before: { requests: number; throttled: number },
): Promise<{ requests: number; throttled: number }> {
  const s = await server.stats();
  return {
    requests: s.requests - before.requests,
    throttled: s.throttled - before.throttled,
  };
}

/** A row of items/s as a share of the physical limit `phys`. */
function itemsRow(
  m: Measured,
  phys: number,
  row: {
    mode: string;
    run: string;
    concurrency: number | "auto";
    server: { requests: number; throttled: number };
    note: string;
  },
): BenchRow {
  return {
    mode: row.mode,
    run: row.run,
    records: m.summary.records,
    seconds: m.seconds,
    ratio: m.summary.records / m.seconds / phys,
    of: `${fmt(phys)} items/s`,
    limit: limitText(m, row.concurrency),
    requests: row.server.requests,
    throttled: row.server.throttled,
    note: row.note,
  };
}

/** auto, fixed 32 and a short sequential run of one connector against one source. */
async function threeRuns(
  mode: string,
  source: Source,
  server: ServerProcess,
  connector: Connector,
  pageSize: number,
  sizes: Sizes,
  extra: { baseUrl?: string; limit?: number } = {},
): Promise<void> {
  const phys = physical(source, pageSize);
  const runs: Array<[string, number | "auto", number | undefined]> = [
    ["auto", "auto", undefined],
    ["fixed 32", 32, undefined],
    ["sequential", 1, sizes.sequentialMs],
  ];
  for (const [run, concurrency, stopAfterMs] of runs) {
    const before = await server.stats();
    const m = await measure(connector, {
      concurrency,
      ...extra,
      ...(stopAfterMs !== undefined ? { stopAfterMs } : {}),
    });
    record(itemsRow(m, phys, {
      mode,
      run,
      concurrency,
      server: await serverDelta(server, before),
      note: stopAfterMs !== undefined
        ? `stopped after ${stopAfterMs / 1000} s`
        : dipText(m, phys),
    }));
  }
}

function serverArgs(
  source: Source,
  records: number,
  more: string[] = [],
): string[] {
  return [
    "--records",
    String(records),
    "--latency",
    String(source.latencyMs),
    "--capacity",
    String(source.capacity),
    ...more,
  ];
}

async function idMode(name: string, source: Source, sizes: Sizes) {
  await using server = await startServerProcess(serverArgs(source, sizes.ids));
  await threeRuns(
    `${name} ${source.capacity}@${source.latencyMs}ms`,
    source,
    server,
    hackernews,
    1,
    sizes,
    { baseUrl: `${server.url}/v0`, limit: sizes.ids },
  );
}

async function offsetMode(name: string, source: Source, sizes: Sizes) {
  await using server = await startServerProcess(
    serverArgs(source, sizes.records),
  );
  await threeRuns(
    `${name} ${source.capacity}@${source.latencyMs}ms`,
    source,
    server,
    offsetConnector(server.url),
    PAGE,
    sizes,
  );
}

/**
 * Past its capacity the source answers 429 at once, with `Retry-After`
 * seconds: 1 (the server's default, the shortest wait HTTP can ask for) or
 * 0 (come back now, as a source that sheds load by the millisecond means).
 */
async function overloadMode(sizes: Sizes, retryAfter: number) {
  const source = { latencyMs: 20, capacity: 32 };
  await using server = await startServerProcess(
    serverArgs(source, sizes.records, [
      "--overflow",
      "429",
      "--retry-after",
      String(retryAfter),
    ]),
  );
  const phys = physical(source, PAGE);
  const m = await measure(offsetConnector(server.url), {
    concurrency: "auto",
  });
  record(itemsRow(m, phys, {
    mode: `overload 32@20ms (429, Retry-After: ${retryAfter})`,
    run: "auto",
    concurrency: "auto",
    server: await server.stats(),
    note: `retries ${m.summary.retries}; ${pausedText(m, phys)}${
      dipText(m, phys)
    }`,
  }));
}

/** The limit's range over a run, from the summary: `min..max, final f`. */
function rangeText(m: Measured): string {
  const r = Object.values(m.summary.limitRange ?? {})[0];
  return r ? `${r.min}..${r.max}, final ${r.final}` : "?";
}

const pct = (part: number, whole: number) =>
  `${(whole > 0 ? part / whole * 100 : 0).toFixed(2)} %`;

/**
 * A source that sheds past its capacity with 429, `Retry-After: 1` and
 * `retry-after-ms: 20` (the form several large APIs use): auto, or a
 * concurrency pinned at twice the capacity, which must still land every record.
 */
async function shedMode(sizes: Sizes, concurrency: number | "auto") {
  const source = { latencyMs: 20, capacity: 32 };
  await using server = await startServerProcess(
    serverArgs(source, sizes.records, [
      "--overflow",
      "429",
      "--retry-after",
      "1",
      "--retry-after-ms",
      "20",
    ]),
  );
  const phys = physical(source, PAGE);
  const m = await measure(offsetConnector(server.url), { concurrency });
  const stats = await server.stats();
  const complete = m.summary.records === sizes.records;
  const target = concurrency === "auto"
    ? "target >= 0.90, 429s < 2 %"
    : "target >= 0.85, every record";
  record({
    ...itemsRow(m, phys, {
      mode: "shed 32@20ms (429, Retry-After: 1, retry-after-ms: 20)",
      run: concurrency === "auto" ? "auto" : `--concurrency ${concurrency}`,
      concurrency: "auto",
      server: stats,
      note: `429s ${pct(stats.throttled, stats.requests)} of requests; ${
        complete ? "every record" : `ONLY ${fmt(m.summary.records)} records`
      }; limit ${rangeText(m)}; ${pausedText(m, phys)}${
        dipText(m, phys)
      }; ${target}`,
    }),
  });
  if (concurrency === "auto") await plainShedRows(server, phys, sizes);
  traces.push(
    `shed (${concurrency}): the limit every 0.5 s: ` +
      m.samples.map((x) => `${(x.atMs / 1000).toFixed(1)}s:${x.limit}`)
        .join(" "),
  );
}

/**
 * What plain clients that know the capacity (32 loops, no limiter) reach on
 * the same shedding source: over `fetch`, as inlet, and over sockets with
 * HTTP/1.1 by hand, to tell the transport's share of the gap to 1 from
 * inlet's.
 */
async function plainShedRows(
  server: ServerProcess,
  phys: number,
  sizes: Sizes,
) {
  const clients = [
    ["plain fetch, 32 loops", fetchLoops],
    ["plain sockets, 32 loops", socketLoops],
  ] as const;
  for (const [run, loops] of clients) {
    const before = await server.stats();
    const r = await loops(server.url, sizes.records, 32);
    const after = await server.stats();
    const requests = after.requests - before.requests;
    const throttled = after.throttled - before.throttled;
    record({
      mode: "shed 32@20ms (429, Retry-After: 1, retry-after-ms: 20)",
      run,
      records: r.records,
      seconds: r.seconds,
      ratio: r.records / r.seconds / phys,
      of: `${fmt(phys)} items/s`,
      limit: "32",
      requests,
      throttled,
      note: `429s ${pct(throttled, requests)} of requests; the capacity, ` +
        `known in advance; parses pages, lands nothing`,
    });
  }
}

/**
 * A queueing source whose answers are 10 % random 503s (no `Retry-After`),
 * beside the same source without them: the faulty run's items/s over the
 * clean run's.
 */
async function faultMode(sizes: Sizes) {
  const source = { latencyMs: 20, capacity: 32 };
  const runs: Measured[] = [];
  for (const faults of [[], ["--error-share", "0.1"]]) {
    await using server = await startServerProcess(
      serverArgs(source, sizes.faulty, faults),
    );
    runs.push(
      await measure(offsetConnector(server.url), { concurrency: "auto" }),
    );
    const [clean, faulty] = runs;
    if (!faulty) continue;
    const stats = await server.stats();
    const rate = (x: Measured) => x.summary.records / x.seconds;
    record({
      mode: "5xx 32@20ms (10 % random 503, queue)",
      run: "auto",
      records: faulty.summary.records,
      seconds: faulty.seconds,
      ratio: rate(faulty) / rate(clean!),
      of: `${fmt(rate(clean!))} items/s clean`,
      limit: limitText(faulty, "auto"),
      requests: stats.requests,
      throttled: stats.throttled,
      note: `503s ${pct(stats.byStatus[503] ?? 0, stats.requests)}; clean run ${
        (rate(clean!) / physical(source, PAGE)).toFixed(3)
      } of physical, limit ${limitText(clean!, "auto")}; target >= 0.80`,
    });
  }
}

/**
 * A queueing source answers every request 429 (`Retry-After: 1`) for a
 * while: how long after the storm the limit is back within 10 % of its
 * level before it (the median of the 5 s before), and the run's items/s
 * outside the storm over the physical limit.
 */
async function stormMode(sizes: Sizes) {
  const source = { latencyMs: 20, capacity: 32 };
  const { runMs, atMs, forMs } = sizes.storm;
  await using server = await startServerProcess(
    serverArgs(source, 100_000_000, ["--retry-after", "1"]),
  );
  let startedAt: number | undefined;
  const m = await measure(offsetConnector(server.url), {
    concurrency: "auto",
    stopAfterMs: runMs,
    failOk: true,
    sampleMs: 100,
    onSample: (x) => {
      if (startedAt === undefined && x.atMs >= atMs) {
        startedAt = x.atMs;
        server.command(`storm ${forMs}`).catch(() => {});
      }
    },
  });
  const from = startedAt ?? atMs;
  const end = from + forMs;
  const before = median(
    m.samples.filter((x) => x.atMs >= from - 5_000 && x.atMs < from).map((x) =>
      x.limit
    ),
  );
  const back = m.samples.find((x) => x.atMs >= end && x.limit >= 0.9 * before);
  const low = Math.min(
    ...m.samples.filter((x) => x.atMs >= from && x.atMs < end).map((x) =>
      x.limit
    ),
  );
  const stats = await server.stats();
  const outside = m.seconds - forMs / 1000;
  const phys = physical(source, PAGE);
  record({
    mode: `storm ${source.capacity}@${source.latencyMs}ms (${
      forMs / 1000
    } s of 429s in ${runMs / 1000} s)`,
    run: "auto",
    records: m.summary.records,
    seconds: m.seconds,
    ratio: m.summary.records / outside / phys,
    of: `${fmt(phys)} items/s, outside the storm`,
    limit: `${before} -> ${low} -> ${m.samples.at(-1)?.limit ?? "?"}`,
    requests: stats.requests,
    throttled: stats.throttled,
    note: `back within 10 % of ${before} ${
      back ? `${((back.atMs - end) / 1000).toFixed(1)} s` : "NEVER"
    } after the storm (target <= 3 s)${
      m.summary.status === "failed"
        ? `; the pull FAILED at ${m.seconds.toFixed(1)} s: ${
          m.summary.errors[0]?.slice(0, 120)
        }`
        : ""
    }`,
  });
  traces.push(
    `storm: the limit every 0.5 s, 429s from ${(from / 1000).toFixed(1)} s to ${
      (end / 1000).toFixed(1)
    } s:\n` +
      m.samples.filter((_, i) => i % 5 === 0).map((x) =>
        `${(x.atMs / 1000).toFixed(1)}s:${x.limit}`
      ).join(" "),
  );
}

async function rateMode(sizes: Sizes) {
  const { perSecond, records } = sizes.rate;
  const source = { latencyMs: 20, capacity: 32 };
  await using server = await startServerProcess(
    serverArgs(source, records, ["--rate-limit", `${perSecond}/1`]),
  );
  const m = await measure(offsetConnector(server.url), {
    concurrency: "auto",
  });
  const s = await server.stats();
  const achieved = s.requests / m.seconds;
  record({
    mode: `rate-limited ${perSecond} req/s (X-RateLimit)`,
    run: "auto",
    records: m.summary.records,
    seconds: m.seconds,
    ratio: achieved / perSecond,
    of: `${fmt(perSecond)} req/s`,
    limit: limitText(m, "auto"),
    requests: s.requests,
    throttled: s.throttled,
    note: `${achieved.toFixed(0)} req/s achieved`,
  });
}

async function cursorMode(sizes: Sizes) {
  const source = { latencyMs: 20, capacity: 32 };
  await using server = await startServerProcess(
    serverArgs(source, sizes.records),
  );
  const phys = physical(source, PAGE);
  const mode = `cursor + range ${source.capacity}@${source.latencyMs}ms`;
  for (const partitioned of [true, false]) {
    const before = await server.stats();
    const m = await measure(
      cursorConnector(server.url, sizes.records, partitioned),
      {
        concurrency: "auto",
        ...(partitioned ? {} : { stopAfterMs: sizes.sequentialMs }),
      },
    );
    record(itemsRow(m, phys, {
      mode,
      run: partitioned ? "auto, partitions" : "single chain",
      concurrency: "auto",
      server: await serverDelta(server, before),
      note: partitioned
        ? dipText(m, phys)
        : `stopped after ${sizes.sequentialMs / 1000} s`,
    }));
  }
}

const median = (values: number[]) =>
  values.length === 0
    ? NaN
    : values.toSorted((a, b) => a - b)[values.length >> 1]!;

/**
 * The capacity halves once half the records landed. The limit's level is
 * its median over the second half of each phase. It has followed once the
 * trace first comes within a quarter of the level before scaled to the new
 * capacity (half of it): the limit keeps its ratio to the capacity. The
 * level after is printed too, since the limit may drift later for reasons
 * of its own (it re-measures its latency floor now and then).
 */
async function halvingMode(sizes: Sizes, overflow: "queue" | "429") {
  const source = { latencyMs: 20, capacity: 32 };
  const shed = overflow === "429";
  await using server = await startServerProcess(
    serverArgs(
      source,
      sizes.records,
      shed ? ["--overflow", "429", "--retry-after", "0"] : [],
    ),
  );
  const half = source.capacity / 2;
  let halvedAt: number | undefined;
  let halvedRecords = 0;
  const m = await measure(offsetConnector(server.url), {
    concurrency: "auto",
    onSample: (s) => {
      if (halvedAt === undefined && s.records >= sizes.records / 2) {
        halvedAt = s.atMs;
        halvedRecords = s.records;
        server.command(`capacity ${half}`).catch(() => {});
      }
    },
  });
  const at = halvedAt ?? m.seconds * 1000;
  const end = m.seconds * 1000;
  const levelIn = (from: number, to: number) =>
    median(
      m.samples.filter((s) => s.atMs >= from && s.atMs < to).map((s) =>
        s.limit
      ),
    );
  const before = levelIn(at / 2, at);
  const after = levelIn(at + (end - at) / 2, end + 1);
  const trace = Object.values(m.summary.limitTrace)[0] ?? [];
  const scaled = before * half / source.capacity;
  const reached = trace.find((e) => e.atMs >= at && e.limit <= scaled * 1.25);
  const follow = reached
    ? `followed in ${((reached.atMs - at) / 1000).toFixed(2)} s`
    : "did not follow";
  const t1 = at / 1000;
  const phys1 = physical(source, PAGE);
  const phys2 = physical({ ...source, capacity: half }, PAGE);
  const s = await server.stats();
  const label = shed ? "429, Retry-After: 0" : "queue";
  record({
    mode: `halving 32 -> 16 @20ms (${label})`,
    run: "auto",
    records: m.summary.records,
    seconds: m.seconds,
    // The time the capacity in force allows for each half, over the time taken.
    ratio:
      (halvedRecords / phys1 + (m.summary.records - halvedRecords) / phys2) /
      m.seconds,
    of: "the capacity in force",
    limit: `${before} -> ${after}`,
    requests: s.requests,
    throttled: s.throttled,
    note: `${follow}; ratio before ${
      (halvedRecords / t1 / phys1).toFixed(3)
    }, after ${
      ((m.summary.records - halvedRecords) / (m.seconds - t1) / phys2).toFixed(
        3,
      )
    }`,
  });
  traces.push(
    `halving (${label}): the limit every 0.5 s, capacity 32 -> 16 at ${
      t1.toFixed(1)
    } s (*):\n` +
      m.samples.map((x) =>
        `${(x.atMs / 1000).toFixed(1)}s:${x.limit}${x.atMs === at ? "*" : ""}`
      ).join(" "),
  );
}

async function memoryMode(sizes: Sizes) {
  const source = { latencyMs: 20, capacity: 32 };
  await using server = await startServerProcess(
    serverArgs(source, sizes.memory.large),
  );
  const child = new URL("./_bench_memory.ts", import.meta.url).pathname;
  const peaks: Record<
    string,
    { records: number; seconds: number; peakKiB: number }
  > = {};
  for (const n of [sizes.memory.small, sizes.memory.large]) {
    const out = await new Deno.Command(Deno.execPath(), {
      // The V8 flags of `deno task pull`: this is the pull a user runs.
      args: [
        "run",
        "--allow-all",
        pullV8FlagsArg(),
        child,
        server.url,
        String(n),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`memory pull of ${n} records failed`);
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    peaks[n] = JSON.parse(lines.at(-1)!);
  }
  const small = peaks[sizes.memory.small]!;
  const large = peaks[sizes.memory.large]!;
  const mib = (k: number) => `${(k / 1024).toFixed(0)} MiB`;
  record({
    mode: "memory (peak RSS, Parquet)",
    run: `${fmt(large.records)} vs ${fmt(small.records)}`,
    records: large.records,
    seconds: large.seconds,
    ratio: large.peakKiB / small.peakKiB,
    of: "the smaller pull's peak",
    limit: "auto",
    requests: (await server.stats()).requests,
    throttled: 0,
    note: `${mib(large.peakKiB)} vs ${mib(small.peakKiB)} (target <= 1.2)`,
  });
}

const MODES: Record<string, (sizes: Sizes) => Promise<void>> = {
  id: (s) => idMode("id", { latencyMs: 20, capacity: 32 }, s),
  offset: (s) => offsetMode("offset", { latencyMs: 20, capacity: 32 }, s),
  "id-64": (s) => idMode("id", { latencyMs: 50, capacity: 64 }, s),
  "offset-64": (s) => offsetMode("offset", { latencyMs: 50, capacity: 64 }, s),
  overload: (s) => overloadMode(s, 1),
  "overload-0": (s) => overloadMode(s, 0),
  shed: (s) => shedMode(s, "auto"),
  "shed-64": (s) => shedMode(s, 64),
  "5xx": faultMode,
  storm: stormMode,
  rate: rateMode,
  cursor: cursorMode,
  halving: (s) => halvingMode(s, "queue"),
  "halving-429": (s) => halvingMode(s, "429"),
  memory: memoryMode,
  cpu: (s) => cpuMode(s.cpu, record),
};

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        quick: { type: "boolean", default: false },
        mode: { type: "string", multiple: true },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage()}`);
    return 2;
  }
  if (values.help) {
    console.log(usage());
    return 0;
  }
  const modes = values.mode ?? Object.keys(MODES);
  const unknown = modes.filter((m) => !(m in MODES));
  if (unknown.length) {
    console.error(`unknown mode ${unknown.join(", ")}\n${usage()}`);
    return 2;
  }
  const sizes = values.quick ? QUICK : FULL;
  console.log(
    `inlet bench${
      values.quick ? " (quick)" : ""
    }: ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}; ratio = items/s over capacity / service time x page size`,
  );
  console.log(benchTable([]).split("\n").join("\n"));
  const t0 = performance.now();
  const onSignal = () => {
    closeAllServers().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    for (const mode of modes) await MODES[mode]!(sizes);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await closeAllServers();
  }
  console.log(`\n${benchTable(rows)}`);
  for (const t of traces) console.log(`\n${t}`);
  console.log(
    `\nbench took ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  return 0;
}

function usage(): string {
  return `usage: deno task bench [--quick] [--mode <name>]...\nmodes: ${
    Object.keys(MODES).join(", ")
  }`;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
