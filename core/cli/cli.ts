/**
 * The `inlet` command line: `pull` and `list`.
 *
 * Exit codes: 0 ok, 1 the pull failed, 2 bad usage (unknown flag, bad value,
 * unknown connector), 130 stopped by SIGINT, 143 stopped by SIGTERM.
 *
 * @module
 */

import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
} from "commander";
import { exactJson } from "../connector/exact_json.ts";
import { ConfigError } from "../connector/errors.ts";
import { Progress, summaryTable } from "./progress.ts";
import {
  openLake,
  pull,
  type PullOptions,
  type RunEvent,
} from "../run/pull.ts";
import { readStates, resetState } from "../lake/lake_reader.ts";
import { Registry } from "../connector/registry.ts";
import type { Connector } from "../connector/connector.ts";
import {
  asLakeConnector,
  type ConnectorInfo,
  type ConnectorSource,
  sourceOf,
} from "./connector_info.ts";
import { VERSION } from "./version.ts";
import { cliSource, REGISTRY_ENV } from "./cli_source.ts";
import { StopSignals, watchParent } from "./_stop_signals.ts";

/** Exit codes of the CLI. */
export const ExitCode = {
  /** The run did what was asked. */
  Ok: 0,
  /** The run failed (an error is printed). */
  Failed: 1,
  /** Bad usage: unknown flag or connector, bad value. */
  Usage: 2,
  /** Stopped by SIGINT after committing what landed. */
  Interrupted: 130,
  /** Stopped by SIGTERM after committing what landed. */
  Terminated: 143,
} as const;

/** Where the CLI writes and what it reads; injected in tests. */
export interface CliIO {
  /** Standard output. */
  out: (text: string) => void;
  /** Standard error. */
  err: (text: string) => void;
  /** Whether stderr is a terminal (live progress lines). */
  terminal: boolean;
  /** Environment variables. */
  env: (name: string) => string | undefined;
}

/** How a pull is stopped and sandboxed; the real program wires signals and a child process. */
export interface CliRuntime {
  /** Graceful stop (SIGINT/SIGTERM): in-flight pages land and are committed. */
  stop?: AbortSignal;
  /** Abort at once (a second signal). */
  abort?: AbortSignal;
  /** The exit code of a graceful stop (130 for SIGINT, 143 for SIGTERM). */
  stopCode?: () => number;
  /**
   * Run the pull in a child process allowed only the connector's hosts and
   * secrets; resolves its exit code. Absent: the pull runs in this process.
   */
  sandbox?: (
    connector: ConnectorInfo,
    name: string,
    argv: string[],
    opts: SandboxRequest,
  ) => Promise<number>;
  /** Install the signal handlers (only a pull running in this process needs them). */
  listen?: () => void;
}

/** What the sandbox needs to know about a pull. */
export interface SandboxRequest {
  /** The lake (folder or `s3://`). */
  lake: string;
  /** A `--base-url` override. */
  baseUrl?: string;
  /** Extra files the child reads (`--spec`). */
  read: string[];
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(
        `${name} must be a whole number >= 1, got "${value}"`,
      );
    }
    return n;
  };
}

