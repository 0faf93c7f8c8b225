/**
 * The contract every registered connector keeps: its permissions are
 * declared and narrow, every stream pages explicitly and purely, and against
 * a server speaking its API a pull ends, with exact counts, unique keys and
 * the same column types every time.
 *
 * A new connector gets the declaration checks at once; for the pull checks,
 * add a fixture (a server speaking its API) to `fixtures` below.
 */
import assert from "node:assert/strict";
import connectors from "../../connectors/mod.ts";
import type { Connector } from "../../core/connector/connector.ts";
import { authEnv } from "../../core/connector/auth_env.ts";
import { sandboxArgs } from "../../core/cli/sandbox.ts";
import { startApiServer } from "../../core/testing/api_server.ts";
import { startGitHubServer } from "../../core/testing/github_server.ts";
import {
  assertPaginator,
  assertRecords,
  pullForTest,
  type PullForTestOptions,
  startRecordedServer,
} from "../../core/testing/kit.ts";
import { startPokeApiServer } from "../../core/testing/pokeapi_server.ts";
import { startStripeServer } from "../../core/testing/stripe_server.ts";
import type { Row } from "../../core/connector/types.ts";
import {
  assertSameRecords,
  getJson,
  linkPages,
  stripeList,
  type Truth,
} from "./_truth.ts";

/**
 * A server speaking a connector's API, what to pull from it, the counts to
 * expect, and every record it holds per stream, read from it directly
 * (`truth`): what the lake must hold, field by field.
 */
interface Fixture {
  start(): Promise<{
    pull: PullForTestOptions;
    expected: Record<string, number>;
    truth(): Promise<Truth>;
    close(): Promise<void>;
  }>;
}

const jsonPlaceholder = () => {
  const recordings = [];
  for (
    const [path, total, size] of [["/posts", 100, 50], [
      "/comments",
      500,
      100,
    ]] as const
  ) {
    for (let page = 1; page <= total / size + 20; page++) {
      const body = [];
      for (
        let id = (page - 1) * size + 1;
        id <= Math.min(total, page * size);
        id++
      ) body.push({ id, title: `t${id}` });
      recordings.push({
        path,
        query: { _page: String(page), _limit: String(size) },
        body,
      });
    }
  }
  recordings.push({
    path: "/users",
    body: Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `u${i}` })),
  });
  // What was recorded is the truth: each stream's pages, in order.
  const truth: Truth = {};
  for (const r of recordings) {
    const stream = r.path.slice(1);
    (truth[stream] ??= []).push(...(r.body as Row[]));
  }
  return { server: startRecordedServer(recordings), truth };
};

const fixtures: Record<string, Fixture> = {
  demo: {
    async start() {
      const s = await startApiServer({ records: 321 });
      return {
        pull: { baseUrl: s.url },
        expected: { items: 321 },
        truth: async () => ({
          items: ((await getJson(`${s.url}/offset/items?limit=1000`)).body as {
            items: Row[];
          }).items,
        }),
        close: s.close,
      };
    },
  },
  hackernews: {
    async start() {
      const s = await startApiServer({ records: 900 });
      return {
        pull: { baseUrl: `${s.url}/v0`, limit: 250 },
        expected: { items: 250 },
        // The newest 250: ids 651 to 900.
        truth: async () => ({
          items: await Promise.all(
            Array.from(
              { length: 250 },
              async (_, i) =>
                (await getJson(`${s.url}/v0/item/${651 + i}.json`)).body as Row,
            ),
          ),
        }),
        close: s.close,
      };
    },
  },
  github: {
    start() {
      const s = startGitHubServer({
        repos: {
          "a/one": { issues: 120, pulls: 30, commits: 110, stargazers: 40 },
          "b/two": { issues: 5, pulls: 2, commits: 3, stargazers: 9 },
        },
        rateLimit: { authenticated: 1_000_000 },
      });
      return Promise.resolve({
        pull: {
          baseUrl: s.url,
          options: { repo: ["a/one", "b/two"] },
          env: { GITHUB_TOKEN: "ghp_contract" },
        },
        expected: { issues: 157, pulls: 32, commits: 113, stargazers: 49 },
        truth: async () => {
          const truth: Truth = {};
          const auth = { authorization: "Bearer ghp_contract" };
          for (const repo of ["a/one", "b/two"]) {
            for (
              const [stream, query] of [
                ["issues", "state=all&"],
                ["pulls", "state=all&"],
                ["commits", ""],
                ["stargazers", ""],
              ]
            ) {
              const url =
                `${s.url}/repos/${repo}/${stream}?${query}per_page=100`;
              // The engine adds the repository each record came from.
              const rows = (await linkPages(url, auth)).map((r) => ({
                ...r,
                repo,
              }));
              (truth[stream!] ??= []).push(...rows);
            }
          }
          return truth;
        },
        close: s.close,
      });
    },
  },
  pokeapi: {
    start() {
      const s = startPokeApiServer({ count: 130 });
      return Promise.resolve({
        pull: { baseUrl: s.baseUrl },
        expected: { pokemon: 130, pokemon_details: 130 },
        truth: async () => {
          const list = (await getJson(`${s.baseUrl}/pokemon?limit=1000`))
            .body as { results: Array<{ name: string; url: string }> };
          return {
            pokemon: list.results,
            pokemon_details: await Promise.all(
              list.results.map(async (p) => (await getJson(p.url)).body as Row),
            ),
          };
        },
        close: s.close,
      });
    },
  },
  stripe: {
    start() {
      const s = startStripeServer({ charges: 260, customers: 75 });
      return Promise.resolve({
        pull: {
          baseUrl: s.baseUrl,
          env: { STRIPE_API_KEY: "sk_test_contract" },
        },
        expected: { charges: 260, customers: 75 },
        truth: async () => ({
          charges: await stripeList(`${s.baseUrl}/charges`, "sk_test_contract"),
          customers: await stripeList(
            `${s.baseUrl}/customers`,
            "sk_test_contract",
          ),
        }),
        close: s.close,
      });
    },
  },
  rest: {
    start() {
      const { server: s, truth } = jsonPlaceholder();
      return Promise.resolve({
        pull: { baseUrl: s.url },
        expected: { posts: 100, comments: 500, users: 10 },
        truth: () => Promise.resolve(truth),
        close: s.close,
      });
    },
  },
};

