/**
 * Where the `inlet` program gets its connectors, and where their code runs.
 * The registry is `connectors/mod.ts`, or the module `INLET_CONNECTORS`
 * names (a path or URL whose default export is the connector list). Its
 * code runs in this process only where this process is itself the
 * sandbox: the child of a sandboxed pull (`pull --no-sandbox`), a
 * compiled binary (its permissions are baked in), or a process not allowed
 * to start a child. Otherwise a child allowed only to read the project
 * describes the connectors.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Connector } from "../connector/connector.ts";
import { type ConnectorSource, sourceOf } from "./connector_info.ts";
import { childSource } from "./describe.ts";

/**
 * The variable naming another registry module.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { REGISTRY_ENV } from "./cli_source.ts";
 * assert.equal(REGISTRY_ENV, "INLET_CONNECTORS");
 * ```
 */
export const REGISTRY_ENV = "INLET_CONNECTORS";

/** What {@linkcode cliSource} decides from. */
export interface CliSourceOptions {
  /** The project folder. */
  root: string;
  /** Reads the environment. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
  /** A compiled binary. @default {Deno.build.standalone} */
  standalone?: boolean;
  /** Whether this process may start `deno`. @default {a permission query} */
  canRun?: boolean;
  /** Resolves a relative `INLET_CONNECTORS`. @default {Deno.cwd()} */
  cwd?: string;
}

/** The program's connector source, and what the sandbox must know of it. */
export interface CliSource {
  /** The source. */
  source: ConnectorSource;
  /** The registry module's URL when `INLET_CONNECTORS` named one. */
  registry?: string;
  /** The registry's file, which a sandboxed pull child must read too. */
  registryFile?: string;
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
 * const here = cliSource(["pull", "demo", "--no-sandbox"], { root: "/srv/inlet", env: () => undefined });
 * assert.equal(here.inProcessWarning, undefined);
 * const child = cliSource(["list"], { root: "/srv/inlet", env: () => undefined, canRun: true });
 * await assert.rejects(child.source.load("demo"), /sandboxed child/);
 * ```
 */
export function cliSource(
  args: readonly string[],
  options: CliSourceOptions,
): CliSource {
  const named = (options.env ?? ((n) => Deno.env.get(n)))(REGISTRY_ENV);
  const registry = named === undefined || named === ""
    ? undefined
    : /^[a-z][a-z0-9+.-]*:/i.test(named)
    ? named
    : pathToFileURL(resolve(options.cwd ?? Deno.cwd(), named)).href;
  const located = registry === undefined ? {} : {
    registry,
    ...(registry.startsWith("file:")
      ? { registryFile: fileURLToPath(registry) }
      : {}),
  };
  const standalone = options.standalone ?? Deno.build.standalone;
  const asked = args[0] === "pull" && args.includes("--no-sandbox");
  const canRun = options.canRun ?? mayRunDeno();
  if (standalone || asked || !canRun) {
    const load = async () =>
      ((registry === undefined
        ? await import("../../connectors/mod.ts")
        : await import(registry)) as { default: readonly Connector[] })
        .default;
    return {
      source: sourceOf(load),
      ...located,
      ...(standalone || asked ? {} : {
        inProcessWarning:
          "warning: no permission to run deno: the connectors' code runs in this process, with all of its permissions\n",
      }),
    };
  }
  const url = registry ??
    pathToFileURL(resolve(options.root, "connectors/mod.ts")).href;
  return { source: childSource(url, options.root), ...located };
}
