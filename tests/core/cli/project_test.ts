// Where the CLI finds a project's connectors (#16.2) and how a registry
// folder or module is read (#12.4).
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { findProject } from "../../../core/cli/project.ts";
import { cliSource } from "../../../core/cli/cli_source.ts";
import { loadRegistry } from "../../../core/cli/load_registry.ts";
import { ROOT, runDeno } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

const none = () => undefined;
const spec = (name: string) =>
  JSON.stringify({
    name,
    baseUrl: "https://api.example.com",
    streams: {
      items: { path: "/items", primaryKey: "id", paginator: { type: "link" } },
    },
  });
const plugin = (name: string) =>
  `import { defineConnector, singlePaginator } from "${ROOT}/core/mod.ts";
export default defineConnector({
  name: "${name}",
  baseUrl: "https://api.example.com",
  streams: { items: { path: "/items", primaryKey: "id", paginator: singlePaginator() } },
});
`;

Deno.test("project: inlet.json, then deno.json's \"inlet\" key, from the working folder up; INLET_CONNECTORS overrides; else inlet's connectors/", async () => {
  await withTempDir("inlet-project-", async (dir) => {
    await Deno.mkdir(`${dir}/a/deep/er`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/a/deno.json`,
      JSON.stringify({ inlet: { connectors: "./src/connectors.ts" } }),
    );
    const fromDeep = findProject({
      inletRoot: ROOT,
      cwd: `${dir}/a/deep/er`,
      env: none,
    });
    assert.deepEqual(fromDeep, {
      root: `${dir}/a`,
      registry: pathToFileURL(`${dir}/a/src/connectors.ts`).href,
      registryPath: `${dir}/a/src/connectors.ts`,
      config: `${dir}/a/deno.json`,
    });
    await Deno.writeTextFile(
      `${dir}/a/inlet.json`,
      JSON.stringify({ connectors: "./mine" }),
    );
    const own = findProject({ inletRoot: ROOT, cwd: `${dir}/a`, env: none });
    assert.equal(own.registryPath, `${dir}/a/mine`);
    assert.equal(own.config, `${dir}/a/deno.json`);

    const env = (n: string) =>
      n === "INLET_CONNECTORS" ? "x/mod.ts" : undefined;
    const named = findProject({ inletRoot: ROOT, cwd: `${dir}/a`, env });
    assert.deepEqual(named, {
      root: ROOT,
      registry: pathToFileURL(`${dir}/a/x/mod.ts`).href,
      registryPath: `${dir}/a/x/mod.ts`,
    });

    // A compiled binary keeps the connectors compiled into it.
    const binary = cliSource(["list"], {
      root: ROOT,
      cwd: `${dir}/a`,
      env: none,
      standalone: true,
    });
    assert.equal(
      binary.project.registry,
      pathToFileURL(`${ROOT}/connectors`).href + "/",
    );

    // A deno.json without the key is a project that runs inlet's own connectors.
    await Deno.mkdir(`${dir}/b`);
    await Deno.writeTextFile(`${dir}/b/deno.json`, "{}");
    const plain = findProject({ inletRoot: ROOT, cwd: `${dir}/b`, env: none });
    assert.deepEqual(plain, {
      root: ROOT,
      registry: pathToFileURL(`${ROOT}/connectors`).href + "/",
      registryPath: `${ROOT}/connectors/`,
    });

    await Deno.writeTextFile(
      `${dir}/b/inlet.json`,
      JSON.stringify({ connectors: 1 }),
    );
    assert.throws(
      () => findProject({ inletRoot: ROOT, cwd: `${dir}/b`, env: none }),
      /inlet\.json: "connectors" must name a folder or a module/,
    );
  });
});

Deno.test("registry: a folder of plugins and specs (no mod.ts) registers each by name; helpers and tests are not plugins; two of one name are refused", async () => {
  await withTempDir("inlet-registry-", async (dir) => {
    await Deno.writeTextFile(`${dir}/books.ts`, plugin("books"));
    await Deno.writeTextFile(`${dir}/_helpers.ts`, "export const x = 1;\n");
    await Deno.writeTextFile(
      `${dir}/books_test.ts`,
      "throw new Error('not a plugin');\n",
    );
    await Deno.writeTextFile(`${dir}/todos.json`, spec("todos"));
    const url = pathToFileURL(dir).href;
    assert.deepEqual((await loadRegistry(url)).map((c) => c.name), [
      "books",
      "todos",
    ]);
    await Deno.writeTextFile(`${dir}/more.json`, spec("books"));
    await assert.rejects(
      loadRegistry(url),
      /connector "books" is registered twice: by .*books\.ts and by .*more\.json/,
    );
    await Deno.remove(`${dir}/more.json`);
    // A module: one connector as its default export, or a list.
    assert.equal((await loadRegistry(`${url}/books.ts`))[0]?.name, "books");
    await Deno.writeTextFile(`${dir}/bad.ts`, "export default 42;\n");
    await assert.rejects(
      loadRegistry(url),
      /bad\.ts: its default export must be a connector/,
    );
  });
});

Deno.test("project: a user's connectors are described in a child that may read only inlet and the project", async () => {
  await withTempDir("inlet-project-sandbox-", async (dir) => {
    const outside = await Deno.makeTempFile({ prefix: "inlet-outside-" });
    try {
      await Deno.writeTextFile(outside, "not yours");
      await Deno.writeTextFile(
        `${dir}/deno.json`,
        JSON.stringify({
          imports: { "@inlet/inlet": "jsr:@inlet/inlet@^0.1.0" },
          links: [ROOT],
          nodeModulesDir: "auto",
          inlet: { connectors: "./connectors" },
        }),
      );
      await Deno.mkdir(`${dir}/connectors`);
      await Deno.writeTextFile(
        `${dir}/connectors/nosy.ts`,
        `import { defineConnector, singlePaginator } from "@inlet/inlet";
let seen = "nothing";
try {
  seen = await Deno.readTextFile(${JSON.stringify(outside)});
} catch (e) {
  seen = (e as Error).name;
}
export default defineConnector({
  name: "nosy",
  description: "saw " + seen,
  baseUrl: "https://api.example.com",
  streams: { items: { path: "/items", primaryKey: "id", paginator: singlePaginator() } },
});
`,
      );
      const r = await runDeno(
        ["run", "-A", `${ROOT}/core/cli/cli.ts`, "list"],
        { cwd: dir, env: { NO_COLOR: "1" }, timeoutMs: 300_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^nosy {2}saw NotCapable$/m);
    } finally {
      await Deno.remove(outside);
    }
  });
});
