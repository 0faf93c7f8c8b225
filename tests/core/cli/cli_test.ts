import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { runCliChild } from "../../_cli.ts";
import { streamStats } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

Deno.test("cli: list prints connectors with their streams", async () => {
  const r = await runCliChild(["list"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^hackernews/m);
  assertMatch(r.stdout, /hackernews\/items/);
  assertMatch(r.stdout, /demo\/items/);
});

Deno.test("cli: --help works on every command", async () => {
  for (const args of [["--help"], ["pull", "--help"], ["list", "--help"]]) {
    const r = await runCliChild(args);
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    assertMatch(r.stdout, /Usage: inlet/);
  }
  assertMatch(
    (await runCliChild(["pull", "--help"])).stdout,
    /--concurrency <n\|auto>/,
  );
});

Deno.test("cli: bad usage exits 2 with a clear message", async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["pull", "nosuch"],
      /unknown connector "nosuch"; known connectors: demo, github, hackernews, pokeapi, rest, stripe/,
    ],
    [["pull", "demo", "--bogus"], /unknown option '--bogus'/],
    [["pull", "demo", "--limit", "abc"], /--limit must be a whole number/],
    [
      ["pull", "demo", "--concurrency", "0"],
      /--concurrency must be a whole number/,
    ],
    [
      ["pull", "demo", "--format", "csv"],
      /Allowed choices are parquet, ndjson/,
    ],
    [["pull"], /missing required argument 'connector'/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const r = await runCliChild(args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertMatch(r.stderr, message);
  }
});

Deno.test("cli: pull lands the data and exits 0; a failing source exits 1", async () => {
  await using server = await startApiServer({ records: 400 });
  await withTempDir("inlet-cli-", async (lake) => {
    const ok = await runCliChild([
      "pull",
      "demo",
      "--base-url",
      server.url,
      "--lake",
      lake,
    ]);
    assertEquals(ok.code, 0, ok.stderr);
    assertMatch(ok.stderr, /run \S+: ok, 400 records/);
    const { n } = await streamStats(`${lake}/demo/items`, { n: "count(*)" });
    assertEquals(n, 400);

    const bad = await runCliChild([
      "pull",
      "demo",
      "--base-url",
      `${server.url}/nothing-here`,
      "--lake",
      lake,
    ]);
    assertEquals(bad.code, 1, bad.stderr);
    assertMatch(bad.stderr, /error: .*"demo\/items".*status 404/);
    assert(bad.stderr.includes(`${server.url}/nothing-here/offset/items`));
  });
});
