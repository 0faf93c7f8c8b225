/**
 * The declarative JSON spec: a connector written as data, parsed and
 * checked field by field, each error naming the spec and the field (with a
 * "did you mean" for a typo). The `rest` connector is its user.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorFromSpec } from "./mod.ts";
 * assert.throws(
 *   () => connectorFromSpec({ name: "x", baseUrl: "https://x.example", streams: {}, hots: [] }, "x.json"),
 *   /spec x\.json: hots is not a known field \(did you mean "hosts"\?\)/,
 * );
 * ```
 *
 * @module
 */
export { connectorFromSpec } from "./connector_from_spec.ts";
export { loadSpec } from "./load_spec.ts";
export { PAGINATOR_TYPES } from "./paginator_types.ts";
