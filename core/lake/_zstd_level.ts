/**
 * The zstd settings files are written with.
 *
 * @module
 */
import { constants } from "node:zlib";

/**
 * Level 1, not zstd's default 3: a pull compresses every byte it lands on
 * a machine that is also fetching, and level 1 costs about two thirds of
 * level 3's CPU for files a few percent larger (on the bench's records,
 * none: 20:1 at level 1, 17:1 at level 3).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
 * import { ZSTD_OPTIONS } from "./_zstd_level.ts";
 * const text = "{\"id\":1}\n".repeat(100);
 * const packed = zstdCompressSync(text, ZSTD_OPTIONS);
 * assert.equal(new TextDecoder().decode(zstdDecompressSync(packed)), text);
 * ```
 */
export const ZSTD_OPTIONS = {
  params: { [constants.ZSTD_c_compressionLevel]: 1 },
};
