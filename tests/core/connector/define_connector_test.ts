/**
 * `defineConnector()` refuses keys it does not know, at run time, so a
 * plugin's typo (`recordPath`) fails before any request instead of landing
 * the wrong data without a word.
 */
import assert from "node:assert/strict";
import { defineConnector } from "../../../core/connector/connector.ts";
import { ConfigError } from "../../../core/connector/errors.ts";
import type { ConnectorDef } from "../../../core/connector/types.ts";
import {
  offsetPaginator,
  singlePaginator,
} from "../../../core/paging/paginators.ts";

function def(stream: Record<string, unknown> = {}, top = {}): ConnectorDef {
  return {
    name: "shop",
    baseUrl: "http://127.0.0.1:9",
    streams: {
      orders: {
        path: "/orders",
        primaryKey: "id",
        paginator: singlePaginator(),
        ...stream,
      },
    },
    ...top,
  } as ConnectorDef;
}

Deno.test("defineConnector: recordPath instead of recordsPath fails, naming recordsPath", () => {
  assert.throws(
    () => defineConnector(def({ recordPath: "items" })),
    (err: Error) => {
      assert(err instanceof ConfigError, String(err));
      assert.match(
        err.message,
        /connector "shop": stream "orders": unknown key "recordPath" \(did you mean "recordsPath"\?\)/,
      );
      return true;
    },
  );
});

Deno.test("defineConnector: an unknown key at the top, in incremental, parent, partition, rateLimit or an option fails with did-you-mean", () => {
  const cases: Array<[ConnectorDef, RegExp]> = [
    [
      def({}, { baseURL: "x" }),
      /connector "shop": unknown key "baseURL" \(did you mean "baseUrl"\?\)/,
    ],
    [
      def({}, { stream: {} }),
      /unknown key "stream" \(did you mean "streams"\?\)/,
    ],
    [
      def({ incremental: { cursorFeild: "updated_at" } }),
      /stream "orders": incremental: unknown key "cursorFeild" \(did you mean "cursorField"\?\)/,
    ],
    [
      def({ path: "/o/{id}", parent: { stream: "orders", feild: "id" } }),
      /parent: unknown key "feild" \(did you mean "field"\?\)/,
    ],
    [
      def({}, { rateLimit: { requests: 1, perSecond: 1 } }),
      /rateLimit: unknown key "perSecond" \(did you mean "perSeconds"\?\)/,
    ],
    [
      def({}, { options: { repo: { description: "r", multipel: true } } }),
      /option "repo": unknown key "multipel" \(did you mean "multiple"\?\)/,
    ],
    [
      def({ primarykey: "id" }),
      /unknown key "primarykey" \(did you mean "primaryKey"\?\)/,
    ],
    [
      def({ zzzzzzzz: 1 }),
      /unknown key "zzzzzzzz"; known: path, method, body, params/,
    ],
  ];
  for (const [d, re] of cases) {
    assert.throws(() => defineConnector(d), (err: Error) => {
      assert(err instanceof ConfigError, String(err));
      assert.match(err.message, re);
      return true;
    });
  }
});

Deno.test("defineConnector: a paginator option typo fails with did-you-mean", () => {
  assert.throws(
    () =>
      offsetPaginator({ limit: 10, limitParm: "n" } as unknown as {
        limit: number;
      }),
    /offsetPaginator: unknown option "limitParm" \(did you mean "limitParam"\?\)/,
  );
});

Deno.test("defineConnector: every declared key is still accepted", () => {
  const c = defineConnector(def({
    params: { a: 1 },
    recordsPath: "items",
    allowNullRecords: false,
    allowSingleRecord: false,
    allowMissingKey: false,
    allowInvalidUtf8: false,
    writeDisposition: "merge",
    incremental: { cursorField: "u", param: "since", lookback: 1 },
    paginator: offsetPaginator({ limit: 10 }),
  }, {
    description: "d",
    hosts: ["127.0.0.1:9"],
    rateLimit: { requests: 1, perSeconds: 1 },
    headers: { a: "b" },
    secrets: [],
    options: { repo: { description: "r", multiple: true, default: ["x"] } },
  }));
  assert.equal(c.name, "shop");
});
