/**
 * json-server 0.17.4 (a REST server nobody here wrote) on 127.0.0.1 over a
 * database a test gives, in a temp folder removed after.
 *
 * @module
 */
import { withTempDir } from "./_lake.ts";
import { freePort, startNpmServer } from "./_npm_server.ts";

/**
 * Serve `db` (`{ <resource>: [records] }`) with json-server and pass its
 * URL and a temp folder to `fn`; the server is stopped and the folder
 * removed after.
 *
 * @example
 * ```ts ignore
 * import { withJsonServer } from "./_json_server.ts";
 * await withJsonServer({ items: [{ id: 1 }] }, async (url) => {
 *   await (await fetch(`${url}/items`)).json();
 * });
 * ```
 */
export async function withJsonServer<T>(
  db: Record<string, unknown[]>,
  fn: (url: string, dir: string) => Promise<T>,
): Promise<T> {
  return await withTempDir("inlet-jsonserver-", async (dir) => {
    const file = `${dir}/db.json`;
    await Deno.writeTextFile(file, JSON.stringify(db));
    const port = freePort();
    await using _server = await startNpmServer(
      [
        "npm:json-server@0.17.4",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        file,
      ],
      /Home\s+http:\/\/127\.0\.0\.1:\d+/,
    );
    return await fn(`http://127.0.0.1:${port}`, dir);
  });
}

/**
 * The JSON spec of a json-server resource, paged by `_start`/`_limit`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonServerSpec } from "./_json_server.ts";
 * assert.equal(jsonServerSpec("js", "http://127.0.0.1:1", "items").name, "js");
 * ```
 */
export function jsonServerSpec(
  name: string,
  url: string,
  resource: string,
): { name: string; baseUrl: string; streams: Record<string, unknown> } {
  return {
    name,
    baseUrl: url,
    streams: {
      [resource]: {
        path: `/${resource}`,
        primaryKey: "id",
        paginator: {
          type: "offset",
          limit: 10,
          limitParam: "_limit",
          offsetParam: "_start",
        },
      },
    },
  };
}
