/**
 * `deno task new <name>`: scaffold a connector and its test.
 *
 * Writes `connectors/<name>.ts` (a working REST plugin paged by offset, to
 * edit: base URL, path, records path, key) and `tests/connectors/<name>_test.ts`
 * (a pull against recorded responses, with the connector kit), then prints
 * the lines that register it in `connectors/mod.ts`. A bad or taken name is
 * refused with exit code 2, and nothing is written.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ConfigError } from "../connector/errors.ts";
import { helpOrVersion } from "./_help_or_version.ts";

// lowercase-with-dashes: `my_api` would share `my_api.ts` with `my-api`.
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const RESERVED = new Set(
  ("await break case catch class const continue debugger default delete do else enum export extends " +
    "false finally for function if implements import in instanceof interface let new null package " +
    "private protected public return static super switch this throw true try typeof var void while " +
    "with yield").split(" "),
);

// The nearest valid name, as a hint: `my_api` -> `, e.g. "my-api"`.
function suggestion(name: unknown): string {
  if (typeof name !== "string") return "";
  const near = name.toLowerCase().replace(/[^a-z0-9]+/g, "-")
    .replace(/^[-0-9]+|-+$/g, "");
  return NAME.test(near) ? `, e.g. ${JSON.stringify(near)}` : "";
}

/** Files are snake_case: `my-shop` lives in `my_shop.ts`. */
function fileName(name: string): string {
  return name.replaceAll("-", "_");
}

/**
 * The identifier a connector is imported as: camelCase of its name, with
 * `Connector` appended when that is a reserved word.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorIdent } from "./new_connector.ts";
 * assert(connectorIdent("my-shop") === "myShop");
 * assert(connectorIdent("delete") === "deleteConnector");
 * ```
 */
export function connectorIdent(name: string): string {
  const camel = name.replace(
    /[-_]+([a-z0-9])/g,
    (_, c: string) => c.toUpperCase(),
  ).replace(/[-_]+$/, "");
  return RESERVED.has(camel) ? `${camel}Connector` : camel;
}

/**
 * Where a scaffold imports inlet from: the connector API and the test kit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PACKAGE_IMPORTS } from "./new_connector.ts";
 * assert.equal(PACKAGE_IMPORTS.api, "@inlet/inlet");
 * ```
 */
export interface ScaffoldImports {
  /** The connector API (`core/mod.ts`). */
  api: string;
  /** The test kit, from a test in `tests/connectors/`. */
  testing: string;
}

/** Imports inside this repository. */
export const REPO_IMPORTS: ScaffoldImports = {
  api: "../core/mod.ts",
  testing: "../../core/testing/kit.ts",
};

/** Imports in a user's own repository that depends on the package. */
export const PACKAGE_IMPORTS: ScaffoldImports = {
  api: "@inlet/inlet",
  testing: "@inlet/inlet/testing",
};

/**
 * The plugin `deno task new <name>` writes: one stream paged by offset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorSource } from "./new_connector.ts";
 * assert(connectorSource("shop").includes('name: "shop"'));
 * ```
 */
export function connectorSource(
  name: string,
  imports: ScaffoldImports = REPO_IMPORTS,
): string {
  const id = connectorIdent(name);
  return `import { defineConnector, offsetPaginator } from "${imports.api}";

/**
 * The \`${name}\` connector: its items, paged by offset with a total.
 * @example
 * \`\`\`ts
 * import assert from "node:assert/strict";
 * import ${id} from "./${fileName(name)}.ts";
 * assert(${id}.streams.items !== undefined);
 * \`\`\`
 */
export default defineConnector({
  name: "${name}",
  baseUrl: "https://api.example.com/v1",
  streams: {
    items: {
      path: "/items",
      recordsPath: "items",
      primaryKey: "id",
      paginator: offsetPaginator({ limit: 100, totalPath: "total" }),
    },
  },
});
`;
}

/**
 * The test `deno task new <name>` writes: a pull of recorded responses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { testSource } from "./new_connector.ts";
 * assert(testSource("shop").includes("startRecordedServer"));
 * ```
 */
export function testSource(
  name: string,
  imports: ScaffoldImports = REPO_IMPORTS,
): string {
  const id = connectorIdent(name);
  return `import assert from "node:assert/strict";
import ${id} from "../../connectors/${fileName(name)}.ts";
import {
  assertRecords,
  pullForTest,
  startRecordedServer,
} from "${imports.testing}";

// Responses as the API sends them. To record real ones, pass recordFetch()'s
// fetch to pull() once and save its recordings (see core/testing/kit.ts).
const items = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    id: from + i,
    name: \`item \${from + i}\`,
  }));

Deno.test("${name}: pulls every item exactly once", async () => {
  await using server = startRecordedServer([
    {
      path: "/items",
      query: { offset: "0", limit: "100" },
      body: { items: items(1, 100), total: 150 },
    },
    {
      path: "/items",
      query: { offset: "100", limit: "100" },
      body: { items: items(101, 150), total: 150 },
    },
  ]);
  await using run = await pullForTest(${id}, { baseUrl: server.url });
  assert.equal(run.summary.status, "ok", run.summary.errors.join("\\n"));
  assertRecords(run.rows.items, {
    count: 150,
    uniqueKey: "id",
    required: ["name"],
  });
  assert.deepEqual(server.unmatched, []);
});
`;
}

