import assert from "node:assert/strict";
import {
  connectorSource,
  newConnector,
} from "../../../core/cli/new_connector.ts";
import { ROOT, runDeno } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

/** Lines of plugin code: neither blank nor comment. */
function codeLines(source: string): number {
  let inDoc = false;
  let n = 0;
  for (const raw of source.split("\n")) {
    const line = raw.trim();
    if (inDoc) {
      if (line.includes("*/")) inDoc = false;
      continue;
    }
    if (line.startsWith("/*")) {
      inDoc = !line.includes("*/");
      continue;
    }
    if (line === "" || line.startsWith("//")) continue;
    n++;
  }
  return n;
}

// A throwaway project in `root`: the real core and npm packages, a fresh connectors/.
async function scratchProject(root: string): Promise<void> {
  await Deno.symlink(`${ROOT}/core`, `${root}/core`);
  await Deno.symlink(`${ROOT}/node_modules`, `${root}/node_modules`);
  await Deno.copyFile(`${ROOT}/deno.json`, `${root}/deno.json`);
  await Deno.copyFile(`${ROOT}/deno.lock`, `${root}/deno.lock`);
}

/** Run `deno <args>` in `cwd` without colours. */
function deno(args: string[], cwd: string) {
  return runDeno(args, { cwd, env: { NO_COLOR: "1" } });
}

Deno.test("new: a REST connector with one stream takes at most 20 lines of plugin code", () => {
  const source = connectorSource("books");
  const lines = codeLines(source);
  assert.ok(lines <= 20, `${lines} lines of code:\n${source}`);
  assert.ok(
    source.split("\n").length <= 25,
    "the whole file, comments included, stays short",
  );
  assert.match(source, /paginator: offsetPaginator\(/);
  // The counter counts: a longer plugin would fail this test.
  assert.equal(
    codeLines("/** doc */\nconst a = 1;\n\n// c\nconst b = 2;\n"),
    2,
  );
});

Deno.test("new: scaffolds a plugin and a test that pass fmt, lint, check and their own test", async () => {
  await withTempDir("inlet-new-", async (root) => {
    await scratchProject(root);
    const done = await newConnector("books", { root });
    assert.deepEqual(done.files, [
      "connectors/books.ts",
      "tests/connectors/books_test.ts",
    ]);
    assert.deepEqual(done.register, [
      'import books from "./books.ts";',
      "books",
    ]);
    const plugin = await Deno.readTextFile(`${root}/connectors/books.ts`);
    assert.equal(plugin, connectorSource("books"));
    assert.ok(codeLines(plugin) <= 20);
    for (const args of [["fmt", "--check"], ["lint"], ["check"]]) {
      const r = await deno([...args, ...done.files], root);
      assert.equal(r.code, 0, `deno ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    }
    const test = await deno(
      ["test", "--allow-all", "--doc", ...done.files],
      root,
    );
    assert.equal(test.code, 0, test.stdout + test.stderr);
    assert.match(
      test.stdout,
      /books: pulls every item exactly once \.\.\. .*ok/,
    );
    assert.match(test.stdout, /ok \| 2 passed \| 0 failed/);
  });
});

Deno.test("new: the command refuses a taken or bad name with exit code 2 and prints the registration", async () => {
  const cli = `${ROOT}/core/cli/new_connector.ts`;
  await withTempDir("inlet-new-", async (root) => {
    const ok = await deno([
      "run",
      "--allow-read",
      "--allow-write",
      cli,
      "my-shop",
      "--root",
      root,
    ], root);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /created connectors\/my_shop\.ts/);
    assert.match(ok.stdout, /created tests\/connectors\/my_shop_test\.ts/);
    assert.match(ok.stdout, /import myShop from "\.\/my_shop\.ts";/);
    const before = await Deno.readTextFile(`${root}/connectors/my_shop.ts`);
    const again = await deno([
      "run",
      "--allow-read",
      "--allow-write",
      cli,
      "my-shop",
      "--root",
      root,
    ], root);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /connectors\/my_shop\.ts already exists/);
    assert.equal(
      await Deno.readTextFile(`${root}/connectors/my_shop.ts`),
      before,
      "nothing overwritten",
    );
    // The README promises lowercase-with-dashes: `my_shop` is refused too.
    const underscore = await deno([
      "run",
      "--allow-read",
      "--allow-write",
      cli,
      "my_api",
      "--root",
      root,
    ], root);
    assert.equal(underscore.code, 2, underscore.stderr);
    assert.match(
      underscore.stderr,
      /"my_api" is invalid: use lowercase-with-dashes .*e\.g\. "my-api"/,
    );
    const readme = await Deno.readTextFile(`${ROOT}/README.md`);
    assert.match(readme, /not `lowercase-with-dashes`/);
    for (
      const bad of ["Shop", "9lives", "my shop", "../evil", "", "a--b", "a-"]
    ) {
      const r = await deno([
        "run",
        "--allow-read",
        "--allow-write",
        cli,
        bad,
        "--root",
        root,
      ], root);
      assert.equal(r.code, 2, `${JSON.stringify(bad)}: ${r.stderr}`);
      assert.match(r.stderr, /is invalid/);
    }
    const none = await deno([
      "run",
      "--allow-read",
      "--allow-write",
      cli,
      "--root",
      root,
    ], root);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage: deno task new <name>/);
    const entries = [];
    for await (const e of Deno.readDir(`${root}/connectors`)) {
      entries.push(e.name);
    }
    assert.deepEqual(entries, ["my_shop.ts"]);
  });
});

Deno.test("new: the README shows the scaffolded plugin verbatim", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const marker = "<!-- new-connector-example -->";
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `README.md lacks ${marker} before the example plugin`);
  // The plugin's JSDoc holds ``` itself, so the README fences it with a longer run.
  const block = /(`{3,})ts\n([\s\S]*?\n)\1(\n|$)/.exec(readme.slice(at))?.[2];
  assert.equal(block, connectorSource("books"));
});
