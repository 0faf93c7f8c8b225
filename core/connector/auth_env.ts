/**
 * `authEnv()`: the environment variables an auth reads.
 *
 * @module
 */

import type { Auth } from "./types.ts";

/**
 * The environment variables `auth` reads its secrets from, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authEnv } from "./auth_env.ts";
 * assert.deepEqual(authEnv({ type: "bearer", env: "T" }), ["T"]);
 * assert.deepEqual(authEnv({ type: "basic", userEnv: "U", passwordEnv: "P" }), ["U", "P"]);
 * assert.deepEqual(authEnv({ type: "none" }), []);
 * ```
 */
export function authEnv(auth: Auth): string[] {
  switch (auth.type) {
    case "none":
      return [];
    case "basic":
      return [auth.userEnv, auth.passwordEnv];
    case "oauth2":
      return [auth.clientIdEnv, auth.clientSecretEnv, auth.refreshTokenEnv]
        .filter((e): e is string => e !== undefined);
    default:
      return [auth.env];
  }
}
