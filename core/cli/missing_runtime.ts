/**
 * Recognising, and explaining, a `deno compile` that could not fetch its
 * runtime (`denort`).
 *
 * @module
 */

/**
 * What `deno compile` could not fetch.
 *
 * @example
 * ```ts
 * import type { MissingRuntime } from "./missing_runtime.ts";
 * const m: MissingRuntime = {
 *   url: undefined, host: undefined, version: undefined, target: undefined,
 *   reason: "DENORT_BIN points at /opt/denort, which does not exist",
 * };
 * ```
 */
export interface MissingRuntime {
  /** Where the runtime comes from, e.g. `https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip`. */
  url: string | undefined;
  /** That URL's host. */
  host: string | undefined;
  /** The Deno version of the runtime. */
  version: string | undefined;
  /** The runtime's target triple. */
  target: string | undefined;
  /** The innermost cause `deno compile` gave (DNS failure, refused, 404...). */
  reason: string;
}

/**
 * Recognise the failure of `deno compile` to get its runtime, from its
 * stderr; `undefined` for any other failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diagnoseCompileFailure } from "./missing_runtime.ts";
 * const m = diagnoseCompileFailure(`error: Writing deno compile executable to temporary file 'x'
 *
 * Caused by:
 *     0: Setting up base binary.
 *     1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect)
 *     2: dns error
 * `);
 * assert(m?.host === "dl.deno.land" && m.version === "2.9.6");
 * assert(m?.reason === "client error (Connect)");
 * assert(diagnoseCompileFailure("error: Module not found") === undefined);
 * ```
 */
export function diagnoseCompileFailure(
  stderr: string,
): MissingRuntime | undefined {
  // deno colours its output unless NO_COLOR is set; match on plain text.
  // deno-lint-ignore no-control-regex
  const text = stderr.replace(/\x1b\[[0-9;]*m/g, "");
  const local = /Could not find denort at '([^']*)'/.exec(text);
  const baseBinary = /Setting up base binary/.test(text);
  const url = /https?:\/\/[^\s()'"]*\/denort-[^\s()'"]+?\.zip/.exec(text)?.[0];
  const requestFailed = url !== undefined &&
    new RegExp(
      `(error sending request|failed|status|timed out)[^\\n]*${
        escapeRegExp(url)
      }|${escapeRegExp(url)}[^\\n]*(error|failed|status|not found)`,
      "i",
    ).test(text);
  if (!local && !(url && (baseBinary || requestFailed))) return undefined;
  // Only the "Caused by:" chain: a backtrace below it numbers its frames too.
  const chain = text.split(/^Stack backtrace:/m)[0]!;
  const causes = [...chain.matchAll(/^\s*\d+: (.+)$/gm)].map((m) =>
    m[1]!.trim()
  );
  // The line naming the URL says most: "client error (Connect): dns error: ...".
  const afterUrl = url
    ? new RegExp(`${escapeRegExp(url)}\\):\\s*(.+)`).exec(chain)?.[1]
    : undefined;
  const reason = local
    ? `DENORT_BIN points at ${local[1]}, which does not exist`
    : afterUrl?.trim() ?? causes.at(-1) ?? /error: (.+)/.exec(chain)?.[1] ??
      "unknown error";
  const parts = url
    ? /\/v?(\d+\.\d+\.\d+[^/]*)\/denort-([^/]+)\.zip$/.exec(url)
    : null;
  return {
    url,
    host: url ? new URL(url).host : undefined,
    version: parts?.[1],
    target: parts?.[2],
    reason,
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The message for a runtime `deno compile` could not fetch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { missingRuntimeMessage } from "./missing_runtime.ts";
 * const text = missingRuntimeMessage({
 *   url: "https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
 *   host: "dl.deno.land", version: "2.9.6", target: "x86_64-unknown-linux-gnu", reason: "dns error",
 * });
 * assert(text.includes("cannot be fetched") && text.includes("DENORT_BIN"));
 * ```
 */
export function missingRuntimeMessage(
  m: MissingRuntime,
  entry = "core/cli/cli.ts",
): string {
  const what = `denort${m.version ? ` ${m.version}` : ""}${
    m.target ? ` for ${m.target}` : ""
  }`;
  return [
    `Cannot build the binary: deno compile needs its runtime, ${what}, and the runtime cannot be fetched${
      m.url ? ` from ${m.url}` : ""
    } (${m.reason}).`,
    `Checked before that step: the type check and module graph of ${entry}, and the permission lists above.`,
    `To build: run where ${
      m.host ?? "dl.deno.land"
    } is reachable (as on GitHub's runners), or set DENORT_BIN to a local denort of the same version.`,
  ].join("\n");
}
