/**
 * `RequestAuth`: credentials that change during a run (an OAuth2 token),
 * asked for before each request and renewed when the source refuses them.
 *
 * @module
 */

/**
 * What the HTTP client asks a changing credential for. The client sends
 * `headers()` with every attempt; on a 401 it calls `renew()` with the
 * headers that were refused and retries once; a second 401 fails. Every
 * value in `secrets()` is masked in every URL, message and error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RequestAuth } from "./request_auth.ts";
 * let n = 0;
 * const auth: RequestAuth = {
 *   headers: () => Promise.resolve({ authorization: `Bearer t${n}` }),
 *   renew: () => Promise.resolve(void n++),
 *   secrets: () => [`t${n}`],
 * };
 * await auth.renew({});
 * assert.deepEqual(await auth.headers(), { authorization: "Bearer t1" });
 * ```
 */
export interface RequestAuth {
  /** Headers for the next attempt, obtaining or renewing the credential first when needed. */
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /** The source answered 401 to `refused`: make the next `headers()` carry a new credential. */
  renew(refused: Record<string, string>, signal?: AbortSignal): Promise<void>;
  /** The secret values to mask now. */
  secrets(): readonly string[];
}
