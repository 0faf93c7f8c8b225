// `list`: every connector, or one by name or --spec; an option's
// "(repeatable)" shows once.
import assert from "node:assert/strict";
import connectors from "../../../connectors/mod.ts";
import { runCli } from "../../../core/cli/cli.ts";
import { defineConnector, singlePaginator } from "../../../core/mod.ts";

const tagged = defineConnector({
  name: "tagged",
  baseUrl: "https://api.example.com",
  options: { tag: { description: "a tag (repeatable)", multiple: true } },
  streams: {
    items: { path: "/items", primaryKey: "id", paginator: singlePaginator() },
  },
});

async function list(args: string[], all = connectors) {
  let out = "", err = "";
  const code = await runCli(["list", ...args], all, {
    out: (t) => out += t,
    err: (t) => err += t,
    terminal: false,
    env: () => undefined,
  });
  return { code, out, err };
}

Deno.test("list: an option its description already calls repeatable says so once", async () => {
  const r = await list([], [...connectors, tagged]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /--repo .*\(repeatable\)\n/);
  assert.match(r.out, /--tag {2}a tag \(repeatable\)\n/);
});

Deno.test("list <connector> shows that one; an unknown name is refused with the known ones", async () => {
  const one = await list(["github"]);
  assert.equal(one.code, 0, one.err);
  assert.match(one.out, /^github /);
  assert.doesNotMatch(one.out, /hackernews/);
  const bad = await list(["nope"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.err,
    /unknown connector "nope"; known connectors: demo, github/,
  );
});
