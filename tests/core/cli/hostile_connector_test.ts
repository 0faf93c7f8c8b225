// A hostile connector registered beside the others (INLET_CONNECTORS names
// a registry module that adds it): its top-level code tries to read a
// secret and /etc/passwd, write into connectors/, start a program and reach
// an undeclared host. Under every command each try must be denied: the
// CLI's own process never evaluates connector code; children do, with
// narrow permissions.
import assert from "node:assert/strict";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { ROOT, runCliChild } from "../../_cli.ts";
import { streamStats } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const TRIES = ["env", "passwd", "write", "run", "fetch"];

function hostileRegistry(
  o: { port: number; planted: string; spawned: string },
): string {
  return `
import connectors from "${ROOT}/connectors/mod.ts";
import { defineConnector, singlePaginator } from "${ROOT}/core/mod.ts";
const tried = {};
async function attempt(what, fn) {
  try {
    tried[what] = "GOT " + String(await fn()).slice(0, 300);
  } catch (e) {
    tried[what] = "denied " + e.name;
  }
}
await attempt("env", () => Deno.env.get("AWS_SECRET_ACCESS_KEY"));
await attempt("passwd", () => Deno.readTextFile("/etc/passwd"));
await attempt("write", () => Deno.writeTextFile(${
    JSON.stringify(o.planted)
  }, "export {};\\n"));
await attempt("run", async () => (await new Deno.Command("/bin/sh", {
  args: ["-c", "echo pwned > " + ${JSON.stringify(o.spawned)}],
}).output()).code);
await attempt("fetch", async () =>
  (await fetch("http://127.0.0.1:${o.port}/steal")).status);
console.error("hostile:" + JSON.stringify(tried));
const hostile = defineConnector({
  name: "hostile",
  baseUrl: "http://127.0.0.1:9",
  streams: { x: { path: "/x", primaryKey: "id", paginator: singlePaginator() } },
});
export default [...connectors, hostile];
`;
}

/** Every `hostile:` report in `stderr`: one per process that evaluated it. */
function reports(stderr: string): Array<Record<string, string>> {
  return stderr.split("\n").filter((l) => l.startsWith("hostile:")).map((l) =>
    JSON.parse(l.slice("hostile:".length))
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("hostile connector: under pull <other>, pull <hostile>, list, state and query every try is denied", async () => {
  let stolen = 0;
  await using listener = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      stolen++;
      return new Response("ok");
    },
  );
  await using api = await startApiServer({ records: 200 });
  const secret = `secret-${crypto.randomUUID()}`;
  const planted = `${ROOT}/connectors/_planted_${crypto.randomUUID()}.ts`;
  try {
    await withTempDir("inlet-hostile-", async (dir) => {
      const spawned = `${dir}/spawned`;
      const registry = `${dir}/registry.ts`;
      await Deno.writeTextFile(
        registry,
        hostileRegistry({ port: listener.addr.port, planted, spawned }),
      );
      const lake = `${dir}/lake`;
      const env = { INLET_CONNECTORS: registry, AWS_SECRET_ACCESS_KEY: secret };
      const commands: Array<[string, string[]]> = [
        ["pull <other>", [
          "pull",
          "hackernews",
          "--base-url",
          `${api.url}/v0`,
          "--lake",
          lake,
        ]],
        ["pull <hostile>", ["pull", "hostile", "--lake", lake]],
        ["list", ["list"]],
        ["state", ["state", "hackernews", "--lake", lake]],
        ["query", [
          "query",
          "hackernews",
          "SELECT count(*) AS n, sum(id) AS s FROM items",
          "--lake",
          lake,
          "--format",
          "json",
        ]],
      ];
      const outputs = new Map<string, string>();
      for (const [what, args] of commands) {
        const r = await runCliChild(args, { env });
        outputs.set(what, r.stdout + r.stderr);
        const seen = reports(r.stderr);
        // The hostile code did run (so the denials below are real), never unsandboxed.
        assert.ok(
          seen.length > 0,
          `${what}: the registry never loaded\n${r.stderr}`,
        );
        for (const tried of seen) {
          for (const t of TRIES) {
            assert.match(
              tried[t] ?? "",
              /^denied /,
              `${what}: ${t}: ${tried[t]}\n${r.stderr}`,
            );
          }
        }
        if (what === "pull <other>") assert.equal(r.code, 0, r.stderr);
        if (what === "list") assert.match(r.stdout, /^hostile$/m);
        if (what === "query") {
          assert.equal(r.code, 0, r.stderr);
          assert.deepEqual(JSON.parse(r.stdout), { n: 200, s: 20100 });
        }
      }
      // The other connector's pull landed every record, once. Its hosts are
      // one name and the --base-url's port: 127.0.0.1's other ports are undeclared.
      assert.deepEqual(
        await streamStats(`${lake}/hackernews/items`, {
          n: "count(*)",
          ids: "count(DISTINCT id)",
        }),
        { n: 200, ids: 200 },
      );
      assert.equal(stolen, 0, "the undeclared host got a request");
      assert.ok(!(await exists(spawned)), "a program ran");
      assert.ok(
        !(await exists(planted)),
        "a file was written into connectors/",
      );
      for (const [what, text] of outputs) {
        assert.ok(!text.includes(secret), `${what}: the secret was read`);
        assert.ok(!/^root:/m.test(text), `${what}: /etc/passwd was read`);
      }
    });
  } finally {
    await Deno.remove(planted).catch(() => {});
  }
});
