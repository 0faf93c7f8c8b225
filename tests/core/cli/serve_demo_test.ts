// `deno task pull demo --base-url http://127.0.0.1:8787`, as the README
// writes it, needs the sample API running: the README says how
// (`deno task serve-demo`), and a refused connection says so too.
import assert from "node:assert/strict";
import { ROOT, runDeno } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

/** A 127.0.0.1 port nothing listens on (bound, then released). */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("serve-demo: a pull of the demo with no sample API running names the URL and how to start it", async () => {
  await withTempDir("inlet-serve-demo-", async (lake) => {
    const url = `http://127.0.0.1:${closedPort()}`;
    const r = await runDeno(
      ["task", "-q", "pull", "demo", "--base-url", url, "--lake", lake],
      { env: { NO_COLOR: "1" } },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`connection refused`), r.stderr);
    assert.ok(r.stderr.includes(`${url}/offset/items`), r.stderr);
    assert.match(
      r.stderr,
      /^hint: .*start the sample API first with `deno task serve-demo`/m,
    );
  });
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const pull = readme.slice(readme.indexOf("## Pull"));
  assert.match(
    pull.slice(0, pull.indexOf("\n## ", 3)),
    /`deno task serve-demo`/,
  );
});

Deno.test("serve-demo: the task serves the demo connector's 100,000 records until stopped", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const command = config.tasks["serve-demo"].command as string;
  assert.match(command, /--port 8787\b/, "the demo connector's base URL");
  // Port 0 here: another test run may hold 8787.
  const [deno, ...args] = command.replace("--port 8787", "--port 0").split(" ");
  assert.equal(deno, "deno");
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const { value } = await reader.read();
    const url = value!.trim().split("\n")[0]!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await (await fetch(`${url}/offset/items?offset=0&limit=50`))
      .json();
    assert.equal(page.total, 100_000);
    assert.equal(page.items.length, 50);
    reader.releaseLock();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
});
