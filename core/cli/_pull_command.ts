import type { Command } from "commander";
import { ConfigError } from "../connector/errors.ts";
import type { Registry } from "../connector/registry.ts";
import {
  pull,
  type PullOptions,
  type RunEvent,
  type RunSummary,
} from "../run/pull.ts";
import type { Connector } from "../connector/connector.ts";
import type { ConnectorInfo, ConnectorSource } from "./connector_info.ts";
import type { CliIO, CliRuntime } from "./cli_io.ts";
import { ExitCode } from "./exit_code.ts";
import { Progress, summaryTable } from "./progress.ts";
import { addPullFlags, camel, collect, type PullFlags } from "./_pull_flags.ts";
import { resolveConnector } from "./_resolve_connector.ts";

/** What `pull` needs from the CLI around it. */
export interface PullContext {
  registry: Registry<ConnectorInfo>;
  source: ConnectorSource;
  /** The CLI's arguments: a sandboxed child gets those past the connector. */
  args: readonly string[];
  io: CliIO;
  runtime: CliRuntime;
  /** Where the pull leaves its exit code (a commander action returns none). */
  exit: (code: number) => void;
}

/** Add `pull` to `program`. */
export function pullCommand(program: Command, ctx: PullContext): void {
  const { registry } = ctx;
  // Every connector's own options are flags of `pull`; each is checked against the chosen connector.
  const connectorOptions = new Map<string, string[]>();
  for (const c of registry.list()) {
    // `--spec` belongs to every connector-taking command, not to `rest` alone.
    for (const o of Object.keys(c.options).filter((o) => o !== "spec")) {
      connectorOptions.set(o, [...(connectorOptions.get(o) ?? []), c.name]);
    }
  }
  const command = addPullFlags(
    program.command("pull")
      .description("pull a connector's streams into the lake")
      .argument(
        "<connector>",
        `connector name (${registry.names().join(", ")})`,
      )
      .option(
        "--spec <file>",
        "a JSON spec file: pull its connector (named rest or by its name)",
        collect,
      ),
  );
  for (const [o, owners] of connectorOptions) {
    command.option(
      `--${o} <value>`,
      `${
        owners.map((n) => `${n}: ${registry.get(n).options[o]?.description}`)
          .join("; ")
      }`,
      collect,
    );
  }
  command.action(async (name: string, opts: PullFlags) => {
    const specs = opts.spec as string[] | undefined;
    const info = await resolveConnector(registry, ctx.source, name, specs);
    const given = givenOptions(info, opts, connectorOptions.keys());
    const spec = specs?.[0];
    if (opts.sandbox && ctx.runtime.sandbox) {
      ctx.exit(await pullSandboxed(ctx, info, name, spec, opts));
      return;
    }
    const connector = await ctx.source.load(name, spec);
    ctx.exit(await pullHere(ctx, connector, opts, given));
  });
}

// Commander accepts every connector's options: only the chosen one's may be given.
function givenOptions(
  info: ConnectorInfo,
  opts: PullFlags,
  names: Iterable<string>,
): Record<string, string[]> {
  const given: Record<string, string[]> = {};
  for (const o of names) {
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
  return given;
}

// The work runs in a child allowed only this connector's hosts and
// secrets; a spec's connector declares its own.
async function pullSandboxed(
  ctx: PullContext,
  info: ConnectorInfo,
  name: string,
  spec: string | undefined,
  opts: PullFlags,
): Promise<number> {
  const at = ctx.args.indexOf(name);
  const code = await ctx.runtime.sandbox!(
    info,
    name,
    ctx.args.slice(at + 1) as string[],
    {
      lake: opts.lake,
      ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
      read: spec !== undefined ? [spec] : [],
    },
  );
  // A child killed outright cannot show the cursor its progress hid.
  if (ctx.io.terminal && opts.logFormat !== "json") ctx.io.err("\x1b[?25h");
  return code;
}

async function pullHere(
  ctx: PullContext,
  connector: Connector,
  opts: PullFlags,
  given: Record<string, string[]>,
): Promise<number> {
  const { io, runtime } = ctx;
  const json = opts.logFormat === "json";
  const progress = json
    ? undefined
    : new Progress({ write: io.err, terminal: io.terminal });
  runtime.listen?.((text) => progress ? progress.note(text) : io.err(text));
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
  try {
    const summary = await pull(
      connector,
      pullOptions(ctx, connector, opts, given, stop, progress),
    );
    progress?.stop();
    if (!json) {
      printSummary(io, summary, opts.lake, connector, deadline.signal.aborted);
    }
    return summary.status === "failed"
      ? ExitCode.Failed
      : summary.status === "stopped" && runtime.stop?.aborted
      ? (runtime.stopCode?.() ?? ExitCode.Interrupted)
      : ExitCode.Ok;
  } finally {
    progress?.stop();
    clearTimeout(timer);
  }
}

function pullOptions(
  { io, runtime }: PullContext,
  connector: Connector,
  opts: PullFlags,
  given: Record<string, string[]>,
  stop: AbortSignal,
  progress: Progress | undefined,
): PullOptions {
  return {
    lake: opts.lake,
    concurrency: opts.concurrency,
    maxConcurrency: opts.maxConcurrency,
    format: opts.format,
    compression: opts.compression,
    timeoutMs: opts.timeout * 1000,
    ...(opts.stallTimeout ? { stallTimeoutMs: opts.stallTimeout } : {}),
    env: io.env,
    stop,
    monitor: (run) => {
      progress?.attach(run, connector.name);
      progress?.start();
    },
    ...(opts.logFormat === "json"
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
    ...(opts.strict ? { strict: true } : {}),
    ...(opts.shard ? { shard: opts.shard } : {}),
    ...(opts.checkpointRecords ? { fileRecords: opts.checkpointRecords } : {}),
    ...(opts.checkpointEvery ? { checkpointMs: opts.checkpointEvery } : {}),
    ...(runtime.abort ? { signal: runtime.abort } : {}),
  };
}

function printSummary(
  io: CliIO,
  summary: RunSummary,
  lake: string,
  connector: Connector,
  pastDeadline: boolean,
): void {
  io.err(`\n${summaryTable(summary)}\n`);
  io.err(
    `run ${summary.runId}: ${summary.status}, ${
      summary.records.toLocaleString("en-US")
    } records in ${
      (summary.durationMs / 1000).toFixed(1)
    } s -> ${lake}/${connector.name}/\n`,
  );
  if (pastDeadline) {
    io.err(
      "stopped at --max-duration: the next run continues from here\n",
    );
  }
  for (const w of summary.warnings) io.err(`warning: ${w}\n`);
  for (const e of summary.errors) io.err(`error: ${e}\n`);
  if (summary.errors.some((e) => e.includes("connection refused"))) {
    io.err(refusedHint(connector.name));
  }
}

// Nothing listened where the connector asked: the commonest first-run
// mistake is pulling the demo before its sample API runs.
function refusedHint(connector: string): string {
  return connector === "demo"
    ? "hint: nothing listens there: start the sample API first with `deno task serve-demo` (in another terminal), or run `deno task demo`, which starts its own\n"
    : "hint: nothing listens there: is the source running, and does --base-url point at it?\n";
}
