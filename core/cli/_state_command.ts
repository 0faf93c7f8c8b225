import type { Command } from "commander";
import { exactJson } from "../connector/exact_json.ts";
import type { Registry } from "../connector/registry.ts";
import { readStates, resetState } from "../lake/lake_reader.ts";
import type { ConnectorInfo, ConnectorSource } from "./connector_info.ts";
import { lakeStreams } from "./_lake_streams.ts";
import type { CliIO } from "./cli_io.ts";
import { collect } from "./_pull_flags.ts";

/** Add `state` to `program`: show each stream's state, or clear it. */
export function stateCommand(
  program: Command,
  registry: Registry<ConnectorInfo>,
  io: CliIO,
  source: ConnectorSource,
): void {
  program.command("state")
    .description(
      "show each stream's state (bookmarks, running sweeps), or clear it",
    )
    .argument("<connector>", "connector name")
    .option(
      "--spec <file>",
      "a JSON spec file: its connector (named rest or by its name)",
    )
    .option("-s, --stream <name>", "only this stream (repeatable)", collect, [])
    .option("--lake <dir|s3://bucket/prefix>", "the lake", "./lake")
    .option("--reset", "clear the state: the next run starts a new full sweep")
    .action(
      async (
        name: string,
        opts: {
          stream: string[];
          lake: string;
          reset?: boolean;
          spec?: string;
        },
      ) => {
        const { connector, storage, streams } = await lakeStreams(
          registry,
          source,
          io,
          name,
          opts,
        );
        if (opts.reset) {
          const n = await resetState(storage, connector, streams);
          io.out(
            `cleared the state of ${n} stream table(s) with a snapshot each; the data stays\n`,
          );
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
}
