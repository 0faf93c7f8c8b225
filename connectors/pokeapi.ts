/**
 * `pokeapi`: every Pokémon from PokeAPI (`https://pokeapi.co/api/v2`). The
 * list pages by offset with a `count`, so after the first page every page is
 * fetched at once; each list entry's detail is a dependent stream, fetched
 * while the list is still paging. No key; PokeAPI asks for fair use.
 *
 * @module
 */
import {
  defineConnector,
  offsetPaginator,
  singlePaginator,
} from "../core/mod.ts";

/**
 * The PokeAPI connector: `pokemon` (name and URL of each) and
 * `pokemon_details` (one request per Pokémon).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import pokeapi from "./pokeapi.ts";
 * assert(pokeapi.streams.pokemon_details?.parent?.stream === "pokemon");
 * ```
 */
export default defineConnector({
  name: "pokeapi",
  description:
    "Pokémon from PokeAPI: the list (offset fan-out) and each one's detail",
  baseUrl: "https://pokeapi.co/api/v2",
  streams: {
    pokemon: {
      path: "/pokemon",
      recordsPath: "results",
      primaryKey: "name",
      writeDisposition: "merge",
      paginator: offsetPaginator({ limit: 100, totalPath: "count" }),
    },
    pokemon_details: {
      path: "/pokemon/{name}/",
      parent: { stream: "pokemon", field: "name" },
      primaryKey: "id",
      // The detail of one Pokémon is one object.
      allowSingleRecord: true,
      writeDisposition: "merge",
      paginator: singlePaginator(),
    },
  },
});
