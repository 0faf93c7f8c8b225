import { ConfigError } from "../connector/errors.ts";

/** The error for a connector name none of `connectors` has. */
export function unknownConnector(
  name: string,
  connectors: readonly { readonly name: string }[],
): ConfigError {
  return new ConfigError(
    `unknown connector "${name}"; known connectors: ${
      connectors.map((c) => c.name).sort().join(", ") || "(none)"
    }`,
  );
}
