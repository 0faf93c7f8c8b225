/**
 * With `--log-format json` every line on stderr is one JSON object: text
 * that is not (a usage error, a warning) is wrapped as a `message` event.
 *
 * @module
 */

/**
 * A writer that passes on JSON object lines as they are and wraps any
 * other line as `{"at":…,"type":"message","text":…}`; a line is written
 * once its newline arrives. Empty lines are dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonLines } from "./_json_lines.ts";
 * const out: string[] = [];
 * const err = jsonLines((t) => out.push(t), () => "T");
 * err('{"type":"run_start"}\n');
 * err("error: unknown option '--x'\n(run with --help for usage)\n");
 * assert.deepEqual(out.map((l) => JSON.parse(l).type), ["run_start", "message", "message"]);
 * assert.equal(JSON.parse(out[1]!).text, "error: unknown option '--x'");
 * ```
 */
export function jsonLines(
  write: (text: string) => void,
  now: () => string = () => new Date().toISOString(),
): (text: string) => void {
  let pending = "";
  return (text) => {
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === "") continue;
      write(
        (isJsonObject(line)
          ? line
          : JSON.stringify({ at: now(), type: "message", text: line })) + "\n",
      );
    }
  };
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith("{")) return false;
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null &&
      !Array.isArray(value);
  } catch {
    return false;
  }
}
