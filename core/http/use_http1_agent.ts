/**
 * Whether a run sends its GETs on inlet's own HTTP/1.1 connections
 * ({@linkcode Http1Agent}) rather than through Deno's `fetch`.
 *
 * @module
 */

// deno-lint-ignore no-unused-vars
import type { Http1Agent } from "./http1_agent.ts";

/** Environment variables that make Deno's `fetch` go through a proxy. */
const PROXY_VARS = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
];

/**
 * Whether a run uses an {@linkcode Http1Agent}: yes unless `INLET_HTTP=fetch`
 * says no, or a proxy is set or the variables that would set one cannot be
 * read, since only `fetch` speaks to proxies. A sandboxed child learns from
 * `INLET_PROXY_SET` what its parent saw.
 *
 * @example
 * ```ts
 * import { useHttp1Agent } from "./use_http1_agent.ts";
 * console.log(useHttp1Agent() ? "inlet's own connections" : "fetch");
 * ```
 */
export function useHttp1Agent(): boolean {
  const read = (name: string): string | undefined => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  };
  if (read("INLET_HTTP") === "fetch") return false;
  const told = read("INLET_PROXY_SET");
  if (told === "0" || told === "1") return told === "0";
  return !proxySet();
}

/**
 * Whether an environment variable sets a proxy for `fetch`, or could:
 * true when they cannot be read.
 *
 * @example
 * ```ts
 * import { proxySet } from "./use_http1_agent.ts";
 * console.log(proxySet() ? "through a proxy" : "direct");
 * ```
 */
export function proxySet(): boolean {
  try {
    return PROXY_VARS.some((v) => Boolean(Deno.env.get(v)));
  } catch {
    return true;
  }
}
