import { type Command, Option } from "commander";
import type { Registry } from "../connector/registry.ts";
import {
  asLakeConnector,
  type ConnectorInfo,
  type ConnectorSource,
} from "./connector_info.ts";
import { resolveConnector } from "./_resolve_connector.ts";
import type { CliIO } from "./cli_io.ts";

/** Add `query` to `program`: DuckDB SQL over a connector's committed data. */
export function queryCommand(
  program: Command,
  registry: Registry<ConnectorInfo>,
  io: CliIO,
  source: ConnectorSource,
): void {
  program.command("query")
    .description(
      "run DuckDB SQL over a connector's committed data (a view per stream)",
    )
    .argument("<connector>", "connector name")
    .argument("<sql>", 'SQL, e.g. "SELECT count(*) FROM items"')
    .option("--lake <dir>", "the lake (a local folder)", "./lake")
    .option(
      "--spec <file>",
      "a JSON spec file: its connector (named rest or by its name)",
    )
    .addOption(
      new Option("--format <format>", "output").choices(["table", "json"])
        .default("table"),
    )
    .action(
      async (
        name: string,
        sql: string,
        opts: { lake: string; format: "table" | "json"; spec?: string },
      ) => {
        const connector = asLakeConnector(
          await resolveConnector(registry, source, name, opts.spec),
        );
        // DuckDB loads only when a query runs.
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
}
