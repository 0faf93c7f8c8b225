/**
 * Secret redaction for everything the HTTP layer shows to a human: URLs kept
 * in errors and events, messages, body excerpts and wrapped causes.
 *
 * @module
 */

import type { RequestAuth } from "./request_auth.ts";

/** What a secret is replaced by. */
export const REDACTED = "***";

/**
 * A function that replaces every listed secret in a text by `***`. A secret
 * is also matched in its URL-encoded forms, since query-key auth puts it in
 * the URL encoded. Empty secrets are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactor } from "./_redact.ts";
 * const redact = redactor(["s3cr/t"]);
 * assert(redact("https://x.test/?key=s3cr%2Ft") === "https://x.test/?key=***");
 * assert(redact("token s3cr/t") === "token ***");
 * ```
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== "string" || s === "") continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(new URLSearchParams({ s }).toString().slice(2));
    forms.add(encodeURI(s));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const list = [...forms].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const form of list) out = out.replaceAll(form, REDACTED);
    return out;
  };
}

/**
 * A copy of an error (and its `cause` chain) with secrets redacted from
 * messages and stacks, keeping the name. Non-errors become strings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactError, redactor } from "./_redact.ts";
 * const err = new TypeError("fetch failed", { cause: new Error("GET https://x.test/?k=abc") });
 * const safe = redactError(err, redactor(["abc"]));
 * assert(safe.name === "TypeError");
 * assert((safe.cause as Error).message === "GET https://x.test/?k=***");
 * ```
 */
export function redactError(
  err: unknown,
  redact: (text: string) => string,
  depth = 0,
): Error {
  if (!(err instanceof Error)) return new Error(redact(String(err)));
  const cause = err.cause !== undefined && depth < 8
    ? { cause: redactError(err.cause, redact, depth + 1) }
    : undefined;
  const copy = new Error(redact(err.message), cause);
  copy.name = err.name;
  if (err.stack !== undefined) copy.stack = redact(err.stack);
  return copy;
}

/**
 * A {@linkcode redactor} of the fixed secrets and of a changing
 * credential's (an OAuth2 token obtained mid-run), rebuilt when it has new
 * ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveRedactor } from "./_redact.ts";
 * const live = ["tok-1"];
 * const redact = liveRedactor(["k"], {
 *   headers: () => Promise.resolve({}),
 *   renew: () => Promise.resolve(),
 *   secrets: () => live,
 * });
 * live.push("tok-2");
 * assert.equal(redact("k tok-1 tok-2"), "*** *** ***");
 * ```
 */
export function liveRedactor(
  fixed: readonly string[],
  auth: RequestAuth | undefined,
): (text: string) => string {
  let seen = -1;
  let redact = redactor(fixed);
  if (!auth) return redact;
  return (text) => {
    const live = auth.secrets();
    if (live.length !== seen) {
      seen = live.length;
      redact = redactor([...fixed, ...live]);
    }
    return redact(text);
  };
}
