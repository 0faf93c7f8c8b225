/**
 * Declared column types are checked where a connector is defined: in
 * `defineConnector()` and in a JSON spec, a type that is not one fails
 * naming connector, stream and field, with the type it is closest to.
 */
import assert from "node:assert/strict";
import { defineConnector } from "../../../core/connector/connector.ts";
import { ConfigError } from "../../../core/connector/errors.ts";
import { offsetPaginator } from "../../../core/paging/paginators.ts";
import { connectorFromSpec } from "../../../core/spec/connector_from_spec.ts";

const define = (columns: unknown) =>
  defineConnector({
    name: "shop",
    baseUrl: "https://shop.example.com",
    streams: {
      orders: {
        path: "/orders",
        primaryKey: "id",
        paginator: offsetPaginator({ limit: 10 }),
        columns: columns as never,
      },
    },
  });

const spec = (columns: unknown) =>
  connectorFromSpec({
    name: "shop",
    baseUrl: "https://shop.example.com",
    streams: {
      orders: {
        path: "/orders",
        primaryKey: "id",
        paginator: { type: "offset", limit: 10 },
        columns,
      },
    },
  }, "shop.json");

const GOOD = {
  id: "long",
  n: "int",
  x: "double",
  y: "float",
  ok: "boolean",
  s: "string",
  at: "timestamp",
  created: "timestamp_s",
  ms: "timestamp_ms",
  day: "date",
  raw: "json",
  amount: "decimal(18,2)",
  big: "decimal(38,0)",
};

Deno.test("column types: every declared type is accepted by defineConnector() and a JSON spec", () => {
  assert.deepEqual(define(GOOD).streams.orders!.columns, GOOD);
  assert.deepEqual(spec(GOOD).streams.orders!.columns, GOOD);
});

Deno.test("column types: an unknown type fails naming connector, stream and field, with a did-you-mean", () => {
  const cases: Array<[unknown, RegExp]> = [
    ["timestmp_s", /did you mean "timestamp_s"\?/],
    ["lnog", /did you mean "long"\?/],
    ["decimal(18, 2)", /write "decimal\(18,2\)" without spaces/],
    ["decimal(40,2)", /precision 1 to 38 and a scale 0 to P/],
    ["decimal(4,6)", /precision 1 to 38 and a scale 0 to P/],
    [
      "varchar",
      /known: long, int, double, float, boolean, string, timestamp, timestamp_s, timestamp_ms, date, json, decimal\(P,S\); got "varchar"/,
    ],
    [7, /is not a column type; known: .*; got 7/],
  ];
  for (const [type, says] of cases) {
    assert.throws(
      () => define({ created: type }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.startsWith(
          'connector "shop": stream "orders": columns.created is not a column type',
        ) && says.test(err.message),
      String(type),
    );
    assert.throws(
      () => spec({ created: type }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.startsWith(
          'spec shop.json: streams.orders.columns.created (field "created" of stream "shop/orders") is not a column type',
        ) && says.test(err.message),
      String(type),
    );
  }
  assert.throws(() => define(["long"]), /columns must be an object/);
  assert.throws(
    () => spec("long"),
    /streams\.orders\.columns must be an object/,
  );
  assert.throws(
    () => define({ id: "long", typo: "lng" }),
    /columns\.typo is not a column type \(did you mean "long"\?\)/,
  );
});
