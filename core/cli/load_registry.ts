/**
 * A registry: where connectors come from. Either a module whose default
 * export is a connector or a list of them, or a folder of connectors:
 * its `mod.ts` (a list) when it has one, else each plugin file
 * (`<name>.ts`, `export default defineConnector(...)`), plus each JSON
 * spec (`<name>.json`), registered by its name with no code.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Connector } from "../connector/connector.ts";
import { ConfigError } from "../connector/errors.ts";
import { loadSpec } from "../spec/load_spec.ts";

/** A connector and the file it came from (for a duplicate's error). */
interface Found {
  connector: Connector;
  from: string;
}

function isConnector(value: unknown): value is Connector {
  return typeof value === "object" && value !== null &&
    typeof (value as Connector).name === "string" &&
    typeof (value as Connector).streams === "object";
}

async function fromModule(url: string): Promise<Found[]> {
  const mod = (await import(url)) as { default?: unknown };
  const value = mod.default;
  const list = Array.isArray(value) ? value : [value];
  if (value === undefined || !list.every(isConnector)) {
    throw new ConfigError(
      `Cannot load connectors from ${url}: its default export must be a connector (defineConnector) or a list of them`,
    );
  }
  return list.map((connector) => ({ connector, from: url }));
}

// Plugin files: not helpers (`_x.ts`), tests or declarations.
const PLUGIN = /^[^_.][^/]*(?<!_test|\.d)\.ts$/;

async function fromFolder(dir: string): Promise<Found[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile) names.push(e.name);
  }
  names.sort();
  const found: Found[] = [];
  const modules = names.includes("mod.ts")
    ? ["mod.ts"]
    : names.filter((n) => PLUGIN.test(n));
  for (const n of modules) {
    found.push(...await fromModule(pathToFileURL(join(dir, n)).href));
  }
  for (const n of names.filter((n) => n.endsWith(".json"))) {
    const file = join(dir, n);
    found.push({ connector: await loadSpec(file), from: file });
  }
  return found;
}

async function isFolder(url: string): Promise<boolean> {
  if (!url.startsWith("file:")) return false;
  if (url.endsWith("/")) return true;
  try {
    return (await Deno.stat(fileURLToPath(url))).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The connectors of the registry at `url` (a module or a folder), in name
 * order. Two with one name are refused, naming both files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathToFileURL } from "node:url";
 * import { loadRegistry } from "./load_registry.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/todo.json`, JSON.stringify({
 *     name: "todo",
 *     baseUrl: "https://todo.example.com",
 *     streams: { tasks: { path: "/tasks", primaryKey: "id", paginator: { type: "link" } } },
 *   }));
 *   const all = await loadRegistry(pathToFileURL(dir).href);
 *   assert.deepEqual(all.map((c) => c.name), ["todo"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function loadRegistry(url: string): Promise<Connector[]> {
  const found = await isFolder(url)
    ? await fromFolder(fileURLToPath(url))
    : await fromModule(url);
  const byName = new Map<string, Found>();
  for (const f of found) {
    const twin = byName.get(f.connector.name);
    if (twin) {
      throw new ConfigError(
        `connector "${f.connector.name}" is registered twice: by ${twin.from} and by ${f.from}`,
      );
    }
    byName.set(f.connector.name, f);
  }
  return [...byName.keys()].sort().map((n) => byName.get(n)!.connector);
}
