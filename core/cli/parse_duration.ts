import { InvalidArgumentError } from "commander";

/**
 * Parse a duration like `5h`, `90m`, `1h30m` or `45s` into milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./parse_duration.ts";
 * assert(parseDuration("1h30m") === 5_400_000);
 * ```
 */
export function parseDuration(
  value: string,
  flag = "--max-duration",
): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!m || value === "" || !(m[1] || m[2] || m[3])) {
    throw new InvalidArgumentError(
      `${flag} must look like 5h, 90m, 1h30m or 45s, got "${value}"`,
    );
  }
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 +
    Number(m[3] ?? 0)) * 1000;
}
