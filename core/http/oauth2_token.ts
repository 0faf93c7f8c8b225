/**
 * `OAuth2Token`: an OAuth2 access token (client credentials or refresh
 * token grant, RFC 6749 §4.4 and §6), kept in memory only, renewed before
 * it expires and when the source refuses it.
 *
 * @module
 */

import { backoffDelay, sleep as realSleep } from "../async/backoff.ts";
import { HttpError, NetworkError } from "../connector/errors.ts";
import { basicCredentials } from "./basic_credentials.ts";
import type { RequestAuth } from "./request_auth.ts";
import { redactError, redactor } from "./_redact.ts";
import { excerptOf } from "./_failure.ts";

/**
 * Options of {@linkcode OAuth2Token}.
 *
 * @example
 * ```ts
 * import type { OAuth2TokenOptions } from "./oauth2_token.ts";
 * const o: OAuth2TokenOptions = {
 *   tokenUrl: "https://auth.example.com/token",
 *   grant: "client_credentials",
 *   clientId: "id",
 *   clientSecret: "secret",
 * };
 * ```
 */
export interface OAuth2TokenOptions {
  /** The token endpoint. */
  tokenUrl: string;
  /** How a token is obtained. */
  grant: "client_credentials" | "refresh_token";
  /** The client id. */
  clientId: string;
  /** The client secret (none: a public client). */
  clientSecret?: string;
  /** The refresh token (required for the `refresh_token` grant). */
  refreshToken?: string;
  /** Scopes asked for, space separated. */
  scope?: string;
  /** Client authentication at the endpoint. @default {"basic"} */
  clientAuth?: "basic" | "body";
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Clock, epoch ms: when the token expires. @default Date.now */
  now?: () => number;
  /** Timeout of one token request, in ms. @default 30_000 */
  timeoutMs?: number;
  /** Attempts per token request (network errors and 5xx are retried). @default 3 */
  maxAttempts?: number;
  /** Waits between attempts. @default a timer */
  sleep?: (ms: number) => Promise<void>;
}

/** Renew this long before the stated expiry (or at half the lifetime, if shorter). */
const EARLY_MS = 30_000;

/**
 * An OAuth2 bearer token for the {@linkcode HttpClient}: fetched on first
 * use, renewed when it is about to expire (`expires_in`) or when a request
 * is refused with a 401; one renewal at a time, shared by every request. A
 * refresh token the server rotates replaces the old one in memory. Every
 * token, the client secret and the refresh tokens are in `secrets()`, so the
 * client masks them; nothing is written anywhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OAuth2Token } from "./oauth2_token.ts";
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   Response.json({ access_token: "tok-1", token_type: "Bearer", expires_in: 3600 }));
 * const token = new OAuth2Token({
 *   tokenUrl: `http://127.0.0.1:${server.addr.port}/token`,
 *   grant: "client_credentials",
 *   clientId: "id",
 *   clientSecret: "s3cret",
 * });
 * assert.deepEqual(await token.headers(), { authorization: "Bearer tok-1" });
 * assert(token.secrets().includes("s3cret") && token.secrets().includes("tok-1"));
 * ```
 */
export class OAuth2Token implements RequestAuth {
  #o: OAuth2TokenOptions;
  #refreshToken: string | undefined;
  #token: string | undefined;
  #expiresAt = Infinity;
  #pending: Promise<void> | undefined;
  #secrets: string[] = [];
  #now: () => number;

  /** Build the token source; nothing is fetched until the first request. */
  constructor(options: OAuth2TokenOptions) {
    if (options.grant === "refresh_token" && !options.refreshToken) {
      throw new TypeError(
        "Cannot use the refresh_token grant: no refresh token given",
      );
    }
    this.#o = options;
    this.#refreshToken = options.refreshToken;
    this.#now = options.now ?? Date.now;
    this.#keep(options.clientSecret, options.refreshToken);
    if (options.clientSecret !== undefined) {
      this.#keep(basicCredentials(options.clientId, options.clientSecret));
    }
  }

