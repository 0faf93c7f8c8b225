/**
 * The HTTP client: retries with backoff, Retry-After, per-host limiters
 * (fixed and adaptive) and the rate budget read from the source's headers.
 *
 * @module
 */
export * from "./adaptive_limiter.ts";
export * from "./basic_credentials.ts";
export * from "./http.ts";
export * from "./http1_agent.ts";
export * from "./limiter.ts";
export * from "./oauth2_token.ts";
export * from "./rate_budget.ts";
export * from "./request_auth.ts";
export * from "./use_http1_agent.ts";
