import type { Command } from "commander";
import type { Registry } from "../connector/registry.ts";
import type { ConnectorInfo } from "./connector_info.ts";
import type { CliIO } from "./cli_io.ts";

/** Add `list` to `program`: each connector, its streams and its options. */
export function listCommand(
  program: Command,
  registry: Registry<ConnectorInfo>,
  io: CliIO,
): void {
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
              // Once, though a description may already say so.
              decl.multiple && !/\brepeatable\b/i.test(decl.description)
                ? " (repeatable)"
                : ""}\n`,
          );
        }
      }
    });
}
