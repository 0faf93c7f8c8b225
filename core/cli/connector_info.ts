/**
 * What the CLI's own process knows of a connector: plain data a sandboxed
 * child describes (names, streams, hosts, secrets, options), never the
 * connector's code, which the CLI's process must not evaluate.
 *
 * @module
 */

import type { Connector } from "../connector/connector.ts";
import { ConfigError } from "../connector/errors.ts";
import type {
  ConnectorOption,
  Incremental,
  ParentRef,
  RangePartition,
  WriteDisposition,
} from "../connector/types.ts";

/**
 * A stream as data: what `list`, `state` and `query` read of it.
 *
 * @example
 * ```ts
 * import type { StreamInfo } from "./connector_info.ts";
 * const items: StreamInfo = { primaryKey: "id", writeDisposition: "merge" };
 * ```
 */
export interface StreamInfo {
  /** The field(s) that identify a record. */
  primaryKey: string | readonly string[];
  /** How a run's records meet earlier ones. @default {"append"} */
  writeDisposition?: WriteDisposition;
  /** Its incremental cursor. */
  incremental?: Pick<Incremental, "cursorField">;
  /** Its range partition. */
  partition?: Pick<RangePartition, "field">;
  /** The stream it takes inputs from. */
  parent?: Pick<ParentRef, "stream">;
}

/**
 * A connector as data (JSON), described by a child that evaluated its code.
 *
 * @example
 * ```ts
 * import type { ConnectorInfo } from "./connector_info.ts";
 * const shop: ConnectorInfo = {
 *   name: "shop", hosts: ["shop.example.com"], secrets: ["SHOP_TOKEN"],
 *   options: {}, streams: { orders: { primaryKey: "id" } },
 * };
 * ```
 */
export interface ConnectorInfo {
  /** Its name. */
  name: string;
  /** Its one line for `list`. */
  description?: string;
  /** The hosts the sandbox allows it. */
  hosts: readonly string[];
  /** The secret variables the sandbox allows it. */
  secrets: readonly string[];
  /** Its command-line options. */
  options: Readonly<
    Record<string, Pick<ConnectorOption, "description" | "multiple">>
  >;
  /** Its streams, by name. */
  streams: Readonly<Record<string, StreamInfo>>;
}

/**
 * Where the CLI gets its connectors: descriptions for everything it shows
 * and checks, and a connector's code only for a pull in this process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceOf } from "./connector_info.ts";
 * import demo from "../../connectors/demo.ts";
 * const source = sourceOf([demo]);
 * assert.equal((await source.describe())[0]?.name, "demo");
 * ```
 */
export interface ConnectorSource {
  /** Every connector, described. */
  describe(): Promise<readonly ConnectorInfo[]>;
  /** The connector of a `--spec` file, described. */
  describeSpec(spec: string): Promise<ConnectorInfo>;
  /** The connector itself (its code runs here); with `spec`, the spec's (named `rest` or by its name). */
  load(name: string, spec?: string): Promise<Connector>;
}

/**
 * The data of `connector`, as JSON can carry it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeConnector } from "./connector_info.ts";
 * import stripe from "../../connectors/stripe.ts";
 * assert.deepEqual(describeConnector(stripe).secrets, ["STRIPE_API_KEY"]);
 * ```
 */
export function describeConnector(connector: Connector): ConnectorInfo {
  const streams: Record<string, StreamInfo> = {};
  for (const [name, s] of Object.entries(connector.streams)) {
    streams[name] = {
      primaryKey: s.primaryKey,
      ...(s.writeDisposition ? { writeDisposition: s.writeDisposition } : {}),
      ...(s.incremental
        ? { incremental: { cursorField: s.incremental.cursorField } }
        : {}),
      ...(s.partition ? { partition: { field: s.partition.field } } : {}),
      ...(s.parent ? { parent: { stream: s.parent.stream } } : {}),
    };
  }
  const options: Record<
    string,
    Pick<ConnectorOption, "description" | "multiple">
  > = {};
  for (const [o, decl] of Object.entries(connector.options ?? {})) {
    options[o] = {
      description: decl.description,
      ...(decl.multiple ? { multiple: true } : {}),
    };
  }
  return {
    name: connector.name,
    ...(connector.description ? { description: connector.description } : {}),
    hosts: [...connector.hosts],
    secrets: [...connector.secrets],
    options,
    streams,
  };
}

/**
 * A source over connectors already evaluated in this process (tests, a
 * compiled binary whose baked permissions are its sandbox, a pull asked to
 * run here with `--no-sandbox`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceOf } from "./connector_info.ts";
 * import demo from "../../connectors/demo.ts";
 * assert.equal(await sourceOf(() => Promise.resolve([demo])).load("demo"), demo);
 * ```
 */
export function sourceOf(
  connectors: readonly Connector[] | (() => Promise<readonly Connector[]>),
): ConnectorSource {
  let all: Promise<readonly Connector[]> | undefined;
  const list = () =>
    all ??= typeof connectors === "function"
      ? connectors()
      : Promise.resolve(connectors);
  const load = async (name: string, spec?: string) => {
    if (spec !== undefined) {
      const { loadSpec } = await import("../spec/load_spec.ts");
      const c = await loadSpec(spec);
      if (name !== "rest" && name !== c.name) {
        throw new ConfigError(
          `--spec ${spec} describes connector "${c.name}", not "${name}"`,
        );
      }
      return c;
    }
    const c = (await list()).find((c) => c.name === name);
    if (!c) throw new RangeError(`Cannot load connector "${name}": unknown`);
    return c;
  };
  return {
    describe: async () => (await list()).map(describeConnector),
    describeSpec: async (spec) => describeConnector(await load("rest", spec)),
    load,
  };
}

/**
 * The description as the lake readers take a connector: `readStates`,
 * `resetState` and `queryLake` read only its name and its streams' names,
 * primary keys and write dispositions, all of which it carries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asLakeConnector } from "./connector_info.ts";
 * const c = asLakeConnector({ name: "x", hosts: [], secrets: [], options: {}, streams: {} });
 * assert.equal(c.name, "x");
 * ```
 */
export function asLakeConnector(info: ConnectorInfo): Connector {
  return info as unknown as Connector;
}
