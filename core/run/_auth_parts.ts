/**
 * A connector's credential as request headers, query parameters, or a
 * token source the HTTP client asks before each request.
 *
 * @module
 */

import type { Connector } from "../connector/connector.ts";
import { ConfigError } from "../connector/errors.ts";
import type { Auth } from "../connector/types.ts";
import { basicCredentials } from "../http/basic_credentials.ts";
import { OAuth2Token } from "../http/oauth2_token.ts";
import type { RequestAuth } from "../http/request_auth.ts";

/** What the run sends to authenticate, and what it must never show. */
export interface AuthParts {
  headers: Record<string, string>;
  params: Record<string, string>;
  secrets: string[];
  /** A credential that changes during the run (OAuth2). */
  auth?: RequestAuth;
}

const NONE = (): AuthParts => ({ headers: {}, params: {}, secrets: [] });

/**
 * Read the auth secret(s) and turn them into headers, query parameters or a
 * token source. Throws {@linkcode ConfigError} naming a variable that is
 * not set (unless the auth is optional and its main variable unset).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authParts } from "./_auth_parts.ts";
 * import { defineConnector } from "../connector/connector.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 *
 * const c = defineConnector({
 *   name: "t",
 *   baseUrl: "http://127.0.0.1",
 *   auth: { type: "header", name: "Authorization", template: "Token {secret}", env: "T_TOKEN" },
 *   streams: {
 *     items: { path: "/x", primaryKey: "id", paginator: singlePaginator() },
 *   },
 * });
 * const parts = authParts(c, () => "s3cret");
 * assert.equal(parts.headers.Authorization, "Token s3cret");
 * assert.deepEqual(parts.secrets, ["s3cret", "Token s3cret"]);
 * ```
 */
export function authParts(
  c: Connector,
  env: (name: string) => string | undefined,
  tokenOptions: { fetch?: typeof fetch; timeoutMs?: number } = {},
): AuthParts {
  const auth = c.auth;
  if (auth.type === "none") return NONE();
  const read = (name: string, what: string, required = true) => {
    const value = env(name);
    if ((value === undefined || value === "") && required) {
      throw new ConfigError(
        `connector "${c.name}": environment variable ${name} is not set (it holds the ${what})`,
      );
    }
    return value || undefined;
  };
  const main = mainEnv(auth);
  if (auth.optional && !env(main)) return NONE();
  switch (auth.type) {
    case "bearer": {
      const value = read(auth.env, "bearer credential")!;
      return {
        headers: { authorization: `Bearer ${value}` },
        params: {},
        secrets: [value],
      };
    }
    case "header": {
      const value = read(auth.env, "header credential")!;
      const filled = (auth.template ?? "{secret}").replaceAll(
        "{secret}",
        value,
      );
      return {
        headers: { [auth.name]: filled },
        params: {},
        secrets: filled === value ? [value] : [value, filled],
      };
    }
    case "query": {
      const value = read(auth.env, "query credential")!;
      return { headers: {}, params: { [auth.name]: value }, secrets: [value] };
    }
    case "basic": {
      const user = read(auth.userEnv, "basic auth user")!;
      const password = read(auth.passwordEnv, "basic auth password")!;
      const value = basicCredentials(user, password);
      return {
        headers: { authorization: `Basic ${value}` },
        params: {},
        secrets: [password, value],
      };
    }
    case "oauth2": {
      const clientSecret = auth.clientSecretEnv === undefined
        ? undefined
        : read(auth.clientSecretEnv, "OAuth2 client secret");
      const refreshToken = auth.refreshTokenEnv === undefined
        ? undefined
        : read(auth.refreshTokenEnv, "OAuth2 refresh token");
      const token = new OAuth2Token({
        tokenUrl: auth.tokenUrl,
        grant: auth.grant,
        clientId: read(auth.clientIdEnv, "OAuth2 client id")!,
        ...(clientSecret ? { clientSecret } : {}),
        ...(refreshToken ? { refreshToken } : {}),
        ...(auth.scope ? { scope: auth.scope } : {}),
        ...(auth.clientAuth ? { clientAuth: auth.clientAuth } : {}),
        ...tokenOptions,
      });
      return { headers: {}, params: {}, secrets: [], auth: token };
    }
  }
}

// The variable whose absence makes an optional auth no auth.
function mainEnv(auth: Exclude<Auth, { type: "none" }>): string {
  switch (auth.type) {
    case "basic":
      return auth.passwordEnv;
    case "oauth2":
      return auth.clientIdEnv;
    default:
      return auth.env;
  }
}
