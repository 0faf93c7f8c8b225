/**
 * Every connector inlet ships. Add yours to the list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import connectors from "./mod.ts";
 * assert(connectors.some((c) => c.name === "hackernews"));
 * ```
 *
 * @module
 */
import type { Connector } from "../core/mod.ts";
import demo from "./demo.ts";
import github from "./github.ts";
import hackernews from "./hackernews.ts";
import pokeapi from "./pokeapi.ts";
import rest from "./rest.ts";
import stripe from "./stripe.ts";

/** The registered connectors. */
const connectors: readonly Connector[] = [
  demo,
  github,
  hackernews,
  pokeapi,
  rest,
  stripe,
];
export default connectors;
