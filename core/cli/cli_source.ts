/**
 * Where the `inlet` program gets its connectors, and where their code runs.
 * The registry is the project's (see {@linkcode findProject}): a folder of
 * plugins and JSON specs or a module, named by `inlet.json`, the `"inlet"`
 * key of `deno.json` or `INLET_CONNECTORS`; inlet's own `connectors/`
 * otherwise. Its code runs in this process only where this process is
 * itself the sandbox: the child of a sandboxed pull (`pull --no-sandbox`),
 * a compiled binary (its permissions are baked in), or a process not
 * allowed to start a child. Otherwise a child allowed only to read the
 * project describes the connectors.
 *
 * @module
 */

import { resolve } from "node:path";
import type { Connector } from "../connector/connector.ts";
import { type ConnectorSource, sourceOf } from "./connector_info.ts";
import { childSource } from "./describe.ts";
import { loadRegistry } from "./load_registry.ts";
import { findProject, type Project } from "./project.ts";

export { REGISTRY_ENV } from "./project.ts";

/** What {@linkcode cliSource} decides from. */
export interface CliSourceOptions {
  /** inlet's own folder. */
  root: string;
  /** Reads the environment. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
  /** A compiled binary. @default {Deno.build.standalone} */
  standalone?: boolean;
  /** Whether this process may start `deno`. @default {a permission query} */
  canRun?: boolean;
  /** Where the project is looked for; resolves a relative `INLET_CONNECTORS`. @default {Deno.cwd()} */
  cwd?: string;
}

/** The program's connector source, and what the sandbox must know of it. */
export interface CliSource {
  /** The source. */
  source: ConnectorSource;
  /** The project and its registry. */
  project: Project;
  /** What a sandboxed child reads besides inlet itself: the project and its registry. */
  read: string[];
  /** Why the code runs in this process (warn), when nothing asked for it. */
  inProcessWarning?: string;
}

function mayRunDeno(): boolean {
  try {
    return Deno.permissions.querySync({
      name: "run",
      command: Deno.execPath(),
    }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The connector source of the program run with `args`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cliSource } from "./cli_source.ts";
 * const here = cliSource(["pull", "demo", "--no-sandbox"], { root: "/srv/inlet", cwd: "/", env: () => undefined });
 * assert.equal(here.inProcessWarning, undefined);
 * assert.equal(here.project.registry, "file:///srv/inlet/connectors/");
 * const child = cliSource(["list"], { root: "/srv/inlet", cwd: "/", env: () => undefined, canRun: true });
 * await assert.rejects(child.source.load("demo"), /sandboxed child/);
 * ```
 */
export function cliSource(
  args: readonly string[],
  options: CliSourceOptions,
): CliSource {
  const root = resolve(options.root);
  const standalone = options.standalone ?? Deno.build.standalone;
  const project = findProject({
    inletRoot: root,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
    // A binary runs the connectors compiled into it, under the permissions
    // baked for them: a project's config does not swap them.
    ...(standalone ? { search: false } : {}),
  });
  const read = [
    ...new Set(
      [project.root, project.registryPath ?? root].filter((p) => p !== root),
    ),
  ];
  const asked = args[0] === "pull" && args.includes("--no-sandbox");
  const canRun = options.canRun ?? mayRunDeno();
  if (standalone || asked || !canRun) {
    const own = project.registry ===
      `${new URL("../../connectors/", import.meta.url).href}`;
    // A binary holds only what `deno compile` saw imported: the static module.
    const load = standalone && own
      ? async () =>
        ((await import("../../connectors/mod.ts")) as {
          default: readonly Connector[];
        }).default
      : () => loadRegistry(project.registry);
    return {
      source: sourceOf(load),
      project,
      read,
      ...(standalone || asked ? {} : {
        inProcessWarning:
          "warning: no permission to run deno: the connectors' code runs in this process, with all of its permissions\n",
      }),
    };
  }
  return {
    source: childSource(project.registry, {
      root,
      read,
      ...(project.config ? { config: project.config } : {}),
    }),
    project,
    read,
  };
}
