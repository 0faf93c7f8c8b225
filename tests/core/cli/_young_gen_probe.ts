/**
 * Entry for a sandboxed child in `pull_v8_flags_test.ts`: allocates pages
 * of parsed JSON, keeping the last 200 (as a page loop keeps pages in
 * flight), and prints the largest size V8 gave the young generation's new
 * space, in MiB. With V8's defaults it reaches 32; `--max-semi-space-size=8`
 * holds it to 16.
 *
 * @module
 */

import v8 from "node:v8";

const kept: unknown[] = [];
let most = 0;
for (let i = 0; i < 3000; i++) {
  const rows = Array.from({ length: 50 }, (_, j) => ({
    id: i * 50 + j,
    name: "x".repeat(100),
  }));
  kept.push(JSON.parse(JSON.stringify(rows)));
  if (kept.length > 200) kept.shift();
  const space = v8.getHeapSpaceStatistics()
    .find((s) => s.space_name === "new_space");
  most = Math.max(most, space?.space_size ?? 0);
}
console.log(JSON.stringify({ newSpaceMiB: most / 2 ** 20 }));
