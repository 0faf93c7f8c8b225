// `--stall-timeout`: how long a pull waits out a source that throttles while
// no request succeeds, parsed like the other durations and passed to the run.
import assert from "node:assert/strict";
import { pullArgs, runCliChild } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

Deno.test("stall timeout: a zero or unreadable --stall-timeout is bad usage", async () => {
  const cases: Array<[string, RegExp]> = [
    ["0s", /--stall-timeout must be longer than 0s, got "0s"/],
    ["5x", /--stall-timeout must look like 5h, 90m, 1h30m or 45s, got "5x"/],
  ];
  for (const [value, message] of cases) {
    const r = await runCliChild([
      "pull",
      "demo",
      "--no-sandbox",
      "--stall-timeout",
      value,
    ]);
    assert.equal(r.code, 2, `${value}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

Deno.test("stall timeout: a source that answers only 429 fails the pull after --stall-timeout, saying so", async () => {
  // Written here, not taken from npm: a source that only ever sheds, with
  // the headers several large APIs send.
  await using source = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      Response.json({ error: "overloaded" }, {
        status: 429,
        headers: { "retry-after": "1", "retry-after-ms": "20" },
      }),
  );
  const url = `http://127.0.0.1:${source.addr.port}`;
  await withTempDir("inlet-stall-", async (lake) => {
    const r = await runCliChild(
      pullArgs("demo", url, lake, "--stall-timeout", "1s"),
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /Cannot fetch page 1 of "demo\/\w+": no progress for 1(\.\d+)?s, the source kept answering 429 .* at http:\/\/127\.0\.0\.1:\d+\//,
    );
  });
});
