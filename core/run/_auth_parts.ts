/**
 * A connector's credential as request headers or query parameters.
 *
 * @module
 */

import type { Connector } from "../connector/connector.ts";
import { ConfigError } from "../connector/errors.ts";

/**
 * Read the auth secret and turn it into headers or query parameters.
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
 *   auth: { type: "bearer", env: "T_TOKEN" },
 *   streams: {
 *     items: { path: "/x", primaryKey: "id", paginator: singlePaginator() },
 *   },
 * });
 * const parts = authParts(c, () => "s3cret");
 * assert.equal(parts.headers.authorization, "Bearer s3cret");
 * ```
 */
export function authParts(
  c: Connector,
  env: (name: string) => string | undefined,
): {
  headers: Record<string, string>;
  params: Record<string, string>;
  secrets: string[];
} {
  const auth = c.auth;
  if (auth.type === "none") return { headers: {}, params: {}, secrets: [] };
  const value = env(auth.env);
  if (value === undefined || value === "") {
    if (auth.optional) return { headers: {}, params: {}, secrets: [] };
    throw new ConfigError(
      `connector "${c.name}": environment variable ${auth.env} is not set (it holds the ${auth.type} credential)`,
    );
  }
  switch (auth.type) {
    case "bearer":
      return {
        headers: { authorization: `Bearer ${value}` },
        params: {},
        secrets: [value],
      };
    case "header":
      return { headers: { [auth.name]: value }, params: {}, secrets: [value] };
    case "query":
      return { headers: {}, params: { [auth.name]: value }, secrets: [value] };
  }
}
