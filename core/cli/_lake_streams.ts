/**
 * What the commands that read or maintain a connector's lake (`state`,
 * `compact`, `expire`) start from: the connector, its lake, and the
 * streams asked for (all when none is named).
 *
 * @module
 */
import { ConfigError } from "../connector/errors.ts";
import type { Registry } from "../connector/registry.ts";
import type { Storage } from "../lake/storage.ts";
import { openLake } from "../run/open_lake.ts";
import {
  asLakeConnector,
  type ConnectorInfo,
  type ConnectorSource,
} from "./connector_info.ts";
import { resolveConnector } from "./_resolve_connector.ts";
import type { CliIO } from "./cli_io.ts";

/** The options every lake command takes. */
export interface LakeStreamOptions {
  /** Streams named with `--stream`; none means every stream. */
  stream: string[];
  /** `--lake`: a folder or `s3://bucket/prefix`. */
  lake: string;
  /** `--spec`: a JSON spec file to take the connector from. */
  spec?: string;
}

/**
 * The connector `name`, its lake opened, and the streams to work on; a
 * stream the connector does not have is a {@linkcode ConfigError}.
 */
export async function lakeStreams(
  registry: Registry<ConnectorInfo>,
  source: ConnectorSource,
  io: CliIO,
  name: string,
  opts: LakeStreamOptions,
): Promise<{
  connector: ReturnType<typeof asLakeConnector>;
  storage: Storage;
  streams: string[];
}> {
  const connector = asLakeConnector(
    await resolveConnector(registry, source, name, opts.spec),
  );
  for (const s of opts.stream) {
    if (!connector.streams[s]) {
      throw new ConfigError(
        `connector "${connector.name}" has no stream "${s}"`,
      );
    }
  }
  const storage = await openLake(opts.lake, io.env);
  const streams = opts.stream.length
    ? opts.stream
    : Object.keys(connector.streams);
  return { connector, storage, streams };
}
