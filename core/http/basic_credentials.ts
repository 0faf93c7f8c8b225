/**
 * `basicCredentials()`: the value of an HTTP basic `Authorization` header.
 *
 * @module
 */

/**
 * `user:password`, UTF-8 then base64 (RFC 7617), without the `Basic ` prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basicCredentials } from "./basic_credentials.ts";
 * assert.equal(basicCredentials("Aladdin", "open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
 * ```
 */
export function basicCredentials(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}
