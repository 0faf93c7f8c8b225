import { ConfigError } from "../connector/errors.ts";
import type { Registry } from "../connector/registry.ts";
import type { ConnectorInfo, ConnectorSource } from "./connector_info.ts";

/**
 * The connector a command names: a registered one, or with `--spec` the
 * spec file's (named `rest` or by the spec's own name).
 */
export async function resolveConnector(
  registry: Registry<ConnectorInfo>,
  source: ConnectorSource,
  name: string,
  spec: readonly string[] | string | undefined,
): Promise<ConnectorInfo> {
  const files = spec === undefined ? [] : [spec].flat();
  if (files.length > 1) throw new ConfigError("--spec takes one file");
  if (files.length === 0) return registry.get(name);
  const info = await source.describeSpec(files[0]!);
  if (name !== "rest" && name !== info.name) {
    throw new ConfigError(
      `--spec ${
        files[0]
      } describes connector "${info.name}", not "${name}": name it, or "rest"`,
    );
  }
  return info;
}
