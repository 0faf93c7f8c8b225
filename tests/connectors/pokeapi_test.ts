import assert from "node:assert/strict";
import pokeapi from "../../connectors/pokeapi.ts";
import {
  pokemonName,
  startPokeApiServer,
} from "../../core/testing/pokeapi_server.ts";
import { assertRecords, pullForTest } from "../../core/testing/kit.ts";

Deno.test("pokeapi server: a named resource list with count, next and previous", async () => {
  await using poke = startPokeApiServer({ count: 45 });
  const first = await (await fetch(`${poke.baseUrl}/pokemon/`)).json();
  assert.equal(first.count, 45);
  assert.equal(first.results.length, 20, "limit defaults to 20");
  assert.equal(first.previous, null);
  assert.equal(first.next, `${poke.baseUrl}/pokemon?offset=20&limit=20`);
  assert.deepEqual(first.results[0], {
    name: pokemonName(1),
    url: `${poke.baseUrl}/pokemon/1/`,
  });
  const last = await (await fetch(first.next.replace("offset=20", "offset=40")))
    .json();
  assert.equal(last.results.length, 5);
  assert.equal(last.next, null);
  const byName =
    await (await fetch(`${poke.baseUrl}/pokemon/${pokemonName(25)}`)).json();
  const byId = await (await fetch(`${poke.baseUrl}/pokemon/25/`)).json();
  assert.deepEqual(byName, byId);
  assert.equal(byId.name, pokemonName(25));
  assert.ok(Array.isArray(byId.types) && byId.stats.length === 6);
  const missing = await fetch(`${poke.baseUrl}/pokemon/9999/`);
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), "Not Found");
});

Deno.test("pokeapi: the list fans out by offset and each detail is a dependent request", async () => {
  const count = 151;
  await using poke = startPokeApiServer({ count });
  await using run = await pullForTest(pokeapi, {
    baseUrl: poke.baseUrl,
    concurrency: 8,
  });
  assert.equal(run.summary.status, "ok", run.summary.errors.join("\n"));
  assertRecords(run.rows.pokemon, {
    count,
    uniqueKey: "name",
    required: ["url"],
  });
  assertRecords(run.rows.pokemon_details, {
    count,
    uniqueKey: "id",
    required: ["name", "height", "weight"],
    types: { id: "number", name: "string" },
  });
  const ids = run.rows.pokemon_details!.map((r) => r.id as number);
  assert.equal(ids.reduce((a, b) => a + b, 0), count * (count + 1) / 2);
  const names = new Set(run.rows.pokemon!.map((r) => r.name));
  assert.ok(run.rows.pokemon_details!.every((r) => names.has(r.name)));
  // Each detail fetched once, by name; the list in pages of 100.
  const details = poke.requests.filter((r) =>
    /^\/api\/v2\/pokemon\/[^/]+\/$/.test(r.path)
  );
  assert.equal(details.length, count);
  assert.equal(new Set(details.map((r) => r.path)).size, count);
  const lists = poke.requests.filter((r) => r.path === "/api/v2/pokemon");
  assert.ok(lists.every((r) => r.query.limit === "100"));
  assert.deepEqual([...new Set(lists.map((r) => r.query.offset))].sort(), [
    "0",
    "100",
  ]);
});
