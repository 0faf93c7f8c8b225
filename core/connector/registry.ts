/**
 * The connector registry: names to connectors (or to their descriptions),
 * with no duplicates.
 *
 * @module
 */

import type { Connector } from "./connector.ts";
import { ConfigError } from "./errors.ts";

/**
 * Connectors by name. Refuses a duplicate name; answers an unknown name with
 * the list of known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Registry } from "./registry.ts";
 * import { defineConnector } from "./connector.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 * const one = defineConnector({
 *   name: "one",
 *   baseUrl: "https://one.example.com",
 *   streams: { a: { path: "/a", primaryKey: "id", paginator: singlePaginator() } },
 * });
 * const registry = new Registry([one]);
 * assert(registry.get("one") === one);
 * try {
 *   registry.get("two");
 * } catch (err) {
 *   assert((err as Error).message.includes("known connectors: one"));
 * }
 * ```
 */
export class Registry<C extends { readonly name: string } = Connector> {
  #byName = new Map<string, C>();

  /** Register every connector in `connectors`. */
  constructor(connectors: Iterable<C> = []) {
    for (const c of connectors) this.add(c);
  }

  /** Register one connector; a name already taken is a {@linkcode ConfigError}. */
  add(connector: C): void {
    if (this.#byName.has(connector.name)) {
      throw new ConfigError(
        `connector "${connector.name}" is registered twice`,
      );
    }
    this.#byName.set(connector.name, connector);
  }

  /** The connector called `name`, or a {@linkcode ConfigError} listing the known names. */
  get(name: string): C {
    const c = this.#byName.get(name);
    if (!c) {
      throw new ConfigError(
        `unknown connector "${name}"; known connectors: ${
          this.names().join(", ") || "(none)"
        }`,
      );
    }
    return c;
  }

  /** The registered names, sorted. */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** The registered connectors, sorted by name. */
  list(): C[] {
    return this.names().map((n) => this.#byName.get(n)!);
  }
}