function concurrencyArg(value: string): number | "auto" {
  return value === "auto" ? "auto" : positiveInt("--concurrency")(value);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Parse a duration like `5h`, `90m`, `1h30m` or `45s` into milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./cli.ts";
 * assert(parseDuration("1h30m") === 5_400_000);
 * ```
 */
export function parseDuration(
  value: string,
  flag = "--max-duration",
): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!m || value === "" || !(m[1] || m[2] || m[3])) {
    throw new InvalidArgumentError(
      `${flag} must look like 5h, 90m, 1h30m or 45s, got "${value}"`,
    );
  }
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 +
    Number(m[3] ?? 0)) * 1000;
}

function shardArg(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]), count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new InvalidArgumentError(
      `--shard must be i/n with 1 <= i <= n, got "${value}"`,
    );
  }
  return { index, count };
}

interface PullFlags {
  stream: string[];
  concurrency: number | "auto";
  maxConcurrency: number;
  limit?: number;
  lake: string;
  format: "parquet" | "ndjson";
  compression: "zstd" | "gzip";
  baseUrl?: string;
  timeout: number;
  since?: string;
  fullRefresh?: boolean;
  maxDuration?: number;
  checkpointRecords?: number;
  checkpointEvery?: number;
  shard?: { index: number; count: number };
  logFormat: "text" | "json";
  sandbox: boolean;
  [option: string]: unknown;
}

/**
 * Run the CLI with `args` (without the program name); resolves the exit code.
 * `connectors` are evaluated connectors, or a {@linkcode ConnectorSource}
 * that describes them from elsewhere (a sandboxed child): everything but a
 * pull in this process reads only their descriptions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCli } from "./cli.ts";
 * import connectors from "../../connectors/mod.ts";
 * let out = "";
 * const code = await runCli(["list"], connectors, {
 *   out: (t) => out += t,
 *   err: () => {},
 *   terminal: false,
 *   env: () => undefined,
 * });
 * assert(code === 0 && out.includes("hackernews"));
 * ```
 */
export async function runCli(
  args: readonly string[],
  connectors: readonly Connector[] | ConnectorSource,
  io: CliIO,
  runtime: CliRuntime = {},
): Promise<number> {
  const source = "describe" in connectors ? connectors : sourceOf(connectors);
  let registry: Registry<ConnectorInfo>;
  try {
    registry = new Registry(await source.describe());
  } catch (err) {
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Failed;
  }
  let code: number = ExitCode.Ok;
  const program = new Command("inlet")
    .description(
      "Pull data from HTTP APIs into a data lake, as fast as the source can serve it.",
    )
    .version(VERSION, "-V, --version", "print inlet's version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run with --help for usage)");

  program.command("list")
    .description("list the connectors and their streams")
    .action(() => {
      for (const c of registry.list()) {
        io.out(`${c.name}${c.description ? `  ${c.description}` : ""}\n`);
        for (const [s, def] of Object.entries(c.streams)) {
          const traits = [
            def.writeDisposition && def.writeDisposition !== "append"
              ? def.writeDisposition
              : "",
            def.incremental
              ? `incremental on ${def.incremental.cursorField}`
              : "",
            def.partition ? `partitioned on ${def.partition.field}` : "",
            def.parent ? `one per ${def.parent.stream} record` : "",
          ].filter(Boolean);
          io.out(
            `  ${c.name}/${s}${
              traits.length ? `  (${traits.join(", ")})` : ""
            }\n`,
          );
        }
        for (const [o, decl] of Object.entries(c.options)) {
          io.out(
            `  --${o}  ${decl.description}${
              decl.multiple ? " (repeatable)" : ""
            }\n`,
          );
        }
      }
    });

  // Every connector's own options are flags of `pull`; each is checked against the chosen connector.
  const connectorOptions = new Map<string, string[]>();
  for (const c of registry.list()) {
    for (const o of Object.keys(c.options)) {
      connectorOptions.set(o, [...(connectorOptions.get(o) ?? []), c.name]);
    }
  }
  const pullCommand = program.command("pull")
    .description("pull a connector's streams into the lake")
    .argument("<connector>", `connector name (${registry.names().join(", ")})`)
    .option(
      "-s, --stream <name>",
      "pull only this stream (repeatable)",
      collect,
      [],
    )
    .option(
      "-c, --concurrency <n|auto>",
      "requests in flight per host; auto finds the source's limit",
      concurrencyArg,
      "auto",
    )
    .option(
      "--max-concurrency <n>",
      "ceiling for auto",
      positiveInt("--max-concurrency"),
      256,
    )
    .option(
      "-n, --limit <n>",
      "records per stream at most",
      positiveInt("--limit"),
    )
    .option("--lake <dir|s3://bucket/prefix>", "the lake", "./lake")
    .addOption(
      new Option("-f, --format <format>", "file format").choices([
        "parquet",
        "ndjson",
      ]).default(
        "parquet",
      ),
    )
    .addOption(
      new Option("--compression <codec>", "NDJSON compression").choices([
        "zstd",
        "gzip",
      ]).default(
        "zstd",
      ),
    )
    .option(
      "--base-url <url>",
      "replace the connector's base URL (staging, local test server)",
    )
    .option(
      "--timeout <seconds>",
      "per-request timeout",
      positiveInt("--timeout"),
      30,
    )
    .option(
      "--since <value>",
      "where an incremental stream's first sweep starts",
    )
    .option(
      "--full-refresh",
      "ignore the stored state and replace each stream's data",
    )
    .option(
      "--max-duration <duration>",
      "stop gracefully after this long (5h, 90m); the next run continues",
      (v: string) => parseDuration(v, "--max-duration"),
    )
    .option(
      "--shard <i/n>",
      "pull only shard i of n (its lanes, its own state)",
      shardArg,
    )
    .option(
      "--checkpoint-records <n>",
      "commit (a checkpoint) at least every n records (default 500000)",
      positiveInt("--checkpoint-records"),
    )
    .option(
      "--checkpoint-every <duration>",
      "commit at least this often (default 1m)",
      (v: string) => parseDuration(v, "--checkpoint-every"),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "text progress, or one JSON event per line",
      ).choices([
        "text",
        "json",
      ]).default("text"),
    )
    .option(
      "--no-sandbox",
      "run in this process, without the connector's narrowed permissions",
    );
  for (const [o, owners] of connectorOptions) {
    pullCommand.option(
      `--${o} <value>`,
      `${
        owners.map((n) => `${n}: ${registry.get(n).options[o]?.description}`)
          .join("; ")
      }`,
      collect,
    );
  }
  pullCommand.action(async (name: string, opts: PullFlags) => {
    const info = registry.get(name);
    const given: Record<string, string[]> = {};
    for (const o of connectorOptions.keys()) {
      const v = (opts[camel(o)] ?? []) as string[];
      if (v.length === 0) continue;
      const decl = info.options[o];
      if (!decl) {
        throw new ConfigError(
          `connector "${info.name}" has no option --${o}; its options: ${
            Object.keys(info.options).map((x) => `--${x}`).join(", ") || "none"
          }`,
        );
      }
      if (v.length > 1 && !decl.multiple) {
        throw new ConfigError(
          `option --${o} of "${info.name}" takes one value`,
        );
      }
      given[o] = v;
    }
    const spec = name === "rest" ? given.spec?.[0] : undefined;
    if (opts.sandbox && runtime.sandbox) {
      // The work runs in a child allowed only this connector's hosts and
      // secrets; a spec's connector declares its own.
      const target = spec === undefined
        ? info
        : await source.describeSpec(spec);
      const at = args.indexOf(name);
      code = await runtime.sandbox(
        target,
        name,
        args.slice(at + 1) as string[],
        {
          lake: opts.lake,
          ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
          read: spec !== undefined ? [spec] : [],
        },
      );
      return;
    }
    const connector = await source.load(name, spec);
    runtime.listen?.();
    const json = opts.logFormat === "json";
    const progress = json
      ? undefined
      : new Progress({ write: io.err, terminal: io.terminal });
    const deadline = new AbortController();
    const timer = opts.maxDuration !== undefined
      ? setTimeout(
        () => deadline.abort(new Error("--max-duration reached")),
        opts.maxDuration,
      )
      : undefined;
    const stop = runtime.stop
      ? AbortSignal.any([runtime.stop, deadline.signal])
      : deadline.signal;
    const options: PullOptions = {
      lake: opts.lake,
      concurrency: opts.concurrency,
      maxConcurrency: opts.maxConcurrency,
      format: opts.format,
      compression: opts.compression,
      timeoutMs: opts.timeout * 1000,
      env: io.env,
      stop,
      monitor: (run) => {
        progress?.attach(run, connector.name);
        progress?.start();
      },
      ...(json
        ? {
          onEvent: (e: RunEvent) =>
            io.err(
              JSON.stringify({ at: new Date().toISOString(), ...e }) + "\n",
            ),
        }
        : {}),
      ...(Object.keys(given).length ? { options: given } : {}),
      ...(opts.stream.length ? { streams: opts.stream } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(opts.fullRefresh ? { fullRefresh: true } : {}),
      ...(opts.shard ? { shard: opts.shard } : {}),
      ...(opts.checkpointRecords
        ? { fileRecords: opts.checkpointRecords }
        : {}),
      ...(opts.checkpointEvery ? { checkpointMs: opts.checkpointEvery } : {}),
      ...(runtime.abort ? { signal: runtime.abort } : {}),
    };
    try {
      const summary = await pull(connector, options);
      progress?.stop();
      if (!json) {
        io.err(`\n${summaryTable(summary)}\n`);
        io.err(
          `run ${summary.runId}: ${summary.status}, ${
            summary.records.toLocaleString("en-US")
          } records in ${
            (summary.durationMs / 1000).toFixed(1)
          } s -> ${opts.lake}/${connector.name}/\n`,
        );
        if (deadline.signal.aborted) {
          io.err(
            "stopped at --max-duration: the next run continues from here\n",
          );
        }
        for (const w of summary.warnings) io.err(`warning: ${w}\n`);
        for (const e of summary.errors) io.err(`error: ${e}\n`);
      }
      code = summary.status === "failed"
        ? ExitCode.Failed
        : summary.status === "stopped" && runtime.stop?.aborted
        ? (runtime.stopCode?.() ?? ExitCode.Interrupted)
        : ExitCode.Ok;
    } finally {
      progress?.stop();
      clearTimeout(timer);
    }
  });

  program.command("state")
    .description(
      "show each stream's state (bookmarks, running sweeps), or clear it",
    )
    .argument("<connector>", "connector name")
    .option("-s, --stream <name>", "only this stream (repeatable)", collect, [])
    .option("--lake <dir|s3://bucket/prefix>", "the lake", "./lake")
    .option("--reset", "clear the state: the next run starts a new full sweep")
    .action(
      async (
        name: string,
        opts: { stream: string[]; lake: string; reset?: boolean },
      ) => {
        const connector = asLakeConnector(registry.get(name));
        for (const s of opts.stream) {
          if (!connector.streams[s]) {
            throw new ConfigError(
              `connector "${connector.name}" has no stream "${s}"`,
            );
          }
        }
        const storage = await openLake(opts.lake, io.env);
        const streams = opts.stream.length
          ? opts.stream
          : Object.keys(connector.streams);
        if (opts.reset) {
          const n = await resetState(storage, connector, streams);
          io.out(`cleared the state of ${n} log(s); the data stays\n`);
          return;
        }
        for (const r of await readStates(storage, connector, streams)) {
          io.out(
            `${r.stream}${
              r.scope ? ` [${r.scope}]` : ""
            }  version ${r.version}${
              r.committedAt ? `  committed ${r.committedAt}` : ""
            }\n${exactJson(r.state, 2)}\n`,
          );
          if (r.error) io.out(`  error: ${r.error}\n`);
        }
      },
    );

  program.command("query")
    .description(
      "run DuckDB SQL over a connector's committed data (a view per stream)",
    )
    .argument("<connector>", "connector name")
    .argument("<sql>", 'SQL, e.g. "SELECT count(*) FROM items"')
    .option("--lake <dir>", "the lake (a local folder)", "./lake")
    .addOption(
      new Option("--format <format>", "output").choices(["table", "json"])
        .default("table"),
    )
    .action(
      async (
        name: string,
        sql: string,
        opts: { lake: string; format: "table" | "json" },
      ) => {
        const connector = asLakeConnector(registry.get(name));
        const { formatRows, queryLake } = await import("../lake/query.ts");
        const rows = await queryLake(opts.lake, connector, sql);
        io.out(
          (opts.format === "json"
            ? rows.map((r) =>
              JSON.stringify(
                r,
                (_k, v) => typeof v === "bigint" ? Number(v) : v,
              )
            )
              .join("\n")
            : formatRows(rows)) + "\n",
        );
      },
    );

  for (const c of program.commands) {
    c.version(VERSION, "-V, --version", "print inlet's version");
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.help" ||
        err.code === "commander.version"
      ) return ExitCode.Ok;
      return ExitCode.Usage;
    }
    if (
      err instanceof ConfigError || err instanceof RangeError ||
      err instanceof TypeError
    ) {
      io.err(`error: ${err.message}\n`);
      return ExitCode.Usage;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Failed;
  }
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * The program: runs the CLI on `args` with real standard streams, signal
 * handling (a first SIGINT/SIGTERM stops gracefully, a second aborts) and,
 * unless `sandbox` is false, each pull in a child with the connector's own
 * permissions; then exits with the CLI's code.
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * import connectors from "../../connectors/mod.ts";
 * await main(connectors);
 * ```
 */
export async function main(
  connectors: readonly Connector[] | ConnectorSource,
  options: {
    args?: readonly string[];
    sandbox?: boolean;
    /** Files a sandboxed pull reads besides the project (a registry elsewhere). */
    read?: readonly string[];
    /** Variables the sandboxed pull child gets. */
    childEnv?: Record<string, string>;
  } = {},
): Promise<never> {
  const args = options.args ?? Deno.args;
  const enc = new TextEncoder();
  const write =
    (stream: typeof Deno.stdout | typeof Deno.stderr) => (t: string) => {
      const bytes = enc.encode(t);
      for (let off = 0; off < bytes.length;) {
        off += stream.writeSync(bytes.subarray(off));
      }
    };
  // With --log-format json every stderr line is an event, the signal's too.
  const jsonLog = args.includes("--log-format=json") ||
    args.some((a, i) => a === "--log-format" && args[i + 1] === "json");
  const signals = new StopSignals((signal, action) => {
    if (jsonLog) {
      write(Deno.stderr)(
        JSON.stringify({
          at: new Date().toISOString(),
          type: "signal",
          signal,
          action,
        }) + "\n",
      );
    } else if (action === "stop") {
      // Show the cursor again at once: the progress line may have hidden it.
      write(Deno.stderr)(
        `\x1b[?25h\n${signal}: stopping; in-flight pages land and are committed (again to abort)\n`,
      );
    }
  });
  const root = new URL("../..", import.meta.url).pathname;
  const code = await runCli(args, connectors, {
    out: write(Deno.stdout),
    err: write(Deno.stderr),
    terminal: Deno.stderr.isTerminal(),
    env: (n) => Deno.env.get(n),
  }, {
    stop: signals.stop.signal,
    abort: signals.abort.signal,
    stopCode: () => signals.code,
    listen: () => {
      for (const sig of ["SIGINT", "SIGTERM"] as const) {
        Deno.addSignalListener(sig, () => signals.received(sig));
      }
      if (Deno.env.get("INLET_SANDBOX_CHILD") === "1") {
        watchParent(signals, () => Deno.exit(ExitCode.Failed));
      }
    },
    // A compiled binary already runs with its connectors' permissions baked
    // in (deno task compile), and cannot start `deno run` for a child.
    ...(Deno.build.standalone || options.sandbox === false ? {} : {
      sandbox: async (connector, name, argv, req) => {
        const { runSandboxed } = await import("./sandbox.ts");
        return await runSandboxed(name, argv, {
          connector,
          lake: req.lake,
          root,
          read: [...req.read, ...(options.read ?? [])],
          ...(options.childEnv ? { childEnv: options.childEnv } : {}),
          ...(req.baseUrl !== undefined ? { baseUrl: req.baseUrl } : {}),
        });
      },
    }),
  });
  Deno.exit(code);
}

if (import.meta.main) {
  const picked = cliSource(Deno.args, {
    root: new URL("../..", import.meta.url).pathname,
  });
  if (picked.inProcessWarning) {
    Deno.stderr.writeSync(new TextEncoder().encode(picked.inProcessWarning));
  }
  await main(picked.source, {
    ...(picked.registryFile ? { read: [picked.registryFile] } : {}),
    ...(picked.registry
      ? { childEnv: { [REGISTRY_ENV]: picked.registry } }
      : {}),
  });
}
