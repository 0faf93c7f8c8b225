// The template of a user's own repository (#16.2), built from README.md's
// "Your connectors in your own repository" blocks exactly as written, in a
// temp folder beside a link to this clone (`../inlet`): one JSON spec and
// one TS plugin of its own, pulled from json-server (a real REST server) with
// `deno task pull <name>`, queried with `deno task query`, and its own test.
import assert from "node:assert/strict";
import { ROOT } from "./_cli.ts";
import { withTempDir } from "./_lake.ts";
import { freePort, startNpmServer } from "./_npm_server.ts";

interface Template {
  files: Map<string, string>;
  commands: string[];
}

/** The block after each `<!-- template: path -->` and the `sh` lines after `<!-- sh: in your repository`. */
export function readTemplate(readme: string): Template {
  const files = new Map<string, string>();
  const fence = (at: number) => {
    const m = /```\w*\n([\s\S]*?)```/.exec(readme.slice(at));
    assert(m, `no fenced block after offset ${at}`);
    return m[1]!;
  };
  for (const m of readme.matchAll(/<!-- template: (\S+) -->/g)) {
    files.set(m[1]!, fence(m.index!));
  }
  const at = readme.indexOf("<!-- sh: in your repository");
  assert(at >= 0, "README.md has no commands for the repository");
  const commands = fence(at).split("\n").filter((l) => l.trim() !== "");
  return { files, commands };
}

/** Run one README line with bash in `cwd`, bounded by `timeoutMs`. */
async function bash(line: string, cwd: string, timeoutMs = 300_000) {
  const child = new Deno.Command("bash", {
    args: ["-c", line],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const o = await child.output();
    const dec = new TextDecoder();
    return {
      code: o.code,
      stdout: dec.decode(o.stdout),
      stderr: dec.decode(o.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("template: a repository of one's own pulls its JSON spec and TS plugin with `deno task pull <name>`, queries them and runs its test", async () => {
  const { files, commands } = readTemplate(
    await Deno.readTextFile(`${ROOT}/README.md`),
  );
  assert.deepEqual([...files.keys()].sort(), [
    "connectors/books.ts",
    "connectors/todos.json",
    "deno.json",
    "tests/books_test.ts",
  ]);
  await withTempDir("inlet-template-", async (dir) => {
    await Deno.symlink(ROOT, `${dir}/inlet`);
    const repo = `${dir}/my-data`;
    const port = freePort();
    const here = (text: string) =>
      text.replaceAll("127.0.0.1:3000", `127.0.0.1:${port}`)
        .replaceAll("--port 3000", `--port ${port}`);
    for (const [path, text] of files) {
      await Deno.mkdir(`${repo}/${path}`.replace(/\/[^/]+$/, ""), {
        recursive: true,
      });
      await Deno.writeTextFile(`${repo}/${path}`, here(text));
    }
    const todos = Array.from({ length: 250 }, (_, i) => ({ id: i + 1 }));
    const books = Array.from({ length: 130 }, (_, i) => ({ id: i + 1 }));
    await Deno.writeTextFile(
      `${repo}/db.json`,
      JSON.stringify({ todos, books }),
    );
    // The first line starts the sample API in the background with npx; here
    // the same package runs under deno, stopped by its handle.
    const [serve, ...rest] = commands.map(here);
    assert.match(serve!, /json-server@0\.17\.4 .*db\.json &/);
    await using _api = await startNpmServer(
      [
        "npm:json-server@0.17.4",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        `${repo}/db.json`,
      ],
      /Home\s+http:\/\/127\.0\.0\.1:\d+/,
    );
    const out: string[] = [];
    for (const line of rest) {
      const r = await bash(line, repo);
      assert.equal(r.code, 0, `${line}\n${r.stdout}\n${r.stderr}`);
      out.push(r.stdout);
    }
    const said = out.join("\n");
    assert.match(said, /^shop$/m);
    assert.match(said, /^todos$/m);
    assert.match(said, /^todos\/todos {2}version \d+/m);
    assert.match(said, /^books$/m);
    // The query prints the count the server holds, and the test passed.
    assert.match(said, /^n\n-+\n130$/m);
    // Its own test and the scaffolded connector's, against the package.
    assert.match(said, /ok \| 2 passed \| 0 failed/);
    const shop = await Deno.readTextFile(`${repo}/connectors/shop.ts`);
    assert.match(shop, /from "@inlet\/inlet";/);
    const q = await bash(
      'deno task query todos "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM todos" --format json',
      repo,
    );
    assert.equal(q.code, 0, q.stderr);
    assert.deepEqual(JSON.parse(q.stdout.trim()), { n: 250, ids: 250 });
  });
});
