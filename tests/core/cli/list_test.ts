// `inlet list`: each connector, its streams and its options, each option's
// "(repeatable)" said once.
import assert from "node:assert/strict";
import { runCli } from "../../../core/cli/cli.ts";
import { defineConnector, offsetPaginator } from "../../../core/mod.ts";
import connectors from "../../../connectors/mod.ts";

async function list(cs: Parameters<typeof runCli>[1]): Promise<string> {
  let out = "";
  const code = await runCli(["list"], cs, {
    out: (t) => out += t,
    err: () => {},
    terminal: false,
    env: () => undefined,
  });
  assert.equal(code, 0);
  return out;
}

Deno.test("list: a repeatable option says so once, whether or not its description does", async () => {
  const shop = defineConnector({
    name: "shop",
    baseUrl: "http://127.0.0.1:1",
    hosts: ["127.0.0.1"],
    options: {
      repo: { description: "a repository (repeatable)", multiple: true },
      tag: { description: "a tag", multiple: true },
      region: { description: "a region" },
    },
    streams: {
      items: {
        path: "/items",
        recordsPath: "items",
        primaryKey: "id",
        paginator: offsetPaginator({ limit: 10 }),
      },
    },
  });
  const out = await list([shop]);
  assert.match(out, /^ {2}--repo {2}a repository \(repeatable\)$/m);
  assert.match(out, /^ {2}--tag {2}a tag \(repeatable\)$/m);
  assert.match(out, /^ {2}--region {2}a region$/m);
  for (const line of (await list(connectors)).split("\n")) {
    assert.ok(!/repeatable.*repeatable/.test(line), line);
  }
});
