import { type Command, InvalidArgumentError, Option } from "commander";
import { parseDuration } from "./parse_duration.ts";

/** The flags of `pull`, as commander parses them. */
export interface PullFlags {
  stream: string[];
  concurrency: number | "auto";
  maxConcurrency: number;
  limit?: number;
  lake: string;
  format: "parquet" | "ndjson";
  compression: "zstd" | "gzip";
  baseUrl?: string;
  timeout: number;
  stallTimeout?: number;
  since?: string;
  fullRefresh?: boolean;
  strict?: boolean;
  maxDuration?: number;
  checkpointRecords?: number;
  checkpointEvery?: number;
  shard?: { index: number; count: number };
  logFormat: "text" | "json";
  sandbox: boolean;
  [option: string]: unknown;
}

/** A parser of a flag's value that accepts only whole numbers >= 1. */
export function positiveInt(name: string) {
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

/** A parser of a duration flag (`5m`, `90s`) that refuses zero. */
export function positiveDuration(name: string) {
  return (value: string): number => {
    const ms = parseDuration(value, name);
    if (ms <= 0) {
      throw new InvalidArgumentError(
        `${name} must be longer than 0s, got "${value}"`,
      );
    }
    return ms;
  };
}

function concurrencyArg(value: string): number | "auto" {
  return value === "auto" ? "auto" : positiveInt("--concurrency")(value);
}

/** Gathers a repeatable flag's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
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

/** The property commander gives a flag's value: `--max-rows` as `maxRows`. */
export function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Add the flags every pull has to `command`, in the order `--help` lists
 * them: first what to fetch and how, then how the run goes.
 */
export function addPullFlags(command: Command): Command {
  return addRunFlags(addFetchFlags(command));
}

function addFetchFlags(command: Command): Command {
  return command
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
      "--stall-timeout <duration>",
      "fail when the source throttles and no request succeeds this long (default 5m)",
      positiveDuration("--stall-timeout"),
    );
}

function addRunFlags(command: Command): Command {
  return command
    .option(
      "--since <value>",
      "where an incremental stream's first sweep starts",
    )
    .option(
      "--full-refresh",
      "ignore the stored state and replace each stream's data",
    )
    .option(
      "--strict",
      "fail a stream whose spec looks wrong (a cursor field no record has, ...) instead of warning",
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
}
