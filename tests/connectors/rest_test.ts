import assert from "node:assert/strict";
import rest, {
  connectorFromSpec,
  exampleSpec,
  loadSpec,
} from "../../connectors/rest.ts";
import { ConfigError } from "../../core/connector/errors.ts";
import { startApiServer } from "../../core/testing/api_server.ts";
import {
  assertRecords,
  pullForTest,
  readStream,
  type Recording,
  startRecordedServer,
} from "../../core/testing/kit.ts";
import { runCliChild } from "../_cli.ts";
import { withTempDir } from "../_lake.ts";

const good = () => ({
  name: "my-api",
  baseUrl: "https://api.example.com/v1",
  auth: { type: "bearer", env: "MY_API_TOKEN" },
  streams: {
    orders: {
      path: "/orders",
      params: { status: "all" },
      recordsPath: "data",
      primaryKey: "id",
      paginator: { type: "offset", limit: 100, totalPath: "total" },
    },
    order_lines: {
      path: "/orders/{id}/lines",
      parent: { stream: "orders", field: "id" },
      primaryKey: ["order_id", "line"],
      paginator: { type: "single" },
    },
  },
});

type Spec = ReturnType<typeof good> & Record<string, unknown>;

// Each case breaks one field of a good spec; the error must name that field.
const badSpecs: Array<[string, (s: Spec) => unknown, string]> = [
  [
    "a misspelt paginator type",
    (s) => (s.streams.orders.paginator.type = "ofset", s),
    'streams.orders.paginator.type must be one of offset, page, cursor, next_url, link, single, keyset, id_range; got "ofset"',
  ],
  [
    "no paginator",
    (s) => (delete (s.streams.orders as Record<string, unknown>).paginator, s),
    "streams.orders.paginator is required (inlet never guesses how a stream pages)",
  ],
  [
    "an option of another paginator",
    (
      s,
    ) => ((s.streams.orders.paginator as Record<string, unknown>).cursorParam =
      "c",
      s),
    "streams.orders.paginator.cursorParam is not an option of the offset paginator; its options: limit, limitParam, offsetParam, totalPath, totalHeader, start",
  ],
  [
    "a paginator option of the wrong type",
    (
      s,
    ) => ((s.streams.orders.paginator as Record<string, unknown>).limit = "100",
      s),
    'streams.orders.paginator.limit must be a whole number >= 1; got "100"',
  ],
  [
    "a paginator the factory refuses",
    (
      s,
    ) => (s.streams.orders.paginator = {
      type: "cursor",
      cursorParam: "c",
    } as never,
      s),
    'streams.orders.paginator is not a valid cursor paginator: cursorPaginator: option "cursorPath" is required',
  ],
  [
    "an unknown top-level field",
    (s) => (s.baseURL = "x", s),
    'baseURL is not a known field (did you mean "baseUrl"?)',
  ],
  [
    "an unknown stream field",
    (s) => ((s.streams.orders as Record<string, unknown>).primarykey = "id", s),
    'streams.orders.primarykey is not a known field (did you mean "primaryKey"?)',
  ],
  [
    "no name",
    (s) => (delete (s as Record<string, unknown>).name, s),
    "name is required",
  ],
  [
    "a bad name",
    (s) => (s.name = "My API", s),
    'name must use lowercase letters, digits, "-" and "_", starting with a letter; got "My API"',
  ],
  [
    "a base URL that is not one",
    (s) => (s.baseUrl = "api.example.com", s),
    'baseUrl must be an http(s) URL; got "api.example.com"',
  ],
  [
    "no streams",
    (s) => (s.streams = {} as never, s),
    "streams must declare at least one stream",
  ],
  [
    "streams as a list",
    (s) => ((s as Record<string, unknown>).streams = [], s),
    "streams must be an object of streams by name; got []",
  ],
  [
    "no primary key",
    (s) => (delete (s.streams.orders as Record<string, unknown>).primaryKey, s),
    "streams.orders.primaryKey is required",
  ],
  [
    "an empty key list",
    (
      s,
    ) => ((s.streams.order_lines as Record<string, unknown>).primaryKey = [],
      s),
    "streams.order_lines.primaryKey must list at least 1 item(s)",
  ],
  [
    "a nested param",
    (
      s,
    ) => ((s.streams.orders as Record<string, unknown>).params = {
      q: { a: 1 },
    },
      s),
    'streams.orders.params.q must be a string, number or boolean; got {"a":1}',
  ],
  [
    "a bad write disposition",
    (
      s,
    ) => ((s.streams.orders as Record<string, unknown>).writeDisposition =
      "upsert",
      s),
    'streams.orders.writeDisposition must be one of append, merge, replace; got "upsert"',
  ],
  [
    "an incremental stream without its field",
    (
      s,
    ) => ((s.streams.orders as Record<string, unknown>).incremental = {
      param: "since",
    },
      s),
    "streams.orders.incremental.cursorField is required",
  ],
  [
    "a bad lookback",
    (
      s,
    ) => ((s.streams.orders as Record<string, unknown>).incremental = {
      cursorField: "t",
      lookback: -5,
    },
      s),
    "streams.orders.incremental.lookback must be a whole number >= 0; got -5",
  ],
  [
    "a partition of an unknown kind",
    (
      s,
    ) => ((s.streams.orders as Record<string, unknown>).partition = {
      kind: "date",
      gteParam: "a",
      ltParam: "b",
      start: 0,
      field: "t",
    },
      s),
    'streams.orders.partition.kind must be one of unix, iso, int; got "date"',
  ],
  [
    "a partition start that is no time",
    (
      s,
    ) => ((s.streams.orders as Record<string, unknown>).partition = {
      kind: "iso",
      gteParam: "a",
      ltParam: "b",
      start: "yesterday",
      field: "t",
    },
      s),
    'streams.orders.partition.start must be an ISO 8601 time; got "yesterday"',
  ],
  [
    "a parent that does not exist",
    (s) => (s.streams.order_lines.parent.stream = "order", s),
    'streams.order_lines.parent.stream must name another stream of the spec (orders); got "order"',
  ],
  [
    "a dependent path without its placeholder",
    (s) => (s.streams.order_lines.path = "/lines", s),
    'streams.order_lines.path must hold the placeholder {id} its parent fills; got "/lines"',
  ],
  [
    "a bad stream name",
    (
      s,
    ) => ((s.streams as Record<string, unknown>)["Orders!"] = s.streams.orders,
      s),
    "streams.Orders! is not a valid stream name",
  ],
  [
    "an unknown auth type",
    (s) => (s.auth.type = "oauth", s),
    'auth.type must be one of none, bearer, header, query, basic, oauth2; got "oauth"',
  ],
  [
    "auth without its variable",
    (s) => (s.auth = { type: "header", name: "x-key" } as never, s),
    "auth.env is required",
  ],
  [
    "auth naming a lowercase variable",
    (s) => (s.auth.env = "token", s),
    'auth.env must name an environment variable (UPPER_CASE); got "token"',
  ],
  [
    "a secret in the headers",
    (s) => (s.headers = { Authorization: "Bearer abc" }, s),
    'headers.Authorization must not carry a secret in the spec: use "auth" with an environment variable',
  ],
  [
    "a bad rate limit",
    (s) => (s.rateLimit = { requests: 0, perSeconds: 1 }, s),
    "rateLimit.requests must be a number > 0; got 0",
  ],
  [
    "hosts as a string",
    (s) => (s.hosts = "api.example.com", s),
    'hosts must be a list; got "api.example.com"',
  ],
  [
    "an option without description",
    (s) => (s.options = { account: { required: true } }, s),
    "options.account.description is required",
  ],
  [
    "an opt-in flag that is not true or false",
    (s) => (
      (s.streams.orders as Record<string, unknown>).allowNullRecords = "yes", s
    ),
    'streams.orders.allowNullRecords must be true or false; got "yes"',
  ],
  ["not an object", () => [], "must be an object; got []"],
];

