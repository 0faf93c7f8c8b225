/**
 * A local server that speaks PokeAPI v2 (`https://pokeapi.co/api/v2`) for the
 * endpoints the `pokeapi` connector reads, as its documentation describes:
 *
 * - `GET /api/v2/pokemon?offset=&limit=` (also `/pokemon/`): a named resource
 *   list `{ count, next, previous, results: [{ name, url }] }`; `limit`
 *   defaults to 20, `next`/`previous` are absolute URLs or `null`.
 * - `GET /api/v2/pokemon/{id or name}/` (the slash optional): the Pokémon,
 *   with `id`, `name`, `height`, `weight`, `base_experience`, `order`,
 *   `is_default`, `abilities`, `types`, `stats`, `species`, `sprites`, ...
 * - Anything else: 404 with the plain-text body `Not Found`, as PokeAPI does.
 *
 * PokeAPI sends no rate-limit headers (it asks for fair use and caching);
 * answers carry its `cache-control`. Names are generated from the id, so
 * every run sees the same data.
 *
 * @module
 */

import { json, type LocalServer, serveLocal } from "./_serve.ts";

/**
 * How the PokeAPI server behaves.
 *
 * @example
 * ```ts
 * import type { PokeApiServerOptions } from "./pokeapi_server.ts";
 * const options: PokeApiServerOptions = { count: 40 };
 * ```
 */
export interface PokeApiServerOptions {
  /** Pokémon served, ids `1..count`. @default {151} */
  count?: number;
}

/**
 * A running PokeAPI server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pokemonName, startPokeApiServer } from "./pokeapi_server.ts";
 * await using poke = startPokeApiServer({ count: 3 });
 * const res = await fetch(`${poke.baseUrl}/pokemon/${pokemonName(2)}/`);
 * assert.equal((await res.json()).id, 2);
 * ```
 */
export interface PokeApiServer extends LocalServer {
  /** The API root to use as a base URL: `http://127.0.0.1:PORT/api/v2`. */
  readonly baseUrl: string;
}

const SYLLABLES = [
  "bul",
  "char",
  "squir",
  "pi",
  "ka",
  "mew",
  "ee",
  "snor",
  "geo",
  "dra",
  "lap",
  "ony",
  "zu",
  "psy",
  "mag",
  "tor",
];
const TYPES = [
  "normal",
  "fire",
  "water",
  "grass",
  "electric",
  "psychic",
  "rock",
  "ghost",
];
const STATS = [
  "hp",
  "attack",
  "defense",
  "special-attack",
  "special-defense",
  "speed",
];

/**
 * The name of Pokémon `id` on this server: syllables spelling the id, and a
 * `-f` suffix on every 25th (hyphenated names exist on PokeAPI too).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pokemonName } from "./pokeapi_server.ts";
 * assert(pokemonName(1) !== pokemonName(2));
 * assert(pokemonName(25).endsWith("-f"));
 * ```
 */
export function pokemonName(id: number): string {
  let name = "";
  let n = id;
  do {
    name = SYLLABLES[n % 16] + name;
    n = Math.floor(n / 16);
  } while (n > 0);
  return id % 25 === 0 ? `${name}-f` : name;
}

function named(api: string, kind: string, name: string, id: number) {
  return { name, url: `${api}/${kind}/${id}/` };
}

function pokemon(api: string, id: number): Record<string, unknown> {
  const name = pokemonName(id);
  const t1 = TYPES[id % TYPES.length]!;
  const types = [{
    slot: 1,
    type: named(api, "type", t1, 1 + id % TYPES.length),
  }];
  if (id % 3 === 0) {
    const t2 = TYPES[(id + 3) % TYPES.length]!;
    types.push({
      slot: 2,
      type: named(api, "type", t2, 1 + (id + 3) % TYPES.length),
    });
  }
  return {
    id,
    name,
    base_experience: 50 + id % 200,
    height: 3 + id % 20,
    weight: 40 + (id * 37) % 900,
    order: id,
    is_default: true,
    location_area_encounters: `${api}/pokemon/${id}/encounters`,
    abilities: [{
      ability: named(api, "ability", `ability-${id % 30}`, 1 + id % 30),
      is_hidden: false,
      slot: 1,
    }],
    forms: [named(api, "pokemon-form", name, id)],
    species: named(api, "pokemon-species", name, id),
    types,
    stats: STATS.map((s, i) => ({
      base_stat: 20 + (id * (i + 3)) % 100,
      effort: i === id % 6 ? 1 : 0,
      stat: named(api, "stat", s, i + 1),
    })),
    sprites: {
      front_default:
        `https://raw.githubusercontent.com/PokeAPI/sprites/master/sprites/pokemon/${id}.png`,
      back_default: null,
    },
  };
}

function count(q: URLSearchParams, name: string, fallback: number): number {
  const raw = q.get(name);
  const n = Number(raw);
  return raw !== null && raw !== "" && Number.isSafeInteger(n) && n >= 0
    ? n
    : fallback;
}

/**
 * Start a PokeAPI server on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startPokeApiServer } from "./pokeapi_server.ts";
 * const poke = startPokeApiServer({ count: 30 });
 * try {
 *   const page = await (await fetch(`${poke.baseUrl}/pokemon?offset=20&limit=20`)).json();
 *   assert.equal(page.count, 30);
 *   assert.equal(page.results.length, 10);
 *   assert.equal(page.next, null);
 *   assert.equal(page.previous, `${poke.baseUrl}/pokemon?offset=0&limit=20`);
 *   const missing = await fetch(`${poke.baseUrl}/pokemon/31/`);
 *   assert.equal(missing.status, 404);
 *   assert.equal(await missing.text(), "Not Found");
 * } finally {
 *   await poke.close();
 * }
 * ```
 */
export function startPokeApiServer(
  options: PokeApiServerOptions = {},
): PokeApiServer {
  const total = options.count ?? 151;
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new RangeError(`count must be an integer >= 0, got ${total}`);
  }
  const byName = new Map<string, number>();
  for (let id = 1; id <= total; id++) byName.set(pokemonName(id), id);
  const cache = { "cache-control": "public, max-age=86400, s-maxage=86400" };
  const notFound = () =>
    new Response("Not Found", {
      status: 404,
      headers: { "content-type": "text/plain" },
    });

  const server = serveLocal((req, url) => {
    if (req.method !== "GET") return notFound();
    const api = `${url.origin}/api/v2`;
    const path = url.pathname;
    if (path === "/api/v2/pokemon" || path === "/api/v2/pokemon/") {
      const q = url.searchParams;
      const offset = count(q, "offset", 0);
      const limit = count(q, "limit", 20);
      const page = (o: number) => `${api}/pokemon?offset=${o}&limit=${limit}`;
      const results = [];
      for (let id = offset + 1; id <= Math.min(total, offset + limit); id++) {
        results.push(named(api, "pokemon", pokemonName(id), id));
      }
      return json(200, {
        count: total,
        next: offset + limit < total ? page(offset + limit) : null,
        previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
        results,
      }, cache);
    }
    const m = /^\/api\/v2\/pokemon\/([^/]+)\/?$/.exec(path);
    if (m) {
      const key = decodeURIComponent(m[1]!).toLowerCase();
      const id = /^\d+$/.test(key) ? Number(key) : byName.get(key);
      if (id !== undefined && id >= 1 && id <= total) {
        return json(200, pokemon(api, id), cache);
      }
    }
    return notFound();
  });
  return { ...server, baseUrl: `${server.url}/api/v2` };
}
