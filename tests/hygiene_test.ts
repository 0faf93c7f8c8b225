/**
 * Checks on the project's own text that no other tool makes.
 *
 * `console` `.assert` never fails a test in Deno: a false one prints
 * "Assertion failed" and the example still passes. Doc examples use
 * `assert` from `node:assert/strict`, and this test keeps it that way.
 */
import assert from "node:assert/strict";
import { ROOT } from "./_cli.ts";

const SCANNED = ["core", "connectors", "tests", ".ci", ".github", "README.md"];
const SKIP = new Set(["node_modules", "lake", ".git"]);

async function* textFiles(path: string): AsyncGenerator<string> {
  const info = await Deno.stat(path);
  if (info.isFile) {
    yield path;
    return;
  }
  for await (const entry of Deno.readDir(path)) {
    if (SKIP.has(entry.name)) continue;
    yield* textFiles(`${path}/${entry.name}`);
  }
}

Deno.test("no console-dot-assert anywhere in the project: it cannot fail a test", async () => {
  const needle = ["console", "assert"].join(".");
  const found: string[] = [];
  for (const top of SCANNED) {
    for await (const file of textFiles(`${ROOT}/${top}`)) {
      const text = await Deno.readTextFile(file);
      text.split("\n").forEach((line, i) => {
        if (line.includes(needle)) {
          found.push(`${file.slice(ROOT.length + 1)}:${i + 1}`);
        }
      });
    }
  }
  assert.deepEqual(found, []);
});

Deno.test("every connector the README shows is at most 20 lines of code", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const blocks = [...readme.matchAll(/^(`{3,4})(ts|json)\n([\s\S]*?)^\1$/gm)];
  const long: string[] = [];
  for (const [, , , body] of blocks) {
    if (!/defineConnector\(|"streams"/.test(body!)) continue;
    // Code lines: JSDoc and blank lines aside.
    const code = body!.split("\n").filter((l) =>
      l.trim() !== "" && !/^\s*(\/\*\*|\*)/.test(l)
    );
    if (code.length > 20) long.push(`${code.length}: ${code[0]}`);
  }
  assert.ok(blocks.length > 5, "README code blocks found");
  assert.deepEqual(long, []);
});
