import type { Command } from "commander";
import type { Registry } from "../connector/registry.ts";
import type { ConnectorInfo, ConnectorSource } from "./connector_info.ts";
import type { CliIO } from "./cli_io.ts";
import { resolveConnector } from "./_resolve_connector.ts";

/** Add `list` to `program`: each connector, its streams and its options. */
export function listCommand(
  program: Command,
  registry: Registry<ConnectorInfo>,
  io: CliIO,
  source: ConnectorSource,
): void {
  program.command("list")
    .description("list the connectors (or one) and their streams")
    .argument("[connector]", "only this connector")
    .option(
      "--spec <file>",
      "a JSON spec file: list its connector (named rest or by its name)",
    )
    .action(async (name: string | undefined, opts: { spec?: string }) => {
      const shown = name === undefined && opts.spec === undefined
        ? registry.list()
        : [await resolveConnector(registry, source, name ?? "rest", opts.spec)];
      for (const c of shown) printConnector(io, c);
    });
}

function printConnector(io: CliIO, c: ConnectorInfo): void {
  io.out(`${c.name}${c.description ? `  ${c.description}` : ""}\n`);
  for (const [s, def] of Object.entries(c.streams)) {
    const traits = [
      def.writeDisposition && def.writeDisposition !== "append"
        ? def.writeDisposition
        : "",
      def.incremental ? `incremental on ${def.incremental.cursorField}` : "",
      def.partition ? `partitioned on ${def.partition.field}` : "",
      def.parent ? `one per ${def.parent.stream} record` : "",
    ].filter(Boolean);
    io.out(
      `  ${c.name}/${s}${traits.length ? `  (${traits.join(", ")})` : ""}\n`,
    );
  }
  for (const [o, decl] of Object.entries(c.options)) {
    // A description may say it already: once is enough.
    const note = decl.multiple && !/\(repeatable\)/.test(decl.description)
      ? " (repeatable)"
      : "";
    io.out(`  --${o}  ${decl.description}${note}\n`);
  }
}
