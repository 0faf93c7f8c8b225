import assert from "node:assert/strict";
import pokeapi from "../../../connectors/pokeapi.ts";
import { pull } from "../../../core/run/pull.ts";
import { startPokeApiServer } from "../../../core/testing/pokeapi_server.ts";
import {
  assertRecords,
  pullForTest,
  recordFetch,
  type Recording,
  startRecordedServer,
} from "../../../core/testing/kit.ts";
import { withTempDir } from "../../_lake.ts";

Deno.test("kit: the recorded server picks the most specific recording and fills {{baseUrl}}", async () => {
  await using server = startRecordedServer([
    { path: "/items", body: { which: "any" } },
    { path: "/items", query: { page: "2" }, body: { which: "page 2" } },
    {
      path: "/items",
      query: { page: "2", size: "5" },
      body: { which: "page 2 of 5" },
    },
    { method: "POST", path: "/items", status: 201, body: { which: "post" } },
    {
      path: "/link",
      headers: { link: '<{{baseUrl}}/items?page=2>; rel="next"' },
      body: { next: "{{baseUrl}}/items?page=2", nested: ["{{baseUrl}}"] },
    },
    {
      path: "/text",
      headers: { "content-type": "text/plain" },
      body: "plain {{baseUrl}}",
    },
  ]);
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${server.url}${path}`, init);
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
  assert.equal(JSON.parse((await get("/items")).body).which, "any");
  assert.equal(
    JSON.parse((await get("/items?page=2&key=secret")).body).which,
    "page 2",
  );
  assert.equal(
    JSON.parse((await get("/items?size=5&page=2")).body).which,
    "page 2 of 5",
  );
  assert.equal(JSON.parse((await get("/items?page=3")).body).which, "any");
  const posted = await get("/items", { method: "POST" });
  assert.equal(posted.status, 201);
  const link = await get("/link");
  assert.equal(
    link.headers.get("link"),
    `<${server.url}/items?page=2>; rel="next"`,
  );
  assert.deepEqual(JSON.parse(link.body), {
    next: `${server.url}/items?page=2`,
    nested: [server.url],
  });
  assert.equal((await get("/text")).body, `plain ${server.url}`);
  const missing = await get("/nothing?a=1");
  assert.equal(missing.status, 404);
  assert.match(missing.body, /no recording for GET \/nothing\?a=1/);
  assert.deepEqual(server.unmatched, ["GET /nothing?a=1"]);
});

Deno.test("kit: a bad recording is refused before the server starts", () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ path: "items", body: 1 }, /recordings\[0\]\.path must start with "\/"/],
    [{ path: "/items?page=2", body: 1 }, /must not hold the query string/],
    [{ path: "/items", status: 99, body: 1 }, /status must be an HTTP status/],
    [{ path: "/items" }, /recordings\[0\]\.body is required/],
  ];
  for (const [recording, message] of bad) {
    assert.throws(() => startRecordedServer([recording as Recording]), message);
  }
});

Deno.test("kit: recorded once from a live API, a pull replays to the same rows", async () => {
  await using live = startPokeApiServer({ count: 37 });
  const recorder = recordFetch();
  const recordings = await withTempDir("inlet-kit-", async (lake) => {
    const summary = await pull(pokeapi, {
      lake,
      baseUrl: live.baseUrl,
      fetch: recorder.fetch,
      concurrency: 4,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    // Saved as a test fixture would be: plain JSON, no live address left in it.
    const saved = JSON.stringify(recorder.recordings);
    assert.ok(
      !saved.includes(live.url),
      "the live origin is replaced by {{baseUrl}}",
    );
    return JSON.parse(saved) as Recording[];
  });
  await live.close();
  await using replay = startRecordedServer(recordings);
  await using run = await pullForTest(pokeapi, {
    baseUrl: `${replay.url}/api/v2`,
  });
  assert.equal(run.summary.status, "ok", run.summary.errors.join("\n"));
  assertRecords(run.rows.pokemon, { count: 37, uniqueKey: "name" });
  assertRecords(run.rows.pokemon_details, { count: 37, uniqueKey: "id" });
  assert.ok(
    run.rows.pokemon!.every((r) =>
      String(r.url).startsWith(`${replay.url}/api/v2/pokemon/`)
    ),
  );
  assert.deepEqual(replay.unmatched, []);
});

Deno.test("kit: pullForTest reads every stream back and removes its lake", async () => {
  await using server = startRecordedServer([
    {
      path: "/api/v2/pokemon",
      query: { offset: "0" },
      body: {
        count: 2,
        results: [{ name: "a", url: "u" }, { name: "b", url: "v" }],
      },
    },
    { path: "/api/v2/pokemon/a/", body: { id: 1, name: "a", height: 3 } },
    { path: "/api/v2/pokemon/b/", body: { id: 2, name: "b", height: 4.5 } },
  ]);
  const run = await pullForTest(pokeapi, { baseUrl: `${server.url}/api/v2` });
  try {
    assert.deepEqual(run.rows.pokemon_details!.map((r) => r.id).sort(), [1, 2]);
    assert.equal(run.types.pokemon_details?.id, "BIGINT");
    assert.equal(run.types.pokemon_details?.height, "DOUBLE");
    assert.ok((await Deno.stat(run.lake)).isDirectory);
  } finally {
    await run.cleanup();
  }
  await assert.rejects(() => Deno.stat(run.lake), Deno.errors.NotFound);
});

Deno.test("kit: assertRecords names what is wrong", () => {
  const rows = [
    { id: 1, at: new Date(0), kind: "a", tags: ["x"] },
    { id: 2, at: new Date(1), kind: "b", tags: [] },
  ];
  assertRecords(rows, {
    count: 2,
    minCount: 1,
    uniqueKey: "id",
    required: ["kind"],
    types: { id: "number", at: "date", kind: "string", tags: "array" },
  });
  const fails: Array<[Parameters<typeof assertRecords>, RegExp]> = [
    [[rows, { count: 3 }], /expected 3 records, got 2/],
    [[rows, { minCount: 5 }], /expected at least 5 records, got 2/],
    [
      [[...rows, { id: 1 }], { uniqueKey: "id" }],
      /duplicate key \(id\) = \["1"\] in records 0 and 2/,
    ],
    [
      [[{ a: 1, b: 2 }, { a: 1, b: 2 }], { uniqueKey: ["a", "b"] }],
      /duplicate key \(a, b\)/,
    ],
    [[[{ id: null }], { uniqueKey: "id" }], /record 0 has no key id/],
    [
      [[{ id: 1 }, { id: 2, kind: null }], { required: ["kind"] }],
      /record 0 lacks required field "kind"/,
    ],
    [
      [[{ id: 1 }, { id: "2" }], { types: { id: "number" } }],
      /record 1: field "id" is string, expected number/,
    ],
    [[undefined, { count: 0 }], /expected a list of records/],
  ];
  for (const [args, message] of fails) {
    assert.throws(() => assertRecords(...args), {
      name: "AssertionError",
      message,
    });
  }
});