for (const [what, breakIt, message] of badSpecs) {
  Deno.test(`rest: spec with ${what} is refused, naming the field`, () => {
    let err: unknown;
    try {
      connectorFromSpec(breakIt(good() as Spec), "my-api.json");
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.ok(err.message.startsWith("spec my-api.json: "), err.message);
    assert.ok(
      err.message.includes(message),
      `got: ${err.message}\nwant: ${message}`,
    );
  });
}

Deno.test("rest: a good spec becomes a checked connector", () => {
  const c = connectorFromSpec(good(), "my-api.json");
  assert.equal(c.name, "my-api");
  assert.deepEqual(c.hosts, ["api.example.com"]);
  assert.deepEqual(c.secrets, ["MY_API_TOKEN"]);
  assert.equal(c.streams.orders?.paginator.type, "offset");
  assert.deepEqual(c.streams.order_lines?.parent, {
    stream: "orders",
    field: "id",
  });
  assert.equal(c.streams.orders?.allowSingleRecord, undefined);
  const spec = good();
  (spec.streams.orders as Record<string, unknown>).allowSingleRecord = true;
  const opted = connectorFromSpec(spec, "my-api.json");
  assert.equal(opted.streams.orders?.allowSingleRecord, true);
});

Deno.test("rest: loadSpec names the file on a missing file or bad JSON", async () => {
  await withTempDir("inlet-spec-", async (dir) => {
    await assert.rejects(
      () => loadSpec(`${dir}/nope.json`),
      {
        name: "ConfigError",
        message: /nope\.json: cannot read it: no such file/,
      },
    );
    await Deno.writeTextFile(`${dir}/bad.json`, '{"name": "x",');
    await assert.rejects(
      () => loadSpec(`${dir}/bad.json`),
      { name: "ConfigError", message: /bad\.json is not valid JSON/ },
    );
    await Deno.writeTextFile(`${dir}/ok.json`, JSON.stringify(good()));
    assert.equal((await loadSpec(`${dir}/ok.json`)).name, "my-api");
  });
});

Deno.test("rest: the registered connector is the example spec and takes --spec", () => {
  assert.equal(rest.name, "rest");
  assert.deepEqual(Object.keys(rest.streams), Object.keys(exampleSpec.streams));
  assert.deepEqual(rest.hosts, ["jsonplaceholder.typicode.com"]);
  assert.ok(rest.options?.spec !== undefined);
});

Deno.test("rest: a spec pulls every paging style of a local API end to end", async () => {
  const records = 730;
  await using server = await startApiServer({ records });
  await withTempDir("inlet-spec-", async (dir) => {
    const file = `${dir}/local.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        name: "local",
        baseUrl: server.url,
        streams: {
          offset: {
            path: "/offset/items",
            recordsPath: "items",
            primaryKey: "id",
            paginator: { type: "offset", limit: 100, totalPath: "total" },
          },
          pages: {
            path: "/pages/items",
            recordsPath: "data",
            primaryKey: "id",
            paginator: {
              type: "page",
              sizeParam: "per_page",
              size: 60,
              totalPagesPath: "total_pages",
            },
          },
          cursor: {
            path: "/cursor/items",
            params: { limit: 90 },
            recordsPath: "data",
            primaryKey: "id",
            paginator: {
              type: "cursor",
              cursorParam: "cursor",
              cursorPath: "next_cursor",
            },
          },
          next: {
            path: "/next/items",
            recordsPath: "results",
            primaryKey: "id",
            paginator: { type: "next_url", path: "next" },
          },
          link: {
            path: "/link/items",
            params: { per_page: 100 },
            primaryKey: "id",
            paginator: { type: "link" },
          },
        },
      }),
    );
    const local = await loadSpec(file);
    await using run = await pullForTest(local, { baseUrl: server.url });
    assert.equal(run.summary.status, "ok", run.summary.errors.join("\n"));
    for (const stream of Object.keys(local.streams)) {
      assertRecords(run.rows[stream], {
        count: records,
        uniqueKey: "id",
        types: { id: "number" },
      });
      const sum = run.rows[stream]!.reduce((n, r) => n + (r.id as number), 0);
      assert.equal(sum, records * (records + 1) / 2, stream);
    }
  });
});

// JSONPlaceholder as it answers: `_page`/`_limit` pages, an empty page past the end.
function placeholderRecordings(): Recording[] {
  const pages = (
    path: string,
    total: number,
    size: number,
    make: (id: number) => object,
  ) => {
    const out: Recording[] = [];
    // Pages past the end answer [], as json-server does: the engine reads ahead.
    for (let page = 1; page <= Math.ceil(total / size) + 20; page++) {
      const body = [];
      for (
        let id = (page - 1) * size + 1;
        id <= Math.min(total, page * size);
        id++
      ) body.push(make(id));
      out.push({
        path,
        query: { _page: String(page), _limit: String(size) },
        headers: { "x-total-count": String(total) },
        body,
      });
    }
    return out;
  };
  return [
    ...pages(
      "/posts",
      100,
      50,
      (id) => ({
        userId: 1 + (id - 1) % 10,
        id,
        title: `post ${id}`,
        body: "...",
      }),
    ),
    ...pages(
      "/comments",
      500,
      100,
      (id) => ({
        postId: 1 + (id - 1) % 100,
        id,
        name: `c${id}`,
        email: `u${id}@x.org`,
        body: "...",
      }),
    ),
    {
      path: "/users",
      body: Array.from(
        { length: 10 },
        (_, i) => ({
          id: i + 1,
          name: `User ${i + 1}`,
          address: { city: "X" },
        }),
      ),
    },
  ];
}

Deno.test("rest: without --spec it pulls the JSONPlaceholder example", async () => {
  await using server = startRecordedServer(placeholderRecordings());
  await using run = await pullForTest(rest, { baseUrl: server.url });
  assert.equal(run.summary.status, "ok", run.summary.errors.join("\n"));
  assertRecords(run.rows.posts, {
    count: 100,
    uniqueKey: "id",
    required: ["title"],
  });
  assertRecords(run.rows.comments, {
    count: 500,
    uniqueKey: "id",
    required: ["email"],
  });
  assertRecords(run.rows.users, { count: 10, uniqueKey: "id" });
  assert.deepEqual(server.unmatched, []);
  assert.match(String(run.types.users?.address), /VARCHAR|JSON/);
});

Deno.test("rest: deno task pull rest --spec <file> pulls the spec's API, sandboxed", async () => {
  await using server = await startApiServer({ records: 250 });
  await withTempDir("inlet-spec-", async (dir) => {
    const file = `${dir}/local.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        name: "local",
        baseUrl: server.url,
        hosts: [`127.0.0.1:${server.port}`],
        streams: {
          items: {
            path: "/offset/items",
            recordsPath: "items",
            primaryKey: "id",
            paginator: { type: "offset", limit: 50, totalPath: "total" },
          },
        },
      }),
    );
    const out = await runCliChild([
      "pull",
      "rest",
      "--spec",
      file,
      "--lake",
      `${dir}/lake`,
    ]);
    assert.equal(out.code, 0, out.stderr);
    const { rows } = await readStream(`${dir}/lake`, "local", "items");
    assertRecords(rows, { count: 250, uniqueKey: "id" });
    const bad = await runCliChild([
      "pull",
      "rest",
      "--spec",
      `${dir}/missing.json`,
      "--lake",
      `${dir}/lake`,
    ]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /spec .*missing\.json: cannot read it: no such file/,
    );
  });
});
