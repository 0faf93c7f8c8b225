/**
 * `parseRateLimitHeaders`: the rate-limit quotas a response announces, in
 * GitHub's headers and in the IETF drafts' forms.
 *
 * @module
 */

import { parseMembers, type SfMember, unquote } from "./_structured_fields.ts";

/**
 * One quota as a response announced it.
 *
 * @example
 * ```ts
 * import type { RateReading } from "./parse_rate_limit_headers.ts";
 * const reading: RateReading = { key: "x-ratelimit", limit: 5000, remaining: 4999, resetAt: 1_700_000_000_000 };
 * ```
 */
export interface RateReading {
  /**
   * Which quota: `"x-ratelimit"` (or `"x-ratelimit:<resource>"` when GitHub
   * names one), `"ratelimit"` (the draft's `RateLimit-Limit/-Remaining/-Reset`
   * or its `limit=, remaining=, reset=` dictionary) or `"ietf:<policy>"`.
   */
  key: string;
  /** Requests per window, when announced. */
  limit?: number;
  /** Requests left in the current window. */
  remaining: number;
  /** When the window renews at the latest, in epoch ms of the `now` given to the parser. */
  resetAt: number;
  /** The window's length in ms, when announced (a policy's `w`). */
  windowMs?: number;
}

function num(text: string | null | undefined): number | undefined {
  if (text == null || text.trim() === "") return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

// Reset values are seconds-until-reset in the drafts and epoch seconds at
// GitHub; some APIs send epoch ms. Values below 1e9 cannot be a date after 2001.
function resetToMs(value: number, now: number): number {
  if (value >= 1e12) return value;
  if (value >= 1e9) return value * 1000;
  return now + value * 1000;
}

function withLimit(
  reading: RateReading,
  limit: number | undefined,
  windowS: number | undefined,
) {
  if (limit !== undefined) reading.limit = limit;
  if (windowS !== undefined && windowS > 0) reading.windowMs = windowS * 1000;
  return reading;
}

/**
 * Read every rate-limit quota a response announces: GitHub's
 * `X-RateLimit-Limit/-Remaining/-Reset` (reset in epoch seconds, or seconds
 * from now when below 1e9), the draft trio `RateLimit-Limit/-Remaining/-Reset`,
 * the draft dictionary `RateLimit: limit=100, remaining=50, reset=30` and the
 * structured form `RateLimit: "default";r=50;t=30` with
 * `RateLimit-Policy: "default";q=100;w=60`. A quota without a remaining count
 * or a reset time is skipped: it cannot be paced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRateLimitHeaders } from "./parse_rate_limit_headers.ts";
 * const now = 1_700_000_000_000;
 * const [r] = parseRateLimitHeaders(
 *   new Headers({ "ratelimit": '"default";r=50;t=30', "ratelimit-policy": '"default";q=100;w=60' }),
 *   now,
 * );
 * assert(r!.key === "ietf:default" && r!.remaining === 50 && r!.limit === 100);
 * assert(r!.resetAt === now + 30_000 && r!.windowMs === 60_000);
 * ```
 */
export function parseRateLimitHeaders(
  headers: Headers,
  now: number,
): RateReading[] {
  const out: RateReading[] = [];
  const x = xRateLimit(headers, now);
  if (x) out.push(x);
  const trio = draftTrio(headers, now);
  if (trio) out.push(trio);
  else {
    const structured = headers.get("ratelimit");
    if (structured !== null) {
      out.push(...draftStructured(structured, headers, now));
    }
  }
  return out;
}

// GitHub's X-RateLimit-Limit/-Remaining/-Reset (and -Resource).
function xRateLimit(headers: Headers, now: number): RateReading | undefined {
  const remaining = num(headers.get("x-ratelimit-remaining"));
  const reset = num(headers.get("x-ratelimit-reset"));
  if (remaining === undefined || reset === undefined) return undefined;
  const resource = headers.get("x-ratelimit-resource")?.trim();
  return withLimit(
    {
      key: resource ? `x-ratelimit:${resource}` : "x-ratelimit",
      remaining,
      resetAt: resetToMs(reset, now),
    },
    num(headers.get("x-ratelimit-limit")),
    undefined,
  );
}

// The drafts' RateLimit-Limit/-Remaining/-Reset.
function draftTrio(headers: Headers, now: number): RateReading | undefined {
  const remaining = num(headers.get("ratelimit-remaining"));
  const reset = num(headers.get("ratelimit-reset"));
  if (remaining === undefined || reset === undefined) return undefined;
  const limitHeader = headers.get("ratelimit-limit");
  // RateLimit-Limit: 100, 100;w=60  (older drafts; the window may sit in
  // RateLimit-Limit or in a numeric RateLimit-Policy: 100;w=60).
  const members = [
    ...parseMembers(limitHeader ?? ""),
    ...parseMembers(headers.get("ratelimit-policy") ?? ""),
  ];
  const w = members.map((m) => num(m.params.get("w"))).find((x) =>
    x !== undefined
  );
  return withLimit(
    { key: "ratelimit", remaining, resetAt: resetToMs(reset, now) },
    num(parseMembers(limitHeader ?? "")[0]?.value),
    w,
  );
}

// A RateLimit header: the draft dictionary `limit=, remaining=, reset=`, or
// the structured form `"policy";r=;t=` with its RateLimit-Policy.
function draftStructured(
  structured: string,
  headers: Headers,
  now: number,
): RateReading[] {
  const members = parseMembers(structured);
  const dict = new Map<string, string>();
  for (const m of members) {
    const eq = m.value.indexOf("=");
    if (eq > 0) {
      dict.set(
        m.value.slice(0, eq).trim().toLowerCase(),
        m.value.slice(eq + 1),
      );
    }
  }
  const remaining = num(dict.get("remaining"));
  const reset = num(dict.get("reset"));
  if (remaining !== undefined && reset !== undefined) {
    return [withLimit(
      { key: "ratelimit", remaining, resetAt: resetToMs(reset, now) },
      num(dict.get("limit")),
      undefined,
    )];
  }
  const policies = new Map<string, SfMember>();
  for (const p of parseMembers(headers.get("ratelimit-policy") ?? "")) {
    policies.set(unquote(p.value), p);
  }
  const out: RateReading[] = [];
  for (const m of members) {
    const name = unquote(m.value);
    const r = num(m.params.get("r"));
    const t = num(m.params.get("t"));
    if (r === undefined || t === undefined) continue;
    const policy = policies.get(name);
    out.push(withLimit(
      { key: `ietf:${name}`, remaining: r, resetAt: now + t * 1000 },
      num(policy?.params.get("q")),
      num(policy?.params.get("w")),
    ));
  }
  return out;
}
