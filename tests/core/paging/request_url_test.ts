import { deepStrictEqual as assertEquals } from "node:assert/strict";
import fc from "fast-check";
import {
  requestUrl,
  withoutExtras,
} from "../../../core/paging/_request_url.ts";
import type { PageRequest } from "../../../core/connector/types.ts";

// What requestUrl built before it wrote query strings itself: URL plus
// URLSearchParams.set for every parameter.
function viaSearchParams(
  baseUrl: string,
  path: string,
  params: Record<string, string>,
  req: PageRequest,
  extra: Record<string, string>,
): string {
  const p = req.path ?? path;
  const u = new URL(
    baseUrl.replace(/\/+$/, "") + (p === "" ? "" : "/" + p.replace(/^\/+/, "")),
  );
  const merged: Record<string, string> = { ...params };
  Object.assign(merged, extra, req.params ?? {});
  for (const [k, v] of Object.entries(merged)) u.searchParams.set(k, v);
  return u.href;
}

const text = fc.oneof(
  fc.constantFrom("limit", "offset", "a", "2", "x y", "é", "a+b", "&", "="),
  fc.string({ maxLength: 6, unit: "grapheme" }),
  fc.string({ maxLength: 6, unit: "binary" }),
);

Deno.test("requestUrl: the query it writes is the one URLSearchParams would", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(
        "http://127.0.0.1:8080",
        "https://API.example.com:443/v1/",
        "https://h.example.com/a/../b",
        "https://h.example.com/api?key=k",
        "http://h.example.com/x#frag",
      ),
      fc.constantFrom("/items", "items/ü x", "", "/a?b=1", "/q?", "/x#y"),
      fc.dictionary(text, text, { maxKeys: 4 }),
      fc.dictionary(text, text, { maxKeys: 3 }),
      fc.dictionary(text, text, { maxKeys: 2 }),
      (base, path, params, reqParams, extra) => {
        const req: PageRequest = { index: 1, params: reqParams };
        const stream = { path, params };
        assertEquals(
          requestUrl(base, stream, req, extra),
          viaSearchParams(base, path, params, req, extra),
        );
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("requestUrl: numbers and placeholders of a stream's params, and pages of one stream", () => {
  const stream = {
    path: "/repos/{repo}/items",
    params: { per_page: 50, q: "{q}" },
  };
  const vars = { repo: "a/b", q: "x" };
  for (const offset of [0, 50, 100]) {
    assertEquals(
      requestUrl(
        "https://h.example.com/",
        stream,
        { index: offset / 50, params: { offset: String(offset) } },
        { key: "k" },
        vars,
      ),
      `https://h.example.com/repos/a/b/items?per_page=50&q=x&key=k&offset=${offset}`,
    );
  }
});

Deno.test("withoutExtras: a next URL loses the extras it echoes, and is kept as it is without any", () => {
  const req = { index: 2, url: "https://h.example.com/items?after=9&key=k" };
  assertEquals(withoutExtras(req, {}) === req, true);
  assertEquals(withoutExtras(req, undefined) === req, true);
  assertEquals(withoutExtras(req, { key: "k" }), {
    index: 2,
    url: "https://h.example.com/items?after=9",
  });
  assertEquals(withoutExtras(req, { key: "other" }) === req, true);
});

Deno.test("requestUrl: a placeholder in a query value is encoded once (a space is %20 or +, never %2520)", () => {
  const stream = {
    path: "/search/{repo}",
    params: { q: "repo:{repo} is:{state}" },
  };
  const url = requestUrl(
    "https://h.example.com",
    stream,
    { index: 0 },
    {},
    { repo: "a/b c", state: "open&x=1" },
  );
  const u = new URL(url);
  assertEquals(u.pathname, "/search/a/b%20c");
  assertEquals(u.searchParams.get("q"), "repo:a/b c is:open&x=1");
  assertEquals([...u.searchParams.keys()], ["q"]);
});
