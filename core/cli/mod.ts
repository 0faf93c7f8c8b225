/**
 * The command line: commands, progress, the sandbox, compile, scaffold
 * and the demo.
 *
 * @module
 */
export * from "./cli.ts";
export * from "./cli_source.ts";
export * from "./compile.ts";
export * from "./connector_info.ts";
export * from "./demo.ts";
export * from "./describe.ts";
export * from "./load_registry.ts";
export {
  connectorIdent,
  connectorSource,
  newConnector,
  type NewConnectorResult,
  testSource,
} from "./new_connector.ts";
export * from "./progress.ts";
export * from "./project.ts";
export * from "./pull_v8_flags.ts";
export * from "./sandbox.ts";
export * from "./version.ts";
