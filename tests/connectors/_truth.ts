/**
 * What a protocol server holds, read straight from it with plain `fetch`
 * (no inlet code on the way), and a field-by-field comparison of the
 * records a pull landed with it: the oracle of the contract pulls.
 *
 * @module
 */
import { AssertionError } from "node:assert";
import type { Row } from "../../core/connector/types.ts";

/** Every record the server holds, per stream, as JSON values. */
export type Truth = Record<string, Row[]>;

/** GET `url` and parse its JSON; throws on any status but 2xx. */
export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ body: unknown; link: string | null }> {
  const res = await fetch(url, { headers });
  if (!res.ok) {
    throw new Error(`Cannot read the truth: ${res.status} at ${url}`);
  }
  return { body: await res.json(), link: res.headers.get("link") };
}

/** Every page of a `Link: <...>; rel="next"` list, concatenated. */
export async function linkPages(
  url: string,
  headers: Record<string, string> = {},
): Promise<Row[]> {
  const out: Row[] = [];
  for (let next: string | undefined = url; next !== undefined;) {
    const { body, link } = await getJson(next, headers);
    out.push(...(body as Row[]));
    next = /<([^>]+)>;\s*rel="next"/.exec(link ?? "")?.[1];
  }
  return out;
}

/** Every page of a Stripe list (`starting_after` while `has_more`). */
export async function stripeList(
  url: string,
  key: string,
): Promise<Row[]> {
  const out: Row[] = [];
  const headers = { authorization: `Bearer ${key}` };
  for (let after = "";;) {
    const { body } = await getJson(`${url}?limit=100${after}`, headers);
    const page = body as { data: Row[]; has_more: boolean };
    out.push(...page.data);
    if (!page.has_more) return out;
    after = `&starting_after=${page.data.at(-1)!.id}`;
  }
}

const isNone = (v: unknown) => v === null || v === undefined;

/**
 * Where `got` (a value as DuckDB read it back) differs from `want` (the
 * server's JSON value), or undefined when they are the same. A missing
 * column stands for null; a timestamp equals the ISO text of the same
 * instant; a JSON column's text equals the object it encodes.
 */
export function difference(
  got: unknown,
  want: unknown,
  at = "",
): string | undefined {
  const show = () => `${at}: ${String(got)} != ${JSON.stringify(want)}`;
  if (isNone(want)) return isNone(got) ? undefined : show();
  if (got instanceof Date) {
    return typeof want === "string" && Date.parse(want) === got.getTime()
      ? undefined
      : show();
  }
  if (typeof want !== "object") return got === want ? undefined : show();
  if (typeof got === "string") {
    try {
      got = JSON.parse(got);
    } catch {
      return show();
    }
  }
  if (typeof got !== "object" || got === null) return show();
  if (Array.isArray(want) !== Array.isArray(got)) return show();
  const g = got as Record<string, unknown>, w = want as Record<string, unknown>;
  const keys = new Set([...Object.keys(g), ...Object.keys(w)]);
  if (Array.isArray(want) && g.length !== w.length) return show();
  for (const k of keys) {
    const d = difference(g[k], w[k], `${at}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

/**
 * Assert that `rows` are exactly `want`, matched by the key fields `key`:
 * the same keys, and every field of every record equal (see
 * {@linkcode difference}).
 */
export function assertSameRecords(
  stream: string,
  rows: readonly Row[] | undefined,
  want: readonly Row[],
  key: readonly string[],
): void {
  const fail = (message: string): never => {
    throw new AssertionError({ message: `${stream}: ${message}` });
  };
  const keyOf = (r: Row) =>
    JSON.stringify(key.map((k) => {
      const v = r[k];
      return v instanceof Date ? v.toISOString() : String(v);
    }));
  const landed = new Map((rows ?? []).map((r) => [keyOf(r), r]));
  if (landed.size !== want.length || (rows ?? []).length !== want.length) {
    fail(
      `${
        rows?.length ?? 0
      } records (${landed.size} distinct keys) landed, the server has ${want.length}`,
    );
  }
  for (const w of want) {
    const got = landed.get(keyOf(w));
    if (got === undefined) return fail(`record ${keyOf(w)} did not land`);
    const d = difference(got, w, keyOf(w));
    if (d !== undefined) fail(`a field differs from the server's: ${d}`);
  }
}
