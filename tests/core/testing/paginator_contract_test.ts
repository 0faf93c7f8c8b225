/**
 * The paginator contract (`assertPaginator`, used by the contract suite for
 * every stream of every connector): a paginator written for a plugin passes
 * when it keeps the contract, whatever its type is called, and each broken
 * rule is named.
 */
import assert from "node:assert/strict";
import { AssertionError } from "node:assert";
import { PaginationError } from "../../../core/connector/errors.ts";
import {
  cursorPaginator,
  idRangePaginator,
  keysetPaginator,
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  pageNumberPaginator,
  singlePaginator,
} from "../../../core/paging/paginators.ts";
import { assertPaginator } from "../../../core/testing/kit.ts";
import type { Paginator } from "../../../core/connector/types.ts";
import { readmeConnector } from "../../_readme_example.ts";

// The README's example: CouchDB `_all_docs` keyset paging in a plugin.
const couchKeyset: Paginator = {
  type: "couch-keyset",
  first: () => ({ index: 0, params: { limit: "50" } }),
  next: (page) => {
    const last = page.records.at(-1);
    if (page.records.length < 50 || last === undefined) return { type: "done" };
    return {
      type: "next",
      request: {
        index: page.request.index + 1,
        params: { limit: "50", startkey: JSON.stringify(last.id), skip: "1" },
      },
    };
  },
};

Deno.test("contract: a custom paginator that keeps the contract passes, whatever its type", () => {
  assertPaginator(couchKeyset, "couch/docs");
});

Deno.test("contract: every built-in paginator keeps it", () => {
  const all: Paginator[] = [
    offsetPaginator({ limit: 10, totalPath: "total" }),
    offsetPaginator({ limit: 10, totalHeader: "X-Total-Count" }),
    offsetPaginator({ limit: 10 }),
    pageNumberPaginator({ totalHeader: "X-Total-Count", size: 5 }),
    cursorPaginator({ cursorParam: "since", cursorPath: "last_seq" }),
    cursorPaginator({
      cursorIn: "body",
      cursorParam: "variables.after",
      cursorPath: "data.pageInfo.endCursor",
      hasMorePath: "data.pageInfo.hasNextPage",
    }),
    keysetPaginator({
      keyParam: "startkey",
      encode: "json",
      skip: 1,
      limit: 5,
    }),
    nextUrlPaginator({ path: "next" }),
    linkHeaderPaginator(),
    idRangePaginator({ maxIdPath: "/max", itemPath: "/item/{id}" }),
    singlePaginator(),
  ];
  for (const p of all) assertPaginator(p, `built-in ${p.type}`);
});

Deno.test("contract: each broken rule is named", () => {
  const cases: Array<[string, Partial<Paginator>, RegExp]> = [
    ["no type", { type: "" }, /x\/y: paginator has no type/],
    [
      "a first request not at 0",
      { first: () => ({ index: 1 }) },
      /first\(\) has index 1; want 0/,
    ],
    [
      "a number param",
      { first: () => ({ index: 0, params: { limit: 50 as never } }) },
      /param "limit" is a number; params are strings/,
    ],
    [
      "a request JSON cannot keep",
      {
        first: () => ({
          index: 0,
          params: { a: "1" },
          extra: undefined,
          when: new Date(0),
        } as never),
      },
      /changes through JSON/,
    ],
    [
      "an impure first()",
      (() => {
        let n = 0;
        return { first: () => ({ index: 0, params: { n: String(n++) } }) };
      })(),
      /first\(\) is not pure/,
    ],
    [
      "an empty page that loops",
      {
        next: (page) => ({
          type: "next",
          request: { ...page.request, index: page.request.index + 1 },
        }),
      },
      /same request again: the stream would never end/,
    ],
    [
      "a TypeError by accident on an empty page",
      {
        next: (page) => {
          const last = page.records[page.records.length - 1] as { id: string };
          return {
            type: "next",
            request: { index: 1, params: { k: last.id } },
          };
        },
      },
      /threw TypeError instead of ending or throwing a PaginationError/,
    ],
    [
      "an unknown plan",
      { next: () => ({ type: "more" }) as never },
      /next\(\) returned type "more"/,
    ],
    [
      "a window without an end",
      {
        next: () => ({ type: "window", requests: [{ index: 1 }] }) as never,
      },
      /a window plan needs isLast\(\)/,
    ],
    [
      "an impure next()",
      (() => {
        let n = 0;
        return {
          next: () =>
            n++ === 0 ? { type: "done" } : {
              type: "next",
              request: { index: 1, params: { p: "2" } },
            },
        } as Partial<Paginator>;
      })(),
      /next\(\) is not pure/,
    ],
  ];
  for (const [what, over, want] of cases) {
    assert.throws(
      () => assertPaginator({ ...couchKeyset, ...over } as Paginator, "x/y"),
      (err: unknown) => err instanceof AssertionError && want.test(err.message),
      what,
    );
  }
});

Deno.test("contract: refusing an empty page with a PaginationError is keeping it", () => {
  assertPaginator({
    ...couchKeyset,
    next: (page) => {
      throw new PaginationError("no cursor", { page: page.request.index });
    },
  }, "x/y");
});

Deno.test("contract: the README's custom paginator keeps the contract, in at most 20 lines", async () => {
  const { connector, lines } = await readmeConnector(
    "<!-- custom-paginator-example -->",
  );
  assert.ok(lines <= 20, `the README example has ${lines} lines`);
  assertPaginator(connector.streams.docs!.paginator, "readme couch/docs");
  assert.equal(connector.streams.docs!.paginator.type, "couch-keyset");
});
