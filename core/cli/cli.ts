/**
 * The `inlet` command line: `pull`, `list`, `state`, `query`, and the
 * maintenance commands `compact` and `expire`.
 *
 * Exit codes: 0 ok, 1 the pull failed, 2 bad usage (unknown flag, bad value,
 * unknown connector), 130 stopped by SIGINT, 143 stopped by SIGTERM.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { ConfigError } from "../connector/errors.ts";
import { Registry } from "../connector/registry.ts";
import type { Connector } from "../connector/connector.ts";
import {
  type ConnectorInfo,
  type ConnectorSource,
  sourceOf,
} from "./connector_info.ts";
import { VERSION } from "./version.ts";
import { cliSource, REGISTRY_ENV } from "./cli_source.ts";
import { stopNotice, StopSignals, watchParent } from "./_stop_signals.ts";
import type { CliIO, CliRuntime } from "./cli_io.ts";
import { ExitCode } from "./exit_code.ts";
import { jsonLines } from "./_json_lines.ts";
import { listCommand } from "./_list_command.ts";
import { pullCommand } from "./_pull_command.ts";
import { stateCommand } from "./_state_command.ts";
import { queryCommand } from "./_query_command.ts";
import { compactCommand } from "./_compact_command.ts";

export type { CliIO, CliRuntime, SandboxRequest } from "./cli_io.ts";
export { ExitCode } from "./exit_code.ts";
export { parseDuration } from "./parse_duration.ts";

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
  listCommand(program, registry, io, source);
  pullCommand(program, {
    registry,
    source,
    args,
    io,
    runtime,
    exit: (c) => code = c,
  });
  stateCommand(program, registry, io, source);
  queryCommand(program, registry, io, source);
  compactCommand(program, registry, io, source);
  for (const c of program.commands) {
    c.version(VERSION, "-V, --version", "print inlet's version");
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return code;
  } catch (err) {
    return failureCode(err, io);
  }
}

// Commander has printed its own message; a bad value from the connector or
// the options is the user's to fix (2), anything else a failed run (1).
function failureCode(err: unknown, io: CliIO): number {
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
    /** The `deno.json` the sandboxed pull child runs with (a user's project). */
    config?: string;
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
  let notice = write(Deno.stderr);
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
    } else {
      notice(stopNotice(signal, action));
    }
  });
  const root = new URL("../..", import.meta.url).pathname;
  const code = await runCli(args, connectors, {
    out: write(Deno.stdout),
    err: jsonLog ? jsonLines(write(Deno.stderr)) : write(Deno.stderr),
    terminal: Deno.stderr.isTerminal(),
    env: (n) => Deno.env.get(n),
  }, {
    stop: signals.stop.signal,
    abort: signals.abort.signal,
    stopCode: () => signals.code,
    listen: (show) => {
      notice = show;
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
          ...(options.config ? { config: options.config } : {}),
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
    read: picked.read,
    // The pull child loads the registry this process found, wherever it runs.
    childEnv: { [REGISTRY_ENV]: picked.project.registry },
    ...(picked.project.config ? { config: picked.project.config } : {}),
  });
}