/**
 * What {@linkcode newConnector} wrote.
 *
 * @example
 * ```ts
 * import type { NewConnectorResult } from "./new_connector.ts";
 * const done: NewConnectorResult = {
 *   files: ["connectors/shop.ts", "tests/connectors/shop_test.ts"],
 *   register: ['import shop from "./shop.ts";', "shop"],
 * };
 * ```
 */
export interface NewConnectorResult {
  /** The files written, relative to the root. */
  files: string[];
  /** The import line for `connectors/mod.ts` and the name to add to its list. */
  register: [importLine: string, ident: string];
  /** A user's repository whose `connectors/` has no `mod.ts`: the folder registers every plugin in it. */
  byFolder?: boolean;
}

// A user's repository maps the package in its deno.json.
async function usesPackage(root: string): Promise<boolean> {
  try {
    const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
    return typeof config?.imports?.["@inlet/inlet"] === "string";
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Scaffold connector `name` under `root` (the project folder). Throws
 * {@linkcode ConfigError} for a bad name or when either file exists
 * (nothing is written then).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newConnector } from "./new_connector.ts";
 * const root = await Deno.makeTempDir();
 * try {
 *   const done = await newConnector("shop", { root });
 *   assert.deepEqual(done.files, ["connectors/shop.ts", "tests/connectors/shop_test.ts"]);
 *   await assert.rejects(newConnector("shop", { root }), /connectors\/shop\.ts already exists/);
 *   await assert.rejects(newConnector("Shop!", { root }), /invalid/);
 * } finally {
 *   await Deno.remove(root, { recursive: true });
 * }
 * ```
 */
export async function newConnector(
  name: string,
  options: { root: string },
): Promise<NewConnectorResult> {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new ConfigError(
      `connector name ${
        JSON.stringify(name)
      } is invalid: use lowercase-with-dashes (letters, digits and single dashes, starting with a letter)${
        suggestion(name)
      }`,
    );
  }
  const plugin = `connectors/${fileName(name)}.ts`;
  const test = `tests/connectors/${fileName(name)}_test.ts`;
  for (const f of [plugin, test]) {
    if (await exists(`${options.root}/${f}`)) {
      throw new ConfigError(
        `${f} already exists: pick another name, or edit that connector`,
      );
    }
  }
  await Deno.mkdir(`${options.root}/connectors`, { recursive: true });
  await Deno.mkdir(`${options.root}/tests/connectors`, { recursive: true });
  const asPackage = await usesPackage(options.root);
  const imports = asPackage ? PACKAGE_IMPORTS : REPO_IMPORTS;
  // A user's folder of plugins registers them; a mod.ts lists them.
  const byFolder = asPackage &&
    !await exists(`${options.root}/connectors/mod.ts`);
  await Deno.writeTextFile(
    `${options.root}/${plugin}`,
    connectorSource(name, imports),
    { createNew: true },
  );
  try {
    await Deno.writeTextFile(
      `${options.root}/${test}`,
      testSource(name, imports),
      { createNew: true },
    );
  } catch (err) {
    await Deno.remove(`${options.root}/${plugin}`);
    throw err;
  }
  const id = connectorIdent(name);
  return {
    files: [plugin, test],
    register: [`import ${id} from "./${fileName(name)}.ts";`, id],
    ...(byFolder ? { byFolder } : {}),
  };
}

/**
 * The `new` command: parses `args`, scaffolds, prints what to do next, and
 * resolves the exit code (0 done, 2 bad usage, a bad or taken name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./new_connector.ts";
 * let err = "";
 * const code = await main(["Bad Name"], { out: () => {}, err: (t) => err += t });
 * assert(code === 2 && err.includes("is invalid"));
 * ```
 */
export async function main(
  args: readonly string[],
  io: { out: (text: string) => void; err: (text: string) => void },
): Promise<number> {
  const usage = "usage: deno task new <name> [--root <project folder>]\n";
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        root: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
      allowPositionals: true,
    });
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  const info = helpOrVersion(
    parsed.values,
    io,
    `${usage}\nScaffold connectors/<name>.ts (a REST plugin paged by offset) and\ntests/connectors/<name>_test.ts (a pull of recorded responses).\n`,
  );
  if (info !== undefined) return info;
  if (parsed.positionals.length !== 1) {
    io.err(`error: give exactly one connector name\n${usage}`);
    return 2;
  }
  const name = parsed.positionals[0]!;
  const root = parsed.values.root ?? new URL("../..", import.meta.url).pathname;
  try {
    const done = await newConnector(name, { root });
    for (const f of done.files) io.out(`created ${f}\n`);
    const [line, id] = done.register;
    io.out(
      (done.byFolder
        ? `\nconnectors/ has no mod.ts: with "inlet": { "connectors": "./connectors" } in deno.json, every plugin there is registered.\n`
        : `\nRegister it in connectors/mod.ts:\n  ${line}\n  and add ${id} to the list: [..., ${id}]\n`) +
        `Then edit ${
          done.files[0]
        } (base URL, path, records path, key) and run:\n` +
        `  deno test --allow-all ${done.files[1]}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.main) {
  const enc = new TextEncoder();
  Deno.exit(
    await main(Deno.args, {
      out: (t) => Deno.stdout.writeSync(enc.encode(t)),
      err: (t) => Deno.stderr.writeSync(enc.encode(t)),
    }),
  );
}
