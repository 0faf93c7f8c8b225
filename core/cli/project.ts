/**
 * The project the CLI runs in, and where its connectors are. The project
 * is the nearest folder, from the working directory up, holding an
 * `inlet.json` or a `deno.json`. Its connectors are named by
 * `inlet.json` (`{ "connectors": "./connectors" }`) or by an `"inlet"` key
 * in its `deno.json` (`"inlet": { "connectors": "./connectors" }`): a
 * folder of plugins and JSON specs, or a module whose default export is the
 * list. `INLET_CONNECTORS` overrides both (and the search: inlet runs as
 * its own project); with none of them, inlet's own `connectors/` folder.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError } from "../connector/errors.ts";

/**
 * The variable naming another registry (a module or folder, path or URL).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { REGISTRY_ENV } from "./project.ts";
 * assert.equal(REGISTRY_ENV, "INLET_CONNECTORS");
 * ```
 */
export const REGISTRY_ENV = "INLET_CONNECTORS";

/**
 * Where the CLI's connectors are, and what its sandboxed children read.
 *
 * @example
 * ```ts
 * import type { Project } from "./project.ts";
 * const p: Project = { root: "/srv/inlet", registry: "file:///srv/inlet/connectors/" };
 * ```
 */
export interface Project {
  /** The project folder: the children read it (never write it). */
  root: string;
  /** The registry's URL: a module, or a folder (ending in `/`). */
  registry: string;
  /** The registry's file or folder, when it is a local one. */
  registryPath?: string;
  /** The `deno.json` the children run with (the project's import map). */
  config?: string;
}

/** What {@linkcode findProject} looks at. */
export interface FindProjectOptions {
  /** inlet's own folder (its `connectors/` is the default registry). */
  inletRoot: string;
  /** Where the search starts. @default {Deno.cwd()} */
  cwd?: string;
  /** Reads the environment. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
  /** Look for a project config (a compiled binary does not). @default {true} */
  search?: boolean;
}

function readJson(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    // A folder this process may not read (a sandboxed child) holds no project for it.
    if (
      err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied
    ) return undefined;
    throw new ConfigError(`Cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    // deno.jsonc may hold comments: strip whole-line ones, enough for a config.
    return JSON.parse(text.replace(/^\s*\/\/.*$/gm, ""));
  } catch (cause) {
    throw new ConfigError(
      `Cannot read ${file}: not valid JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
}

function urlOf(base: string, named: string): string {
  if (/^[a-z][a-z0-9+.-]+:/i.test(named)) return named;
  const path = resolve(base, named);
  return pathToFileURL(path).href + (named.endsWith("/") ? "/" : "");
}

function located(registry: string): Pick<Project, "registry" | "registryPath"> {
  return registry.startsWith("file:")
    ? { registry, registryPath: fileURLToPath(registry) }
    : { registry };
}

function configured(
  file: string,
  value: unknown,
): string {
  const named = (value as { connectors?: unknown } | undefined)?.connectors;
  if (typeof named !== "string" || named === "") {
    throw new ConfigError(
      `${file}: "connectors" must name a folder or a module, e.g. "./connectors"`,
    );
  }
  return urlOf(dirname(file), named);
}

function projectAt(
  dir: string,
): { registry?: string; config?: string } | undefined {
  const deno = ["deno.json", "deno.jsonc"].map((n) => join(dir, n))
    .find((f) => readJson(f) !== undefined);
  const inletJson = join(dir, "inlet.json");
  const own = readJson(inletJson);
  if (own !== undefined) {
    return {
      registry: configured(inletJson, own),
      ...(deno ? { config: deno } : {}),
    };
  }
  if (deno === undefined) return undefined;
  const key = readJson(deno)!.inlet;
  return key === undefined
    ? {}
    : { registry: configured(deno, key), config: deno };
}

/**
 * The project of the CLI run from `cwd`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findProject } from "./project.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ inlet: { connectors: "./connectors" } }));
 *   const p = findProject({ inletRoot: "/srv/inlet", cwd: dir, env: () => undefined });
 *   assert.equal(p.registryPath, `${dir}/connectors`);
 *   assert.equal(p.config, `${dir}/deno.json`);
 *   const plain = findProject({ inletRoot: "/srv/inlet", cwd: "/", env: () => undefined });
 *   assert.equal(plain.registry, "file:///srv/inlet/connectors/");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function findProject(options: FindProjectOptions): Project {
  const cwd = resolve(options.cwd ?? Deno.cwd());
  const inletRoot = resolve(options.inletRoot);
  const named = (options.env ?? ((n) => Deno.env.get(n)))(REGISTRY_ENV);
  if (named !== undefined && named !== "") {
    return { root: inletRoot, ...located(urlOf(cwd, named)) };
  }
  let found: { root: string; registry?: string; config?: string } | undefined;
  for (let dir = cwd; options.search !== false; dir = dirname(dir)) {
    const at = projectAt(dir);
    if (at) {
      found = { root: dir, ...at };
      break;
    }
    if (dirname(dir) === dir) break;
  }
  // A project that names no connectors runs with inlet's own, as inlet does.
  const own = found?.registry === undefined;
  const root = found && !own ? found.root : inletRoot;
  const registry = found?.registry ??
    pathToFileURL(join(inletRoot, "connectors")).href + "/";
  return {
    root,
    ...located(registry),
    ...(found?.config && !own ? { config: found.config } : {}),
  };
}
