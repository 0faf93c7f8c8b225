/**
 * `--help` and `--version` for the programs that parse their own flags
 * (`demo`, `new`, `compile`): answered before anything else runs, so asking
 * for help never pulls, writes or deletes anything.
 *
 * @module
 */

import { VERSION } from "./version.ts";

/**
 * The exit code when `values` asked for help (`help` printed) or the
 * version; `undefined` when the program should go on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpOrVersion } from "./_help_or_version.ts";
 * let out = "";
 * const io = { out: (t: string) => out += t };
 * assert.equal(helpOrVersion({ help: true }, io, "Usage: x\n"), 0);
 * assert.equal(out, "Usage: x\n");
 * assert.equal(helpOrVersion({}, io, "Usage: x\n"), undefined);
 * ```
 */
export function helpOrVersion(
  values: { help?: boolean | undefined; version?: boolean | undefined },
  io: { out: (text: string) => void },
  help: string,
): number | undefined {
  if (values.help) {
    io.out(help);
    return 0;
  }
  if (values.version) {
    io.out(`${VERSION}\n`);
    return 0;
  }
  return undefined;
}
