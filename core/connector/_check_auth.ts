/**
 * A connector's auth checked when it is defined: every field a kind needs,
 * each variable name UPPER_CASE, an OAuth2 token endpoint on a declared host.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { Auth } from "./types.ts";

const ENV = /^[A-Z_][A-Z0-9_]*$/;
const TYPES = "none, bearer, header, query, basic or oauth2";

/**
 * Throw a {@linkcode ConfigError} naming the first bad field of `auth`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAuth } from "./_check_auth.ts";
 * checkAuth("c", { type: "basic", userEnv: "U", passwordEnv: "P" }, ["x"]);
 * assert.throws(
 *   () => checkAuth("c", { type: "oauth2", grant: "client_credentials", tokenUrl: "https://evil.test/t", clientIdEnv: "I", clientSecretEnv: "S" }, ["api.test"]),
 *   /auth\.tokenUrl host "evil\.test" is not one of the connector's hosts/,
 * );
 * ```
 */
export function checkAuth(
  at: string,
  auth: Auth,
  hosts: readonly string[],
): void {
  const a = auth as Record<string, unknown>;
  const env = (k: string, required = true) => {
    if (a[k] === undefined && !required) return;
    if (typeof a[k] !== "string" || !ENV.test(a[k])) {
      throw new ConfigError(
        `${at}: auth.${k} must name an environment variable (UPPER_CASE), got ${
          JSON.stringify(a[k])
        }`,
      );
    }
  };
  const text = (k: string) => {
    if (typeof a[k] !== "string" || a[k] === "") {
      throw new ConfigError(`${at}: auth.${k} is required for ${a.type} auth`);
    }
  };
  switch (auth.type) {
    case "none":
      return;
    case "bearer":
    case "query":
      env("env");
      if (auth.type === "query") text("name");
      return;
    case "header":
      env("env");
      text("name");
      if (
        auth.template !== undefined &&
        (typeof auth.template !== "string" ||
          !auth.template.includes("{secret}"))
      ) {
        throw new ConfigError(
          `${at}: auth.template must hold {secret}, got ${
            JSON.stringify(auth.template)
          }`,
        );
      }
      return;
    case "basic":
      env("userEnv");
      env("passwordEnv");
      return;
    case "oauth2":
      return checkOAuth2(at, auth, hosts, env);
    default:
      throw new ConfigError(
        `${at}: auth.type must be ${TYPES}, got ${
          JSON.stringify((auth as { type: unknown }).type)
        }`,
      );
  }
}

function checkOAuth2(
  at: string,
  auth: Extract<Auth, { type: "oauth2" }>,
  hosts: readonly string[],
  env: (k: string, required?: boolean) => void,
): void {
  if (auth.grant !== "client_credentials" && auth.grant !== "refresh_token") {
    throw new ConfigError(
      `${at}: auth.grant must be client_credentials or refresh_token, got ${
        JSON.stringify(auth.grant)
      }`,
    );
  }
  env("clientIdEnv");
  env("clientSecretEnv", auth.grant === "client_credentials");
  env("refreshTokenEnv", auth.grant === "refresh_token");
  if (
    auth.clientAuth !== undefined && auth.clientAuth !== "basic" &&
    auth.clientAuth !== "body"
  ) {
    throw new ConfigError(
      `${at}: auth.clientAuth must be basic or body, got ${
        JSON.stringify(auth.clientAuth)
      }`,
    );
  }
  if (auth.scope !== undefined && typeof auth.scope !== "string") {
    throw new ConfigError(`${at}: auth.scope must be a string`);
  }
  let url: URL;
  try {
    url = new URL(auth.tokenUrl);
  } catch {
    throw new ConfigError(
      `${at}: auth.tokenUrl must be an http(s) URL, got ${
        JSON.stringify(auth.tokenUrl)
      }`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`${at}: auth.tokenUrl must be http(s)`);
  }
  // The sandbox lets the run reach only the declared hosts: a token
  // endpoint elsewhere would fail there, or leak credentials to it.
  if (!hosts.includes(url.host) && !hosts.includes(url.hostname)) {
    throw new ConfigError(
      `${at}: auth.tokenUrl host "${url.host}" is not one of the connector's hosts (${
        hosts.join(", ")
      }); add it to hosts`,
    );
  }
}
