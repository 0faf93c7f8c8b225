/**
 * Open a lake by its name.
 *
 * @module
 */

import { LocalStorage } from "../lake/local_storage.ts";
import type { Storage } from "../lake/storage.ts";

/**
 * Open a lake by its name: a folder, or `s3://bucket/prefix` (endpoint from
 * `INLET_S3_ENDPOINT`, credentials from the standard `AWS_*` variables).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openLake } from "./open_lake.ts";
 * const dir = await Deno.makeTempDir();
 * const lake = await openLake(dir);
 * assert(lake.root === dir);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openLake(
  lake: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Promise<Storage> {
  if (lake.startsWith("s3://")) {
    const { S3Storage } = await import("../lake/s3_storage.ts");
    return S3Storage.fromUrl(lake, { env });
  }
  return new LocalStorage(lake);
}
