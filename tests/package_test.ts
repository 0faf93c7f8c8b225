// inlet as a package (#16.1): deno.json names it, versions it and exports
// the connector API (with pull()), the CLI and the testing kit; the CLI
// prints that version; `deno publish --dry-run` passes, offline.
import assert from "node:assert/strict";
import { ROOT, runCliChild, runDeno } from "./_cli.ts";

interface DenoJson {
  name?: string;
  version?: string;
  exports?: Record<string, string>;
}

const config = JSON.parse(
  await Deno.readTextFile(`${ROOT}/deno.json`),
) as DenoJson;

Deno.test("package: deno.json has a scoped name, a semver version and the exports users need", async () => {
  assert.match(config.name ?? "", /^@[a-z0-9-]+\/[a-z0-9-]+$/);
  assert.match(config.version ?? "", /^\d+\.\d+\.\d+(-[\w.]+)?$/);
  const exports = config.exports ?? {};
  assert.deepEqual(
    [".", "./cli", "./testing"].filter((k) => !(k in exports)),
    [],
  );
  for (const [key, file] of Object.entries(exports)) {
    const stat = await Deno.stat(`${ROOT}/${file}`).catch(() => null);
    assert(stat?.isFile, `export ${key}: ${file} is not a file`);
  }
  const api = await import(`${ROOT}/${exports["."]}`);
  for (const name of ["defineConnector", "pull", "offsetPaginator"]) {
    assert.equal(typeof api[name], "function", `"." exports no ${name}`);
  }
  const testing = await import(`${ROOT}/${exports["./testing"]}`);
  for (const name of ["pullForTest", "startRecordedServer", "assertRecords"]) {
    assert.equal(typeof testing[name], "function", `no ${name}`);
  }
  const cli = await import(`${ROOT}/${exports["./cli"]}`);
  assert.equal(typeof cli.main, "function");
});

Deno.test("package: `inlet --version` prints the version of deno.json", async () => {
  const r = await runCliChild(["--version"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), config.version);
});

Deno.test("package: `deno publish --dry-run` passes offline (no slow types, every export resolves)", async () => {
  // --allow-dirty: a working copy with uncommitted changes is the usual case here.
  const r = await runDeno(["publish", "--dry-run", "--allow-dirty"], {
    env: { NO_COLOR: "1" },
    timeoutMs: 300_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /Success Dry run complete/);
  const files = [...(r.stderr + r.stdout).matchAll(/^\s+file:\/\/\S+/gm)]
    .map((m) => m[0].trim());
  assert(
    files.some((f) => f.endsWith("/core/mod.ts")),
    "core/mod.ts is not published",
  );
  // Tests and CI scripts stay out of the package.
  assert.deepEqual(
    files.filter((f) => /\/(tests|\.ci|\.github)\//.test(f)),
    [],
  );
});