const keysOf = (c: Connector, s: string) => {
  const pk = c.streams[s]!.primaryKey;
  return typeof pk === "string" ? [pk] : [...pk];
};

Deno.test("contract: connector names are unique", () => {
  const names = connectors.map((c) => c.name);
  assert.deepEqual(names, [...new Set(names)]);
});

for (const c of connectors) {
  Deno.test(`contract: ${c.name}: declares narrow permissions`, () => {
    assert.ok(c.hosts.length > 0, "hosts is empty");
    const base = new URL(c.baseUrl);
    assert.ok(
      c.hosts.includes(base.host) || c.hosts.includes(base.hostname),
      `hosts ${
        c.hosts.join(", ")
      } do not include the base URL's host ${base.host}`,
    );
    for (const h of c.hosts) {
      assert.match(
        h,
        /^(\[[0-9a-f:]+\]|[a-z0-9.-]+)(:\d+)?$/i,
        `host ${h} is not one host`,
      );
      assert.ok(
        !["0.0.0.0", "*", "localhost"].includes(h),
        `host ${h} is too wide`,
      );
    }
    for (const env of authEnv(c.auth)) {
      assert.ok(c.secrets.includes(env), `secrets lack ${env}`);
    }
    for (const s of c.secrets) assert.match(s, /^[A-Z_][A-Z0-9_]*$/);
    // The sandbox gives exactly these hosts and variables, nothing wider.
    const flags = sandboxArgs(c, { lake: "/tmp/lake", root: "/srv/inlet" });
    assert.ok(
      flags.includes(`--allow-net=${[...new Set(c.hosts)].sort().join(",")}`),
      flags.join(" "),
    );
    assert.ok(
      !flags.some((f) =>
        f === "--allow-net" || f === "--allow-env" || f === "--allow-all" ||
        f === "-A"
      ),
    );
    assert.ok(!flags.some((f) => /^--allow-(run|ffi|sys)/.test(f)));
  });

  Deno.test(`contract: ${c.name}: every stream pages explicitly and purely`, () => {
    for (const [name, s] of Object.entries(c.streams)) {
      const at = `${c.name}/${name}`;
      // Built in or the connector's own: any paginator that keeps the contract.
      assertPaginator(s.paginator, at);
      assert.ok(keysOf(c, name).length > 0, `${at}: no primary key`);
      if (s.parent) {
        assert.ok(
          c.streams[s.parent.stream],
          `${at}: parent stream ${s.parent.stream} does not exist`,
        );
        assert.ok(
          s.path.includes(`{${s.parent.as ?? s.parent.field}}`),
          `${at}: path lacks its parent's placeholder`,
        );
      }
      if (s.incremental && (s.incremental.lookback ?? 0) > 0) {
        assert.notEqual(
          s.writeDisposition ?? "append",
          "append",
          `${at}: a lookback re-pulls records, so it must merge`,
        );
      }
      for (const p of s.path.matchAll(/\{(\w+)\}/g)) {
        const name = p[1]!;
        const filled = c.options?.[name] ||
          (s.parent && (s.parent.as ?? s.parent.field) === name) ||
          s.paginator.type === "id_range";
        assert.ok(filled, `${at}: nothing fills {${name}} in its path`);
      }
    }
  });

  const fixture = fixtures[c.name];
  Deno.test({
    name:
      `contract: ${c.name}: pulls its protocol server to the end, keys unique, every field as served, types stable`,
    ignore: fixture === undefined,
    async fn() {
      const f = await fixture!.start();
      try {
        const truth = await f.truth();
        const types: Array<Record<string, Record<string, string>>> = [];
        for (let round = 0; round < 2; round++) {
          await using run = await pullForTest(c, {
            ...f.pull,
            pull: { signal: AbortSignal.timeout(60_000) },
          });
          assert.equal(run.summary.status, "ok", run.summary.errors.join("\n"));
          for (const [stream, count] of Object.entries(f.expected)) {
            assertRecords(run.rows[stream], {
              count,
              uniqueKey: keysOf(c, stream),
            });
          }
          assert.deepEqual(
            Object.keys(run.rows).sort(),
            Object.keys(f.expected).sort(),
            "a fixture covers every stream",
          );
          for (const [stream, want] of Object.entries(truth)) {
            assertSameRecords(
              `${c.name}/${stream}`,
              run.rows[stream],
              want,
              keysOf(c, stream),
            );
          }
          types.push(run.types);
        }
        assert.deepEqual(
          types[1],
          types[0],
          "the same data lands with the same column types",
        );
      } finally {
        await f.close();
      }
    },
  });
}