  /** Headers with a token that is not about to expire. */
  async headers(): Promise<Record<string, string>> {
    if (this.#token === undefined || this.#now() >= this.#expiresAt) {
      await this.#renewOnce(this.#token);
    }
    return { authorization: `Bearer ${this.#token}` };
  }

  /** Renew unless the refused token was already replaced. */
  async renew(refused: Record<string, string>): Promise<void> {
    const sent = refused.authorization ?? refused.Authorization;
    if (sent === `Bearer ${this.#token}`) await this.#renewOnce(this.#token);
  }

  /** Every secret seen: client secret, refresh tokens, access tokens. */
  secrets(): readonly string[] {
    return this.#secrets;
  }

  #keep(...values: Array<string | undefined>): void {
    for (const v of values) {
      if (v && !this.#secrets.includes(v)) this.#secrets.push(v);
    }
  }

  // One renewal at a time: requests that find the same stale token share it.
  #renewOnce(stale: string | undefined): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.#token !== stale) return Promise.resolve();
    this.#pending = this.#fetchToken().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetchToken(): Promise<void> {
    const o = this.#o;
    const redact = redactor(this.#secrets);
    const url = redact(o.tokenUrl);
    const attempts = o.maxAttempts ?? 3;
    for (let attempt = 1;; attempt++) {
      let res: Response;
      try {
        res = await (o.fetch ?? fetch)(o.tokenUrl, this.#request());
      } catch (err) {
        if (attempt < attempts) {
          await (o.sleep ?? realSleep)(backoffDelay(attempt - 1, {}));
          continue;
        }
        throw new NetworkError(
          url,
          `token request failed: ${redact(String((err as Error)?.message))}`,
          {},
          { cause: redactError(err, redact) },
        );
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (res.status >= 500 && attempt < attempts) {
        await (o.sleep ?? realSleep)(backoffDelay(attempt - 1, {}));
        continue;
      }
      if (res.status < 200 || res.status > 299) {
        const body = redact(excerptOf(bytes));
        throw new HttpError(res.status, url, body ? { body } : {});
      }
      return this.#take(bytes, url);
    }
  }

  #request(): RequestInit {
    const o = this.#o;
    const form = new URLSearchParams({ grant_type: o.grant });
    if (o.grant === "refresh_token") {
      form.set("refresh_token", this.#refreshToken!);
    }
    if (o.scope) form.set("scope", o.scope);
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if ((o.clientAuth ?? "basic") === "basic" && o.clientSecret !== undefined) {
      headers.authorization = `Basic ${
        basicCredentials(o.clientId, o.clientSecret)
      }`;
    } else {
      form.set("client_id", o.clientId);
      if (o.clientSecret !== undefined) {
        form.set("client_secret", o.clientSecret);
      }
    }
    return {
      method: "POST",
      headers,
      body: form.toString(),
      signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
    };
  }

  // Reads a token answer (RFC 6749 §5.1); a bad one fails naming the field.
  #take(bytes: Uint8Array, url: string): void {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch { /* reported below */ }
    const token = body?.access_token;
    const type = body?.token_type;
    if (typeof token !== "string" || token === "") {
      throw new HttpError(200, url, {
        body: "the token answer has no access_token",
      });
    }
    // Masked from now on, before anything can show it.
    this.#keep(token);
    if (typeof type === "string" && type.toLowerCase() !== "bearer") {
      throw new HttpError(200, url, {
        body: `token_type ${JSON.stringify(type)} is not bearer`,
      });
    }
    if (typeof body.refresh_token === "string" && body.refresh_token) {
      this.#refreshToken = body.refresh_token;
      this.#keep(body.refresh_token);
    }
    const life = Number(body.expires_in);
    this.#expiresAt = body.expires_in !== undefined && life > 0
      ? this.#now() + life * 1000 - Math.min(EARLY_MS, life * 500)
      : Infinity;
    this.#token = token;
  }
}
