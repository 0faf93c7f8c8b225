/**
 * Loopback test servers and the contract kit for connector authors.
 *
 * @module
 */
export * from "./api_server.ts";
export * from "./fuzz_server.ts";
export * from "./github_server.ts";
export * from "./kit.ts";
export * from "./pokeapi_server.ts";
export * from "./s3_server.ts";
export * from "./stripe_server.ts";
