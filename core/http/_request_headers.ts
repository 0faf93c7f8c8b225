/**
 * The headers of a request and of each of its attempts, copied only when
 * they differ from the client's own.
 *
 * @module
 */

import type { HttpRequest } from "./http_request.ts";

/**
 * A request's headers: the client's own `base` as they are for a plain GET
 * (fetch copies them into its request, so one object serves every request),
 * else a copy with the request's headers and a POST's content type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestHeaders } from "./_request_headers.ts";
 * const base = new Headers({ accept: "application/json" });
 * assert.equal(requestHeaders(base, { url: "http://h/" }), base);
 * const post = requestHeaders(base, { url: "http://h/", method: "POST" });
 * assert.equal(post.get("content-type"), "application/json");
 * assert.equal(base.get("content-type"), null);
 * ```
 */
export function requestHeaders(base: Headers, req: HttpRequest): Headers {
  if (req.headers === undefined && req.method !== "POST") return base;
  const headers = new Headers(base);
  for (const [k, v] of new Headers(req.headers)) headers.set(k, v);
  if (req.method === "POST" && !headers.has("content-type")) {
    headers.set("content-type", "application/json");
  }
  return headers;
}

/**
 * An attempt's headers: the request's, with a credential's `sent` headers
 * over them, in a copy (the request's may be the client's own, shared).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withAuth } from "./_request_headers.ts";
 * const base = new Headers({ accept: "application/json" });
 * assert.equal(withAuth(base, undefined), base);
 * const h = withAuth(base, { authorization: "Bearer t" });
 * assert.equal(h.get("authorization"), "Bearer t");
 * assert.equal(base.get("authorization"), null);
 * ```
 */
export function withAuth(
  headers: Headers,
  sent: Record<string, string> | undefined,
): Headers {
  if (sent === undefined) return headers;
  const copy = new Headers(headers);
  for (const [k, v] of Object.entries(sent)) copy.set(k, v);
  return copy;
}
