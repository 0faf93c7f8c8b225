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
import { ConfigError } from "./errors.ts";
import { Progress, summaryTable } from "./progress.ts";
import { pull, type PullOptions } from "./pull.ts";
import { Registry } from "./registry.ts";
import type { Connector } from "./connector.ts";

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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Run the CLI with `args` (without the program name); resolves the exit code.
 *
 * @example
 * ```ts
 * import { runCli } from "./cli.ts";
 * import connectors from "../connectors/mod.ts";
 * let out = "";
 * const code = await runCli(["list"], connectors, {
 *   out: (t) => out += t,
 *   err: () => {},
 *   terminal: false,
 *   env: () => undefined,
 * });
 * console.assert(code === 0 && out.includes("hackernews"));
 * ```
 */
export async function runCli(
  args: readonly string[],
  connectors: readonly Connector[],
  io: CliIO,
  signals: {
    stop?: AbortSignal;
    abort?: AbortSignal;
    stopCode?: () => number;
  } = {},
): Promise<number> {
  const registry = new Registry(connectors);
  let code: number = ExitCode.Ok;
  const program = new Command("inlet")
    .description(
      "Pull data from HTTP APIs into a data lake, as fast as the source can serve it.",
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run with --help for usage)");

  program.command("list")
    .description("list the connectors and their streams")
    .action(() => {
      for (const c of registry.list()) {
        io.out(`${c.name}${c.description ? `  ${c.description}` : ""}\n`);
        for (const s of Object.keys(c.streams)) io.out(`  ${c.name}/${s}\n`);
      }
    });

  program.command("pull")
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
    .option("--lake <dir>", "lake folder", "./lake")
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
    .action(async (name: string, opts: {
      stream: string[];
      concurrency: number | "auto";
      maxConcurrency: number;
      limit?: number;
      lake: string;
      format: "parquet" | "ndjson";
      compression: "zstd" | "gzip";
      baseUrl?: string;
      timeout: number;
    }) => {
      const connector = registry.get(name);
      const progress = new Progress({ write: io.err, terminal: io.terminal });
      const options: PullOptions = {
        lake: opts.lake,
        concurrency: opts.concurrency,
        maxConcurrency: opts.maxConcurrency,
        format: opts.format,
        compression: opts.compression,
        timeoutMs: opts.timeout * 1000,
        env: io.env,
        monitor: (run) => {
          progress.attach(run, connector.name);
          progress.start();
        },
        ...(opts.stream.length ? { streams: opts.stream } : {}),
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
        ...(signals.stop ? { stop: signals.stop } : {}),
        ...(signals.abort ? { signal: signals.abort } : {}),
      };
      try {
        const summary = await pull(connector, options);
        progress.stop();
        io.err(`\n${summaryTable(summary)}\n`);
        io.err(
          `run ${summary.runId}: ${summary.status}, ${
            summary.records.toLocaleString("en-US")
          } records in ${
            (summary.durationMs / 1000).toFixed(1)
          } s -> ${opts.lake}/${connector.name}/\n`,
        );
        for (const e of summary.errors) io.err(`error: ${e}\n`);
        code = summary.status === "failed"
          ? ExitCode.Failed
          : summary.status === "stopped"
          ? (signals.stopCode?.() ?? ExitCode.Interrupted)
          : ExitCode.Ok;
      } finally {
        progress.stop();
      }
    });

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
    if (err instanceof ConfigError || err instanceof RangeError) {
      io.err(`error: ${err.message}\n`);
      return ExitCode.Usage;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Failed;
  }
}

if (import.meta.main) {
  const { default: connectors } = await import("../connectors/mod.ts");
  const stop = new AbortController();
  const abort = new AbortController();
  let stopCode: number = ExitCode.Interrupted;
  const enc = new TextEncoder();
  const onSignal = (signal: "SIGINT" | "SIGTERM") => () => {
    if (stop.signal.aborted) {
      abort.abort(new Error(`${signal} received twice: aborting`));
      return;
    }
    stopCode = signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated;
    // Show the cursor again at once: the progress line may have hidden it.
    Deno.stderr.writeSync(
      enc.encode(
        `\x1b[?25h\n${signal}: stopping; in-flight pages land and are committed (again to abort)\n`,
      ),
    );
    stop.abort(new Error(signal));
  };
  Deno.addSignalListener("SIGINT", onSignal("SIGINT"));
  Deno.addSignalListener("SIGTERM", onSignal("SIGTERM"));
  const code = await runCli(Deno.args, connectors, {
    out: (t) => Deno.stdout.writeSync(enc.encode(t)),
    err: (t) => Deno.stderr.writeSync(enc.encode(t)),
    terminal: Deno.stderr.isTerminal(),
    env: (n) => Deno.env.get(n),
  }, { stop: stop.signal, abort: abort.signal, stopCode: () => stopCode });
  Deno.exit(code);
}
