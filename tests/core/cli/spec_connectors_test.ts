// Spec connectors are first-class (#12.4): a JSON spec in the connectors
// folder is registered by its name, and `--spec <file>` works with every
// command that takes a connector. Against json-server, through the real CLI.
import assert from "node:assert/strict";
import { ROOT, runCliChild } from "../../_cli.ts";
import { jsonServerSpec, withJsonServer } from "../../_json_server.ts";

const ITEMS = Array.from({ length: 95 }, (_, i) => ({ id: i + 1, n: i }));

function jsonRows(stdout: string): unknown[] {
  return stdout.trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("a JSON spec in the connectors folder is a connector by its name: list, pull (sandboxed), state, query", async () => {
  await withJsonServer({ items: ITEMS }, async (url, dir) => {
    const folder = `${dir}/connectors`;
    await Deno.mkdir(folder);
    await Deno.writeTextFile(
      `${folder}/mod.ts`,
      `import demo from "${ROOT}/connectors/demo.ts";\nexport default [demo];\n`,
    );
    await Deno.writeTextFile(
      `${folder}/shop.json`,
      JSON.stringify(jsonServerSpec("shop", url, "items")),
    );
    const env = { INLET_CONNECTORS: folder };
    const lake = `${dir}/lake`;
    const list = await runCliChild(["list"], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^shop\n {2}shop\/items$/m);
    assert.match(list.stdout, /^demo /m);

    const pulled = await runCliChild(["pull", "shop", "--lake", lake], { env });
    assert.equal(pulled.code, 0, pulled.stderr);

    const state = await runCliChild(["state", "shop", "--lake", lake], { env });
    assert.equal(state.code, 0, state.stderr);
    assert.match(state.stdout, /^shop\/items {2}version \d+/m);

    const query = await runCliChild(
      [
        "query",
        "shop",
        "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM items",
        "--lake",
        lake,
        "--format",
        "json",
      ],
      { env },
    );
    assert.equal(query.code, 0, query.stderr);
    assert.deepEqual(jsonRows(query.stdout), [{ n: 95, ids: 95 }]);
  });
});

Deno.test("--spec <file> works with pull, state, query and list, by `rest` or by the spec's name", async () => {
  await withJsonServer({ items: ITEMS }, async (url, dir) => {
    const spec = `${dir}/local.json`;
    await Deno.writeTextFile(
      spec,
      JSON.stringify(jsonServerSpec("local", url, "items")),
    );
    const lake = `${dir}/lake`;
    const pulled = await runCliChild([
      "pull",
      "local",
      "--spec",
      spec,
      "--lake",
      lake,
    ]);
    assert.equal(pulled.code, 0, pulled.stderr);
    for (const name of ["rest", "local"]) {
      const q = await runCliChild([
        "query",
        name,
        "--spec",
        spec,
        "SELECT count(*) AS n FROM items",
        "--lake",
        lake,
        "--format",
        "json",
      ]);
      assert.equal(q.code, 0, q.stderr);
      assert.deepEqual(jsonRows(q.stdout), [{ n: 95 }]);
      const s = await runCliChild([
        "state",
        name,
        "--spec",
        spec,
        "--lake",
        lake,
      ]);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^local\/items {2}version \d+/m);
    }
    const list = await runCliChild(["list", "--spec", spec]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, "local\n  local/items\n");

    const wrong = await runCliChild([
      "query",
      "demo",
      "--spec",
      spec,
      "SELECT 1",
      "--lake",
      lake,
    ]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /describes connector "local", not "demo"/);

    // `rest` alone is the built-in example, whose data is not here: it says
    // so instead of answering 0 for the spec's data.
    const rest = await runCliChild([
      "query",
      "rest",
      "SELECT count(*) AS n FROM items",
      "--lake",
      lake,
    ]);
    assert.equal(rest.code, 2, rest.stdout);
    assert.doesNotMatch(rest.stdout, /\b0\b/);
  });
});
