/**
 * What the test API holds, read over HTTP the way a client sees it, and the
 * totals an exactly-once check compares a lake with.
 *
 * @module
 */
import type { ApiServer } from "../../../core/testing/api_server.ts";

/** Count, distinct keys, sum of keys and of a value field. */
export interface Totals {
  n: number;
  ids: number;
  s: number;
  v: number;
}

/**
 * {@linkcode Totals} of `rows`, summing the field `value`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { totals } from "./_server_truth.ts";
 * const t = totals([{ id: 1, score: 1.5 }, { id: 2, score: 3 }], "score");
 * assert.deepEqual(t, { n: 2, ids: 2, s: 3, v: 4.5 });
 * ```
 */
export function totals(
  rows: Array<Record<string, unknown>>,
  value: string,
): Totals {
  return {
    n: rows.length,
    ids: new Set(rows.map((r) => r.id)).size,
    s: rows.reduce((a, r) => a + Number(r.id), 0),
    v: rows.reduce((a, r) => a + Number(r[value]), 0),
  };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Cannot read ${url}: status ${res.status}`);
  return await res.json();
}

/** Every record of the test API's `/offset/items`, as the server holds it. */
export async function apiRecords(server: ApiServer) {
  const rows: Array<Record<string, unknown>> = [];
  for (let page: unknown[] = [undefined]; page.length > 0;) {
    const body = await getJson(
      `${server.url}/offset/items?offset=${rows.length}&limit=1000`,
    );
    page = (body as { items: Array<Record<string, unknown>> }).items;
    rows.push(...(page as Array<Record<string, unknown>>));
  }
  return rows;
}

/** Every Hacker News item of the test API, as the server holds it. */
export async function hnRecords(server: ApiServer) {
  const max = Number(await getJson(`${server.url}/v0/maxitem.json`));
  return await Promise.all(
    Array.from(
      { length: max },
      async (_, i) =>
        await getJson(`${server.url}/v0/item/${i + 1}.json`) as Record<
          string,
          unknown
        >,
    ),
  );
}
