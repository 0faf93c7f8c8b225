/**
 * A spec file read, parsed and checked.
 *
 * @module
 */
import { ConfigError, type Connector } from "../connector/mod.ts";
import { connectorFromSpec } from "./connector_from_spec.ts";

/**
 * Read and check a spec file; the connector it describes. Errors (a missing
 * file, bad JSON, a bad field) are {@linkcode ConfigError}s naming the file.
 *
 * The CLI calls this for `deno task pull rest --spec my-api.json` and pulls
 * the result, into `<lake>/<spec name>/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSpec } from "./load_spec.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const file = `${dir}/todo.json`;
 *   await Deno.writeTextFile(file, JSON.stringify({
 *     name: "todo",
 *     baseUrl: "https://todo.example.com",
 *     streams: { tasks: { path: "/tasks", primaryKey: "id", paginator: { type: "link" } } },
 *   }));
 *   assert.equal((await loadSpec(file)).name, "todo");
 *   await Deno.writeTextFile(file, "{ not json");
 *   await assert.rejects(loadSpec(file), /todo\.json is not valid JSON/);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function loadSpec(path: string): Promise<Connector> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const why = cause instanceof Deno.errors.NotFound
      ? "no such file"
      : (cause as Error).message;
    throw new ConfigError(`spec ${path}: cannot read it: ${why}`, { cause });
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(
      `spec ${path} is not valid JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  return connectorFromSpec(spec, path);
}
