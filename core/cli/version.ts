/**
 * inlet's version: the `version` of the project's `deno.json`, the one place
 * it is set (`0.0.0-dev` until it is).
 *
 * @module
 */

import config from "../../deno.json" with { type: "json" };

/**
 * The version every command prints for `--version`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VERSION } from "./version.ts";
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION: string = (config as { version?: string }).version ??
  "0.0.0-dev";
