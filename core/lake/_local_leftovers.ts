/**
 * What writes to a local lake leave behind that a listing never shows:
 * hidden temp files of writes that never finished (a killed run) and the
 * folders they were written in.
 *
 * @module
 */
import type { Leftover } from "./storage.ts";

/** Temp names look like `.<name>.<hex>.tmp`: hidden, and never matched by `*.parquet`. */
export const TEMP_NAME = /^\..+\.[0-9a-f]{16}\.tmp$/;

/**
 * Temp files and folders under `prefix` (a lake path ending with `/`) in the
 * lake at `base`, deepest first, so discarding them in order empties a
 * folder before it is removed. A folder is removed only while empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLeftovers } from "./_local_leftovers.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.mkdir(`${dir}/s/_staging/run-1`, { recursive: true });
 *   await Deno.writeTextFile(`${dir}/s/_staging/run-1/.a.0123456789abcdef.tmp`, "");
 *   const found = await findLeftovers(dir, "s/_staging/");
 *   assert.deepEqual(found.map((l) => l.path), [
 *     "s/_staging/run-1/.a.0123456789abcdef.tmp",
 *     "s/_staging/run-1/",
 *   ]);
 *   for (const l of found) await l.discard();
 *   assert.deepEqual(await findLeftovers(dir, "s/_staging/"), []);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function findLeftovers(
  base: string,
  prefix: string,
): Promise<Leftover[]> {
  const out: Leftover[] = [];
  await walk(base, prefix.replace(/\/$/, ""), prefix, out);
  return out;
}

async function walk(
  base: string,
  dir: string,
  prefix: string,
  out: Leftover[],
): Promise<void> {
  const children: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(`${base}/${dir}`)) children.push(e);
  } catch (err) {
    // Not there (yet), or removed while we walk: nothing left in it.
    if (err instanceof Deno.errors.NotFound) return;
    if (err instanceof Deno.errors.NotADirectory) return;
    throw err;
  }
  children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of children) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) {
      await walk(base, rel, prefix, out);
      out.push(leftover(`${rel}/`, `${base}/${rel}`));
    } else if (e.isFile && TEMP_NAME.test(e.name)) {
      out.push(leftover(rel, `${base}/${rel}`));
    }
  }
}

function leftover(path: string, abs: string): Leftover {
  return {
    path,
    discard: async () => {
      try {
        await Deno.remove(abs);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return;
        // A folder that is not empty (again) stays.
        if ((err as { code?: string }).code === "ENOTEMPTY") return;
        throw err;
      }
    },
  };
}
