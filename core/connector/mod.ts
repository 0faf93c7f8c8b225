/**
 * What a connector is: its types, `defineConnector()`, the registry, the
 * typed errors, and JSON paths into a response. Imports nothing of core/.
 *
 * @module
 */
export * from "./auth_env.ts";
export * from "./check_transforms.ts";
export * from "./closest.ts";
export * from "./column_type.ts";
export * from "./connector.ts";
export * from "./errors.ts";
export * from "./exact_json.ts";
export * from "./json_path.ts";
export * from "./registry.ts";
export * from "./types.ts";
