/**
 * A README example plugin, loaded as a module: the code a reader copies is
 * the code the tests run.
 *
 * @module
 */
import type { Connector } from "../core/connector/connector.ts";
import { ROOT } from "./_cli.ts";

/**
 * The TypeScript block after `marker` in README.md, its `../core/mod.ts` import
 * pointed at this checkout, and the connector it exports by default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readmeConnector } from "./_readme_example.ts";
 * const { connector, lines } = await readmeConnector("<!-- custom-paginator-example -->");
 * assert(connector.streams.docs !== undefined && lines <= 20);
 * ```
 */
export async function readmeConnector(
  marker: string,
): Promise<{ connector: Connector; lines: number }> {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md lacks ${marker}`);
  const code = /```ts\n([\s\S]*?\n)```/.exec(readme.slice(at))?.[1];
  if (!code) throw new Error(`README.md has no ts block after ${marker}`);
  const mod = new URL("../core/mod.ts", import.meta.url).href;
  const dir = await Deno.makeTempDir({ prefix: "inlet-readme-" });
  try {
    const file = `${dir}/example.ts`;
    await Deno.writeTextFile(
      file,
      code.replaceAll('"../core/mod.ts"', `"${mod}"`),
    );
    const { default: connector } = await import(`file://${file}`);
    return { connector, lines: code.trimEnd().split("\n").length };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
