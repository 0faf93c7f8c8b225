/**
 * Auth data engineers meet, through a whole run: OAuth2 (refresh token and
 * client credentials) from a JSON spec against a token server the test
 * starts, HTTP basic and a header template; no secret ever reaches the
 * lake files, the state, the run summary or the events.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { ConfigError } from "../../../core/connector/errors.ts";
import { defineConnector } from "../../../core/connector/connector.ts";
import { singlePaginator } from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { connectorFromSpec } from "../../../core/spec/connector_from_spec.ts";
import { json, serveLocal } from "../../../core/testing/_serve.ts";
import { tableSource } from "../../_iceberg.ts";
import { duck } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";
import { tokenServer } from "../../_token_server.ts";

/** HTTP basic credentials as RFC 7617 says: UTF-8, then base64. */
const basic = (user: string, password: string) =>
  btoa(
    String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)),
  );

/** Every file under `dir`, as text (lossy for binary: secrets are ASCII). */
async function everyFile(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else out.set(p, new TextDecoder().decode(await Deno.readFile(p)));
    }
  };
  await walk(dir);
  return out;
}

function assertNoSecret(
  where: string,
  text: string,
  secrets: readonly string[],
) {
  for (const s of secrets) {
    assert(!text.includes(s), `${where} holds the secret ${s}`);
  }
}

const stringify = (v: unknown) =>
  JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x);

function oauthSpec(url: string, grant: "refresh_token" | "client_credentials") {
  return {
    name: "oauthed",
    baseUrl: url,
    auth: {
      type: "oauth2",
      grant,
      tokenUrl: `${url}/token`,
      clientIdEnv: "EX_CLIENT_ID",
      clientSecretEnv: "EX_CLIENT_SECRET",
      ...(grant === "refresh_token"
        ? { refreshTokenEnv: "EX_REFRESH_TOKEN" }
        : { scope: "read" }),
    },
    streams: {
      items: {
        path: "/items",
        recordsPath: "items",
        primaryKey: "id",
        paginator: { type: "page", pageParam: "page", start: 0 },
      },
    },
  };
}

Deno.test("auth: an OAuth2 refresh-token run lands every record; no token in the lake, state, summary or events", async () => {
  await using s = tokenServer({
    grant: "refresh_token",
    refreshToken: "refresh-from-env",
    expiresIn: 3600,
  });
  const env: Record<string, string> = {
    EX_CLIENT_ID: s.id,
    EX_CLIENT_SECRET: s.secret,
    EX_REFRESH_TOKEN: "refresh-from-env",
  };
  const c = connectorFromSpec(oauthSpec(s.url, "refresh_token"), "o.json");
  assertEquals([...c.secrets], [
    "EX_CLIENT_ID",
    "EX_CLIENT_SECRET",
    "EX_REFRESH_TOKEN",
  ]);
  await withTempDir("inlet-oauth-", async (lake) => {
    const events: unknown[] = [];
    const summary = await pull(c, {
      lake,
      env: (n) => env[n],
      concurrency: 2,
      onEvent: (e) => events.push(e),
    });
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    const [row] = await duck(
      `SELECT count(*)::INT AS n, sum(id)::INT AS s FROM ${await tableSource(
        `${lake}/oauthed/items`,
      )}`,
    );
    assertEquals(row, { n: 6, s: 21 });
    assertEquals(s.issued.length, 1);
    const secrets = [
      ...s.issued,
      ...s.refreshTokens,
      s.secret,
      btoa(`${s.id}:${s.secret}`),
    ];
    const files = await everyFile(lake);
    assert([...files.keys()].some((f) => f.includes("/_runs/")));
    // The stream's state is committed in its table's metadata.
    assert(
      [...files.keys()].some((f) =>
        /\/items\/metadata\/v\d+\.metadata\.json$/.test(f)
      ),
    );
    for (const [f, text] of files) assertNoSecret(f, text, secrets);
    assertNoSecret("summary", stringify(summary), secrets);
    assertNoSecret("events", stringify(events), secrets);
  });
});

Deno.test("auth: a run whose token is refused twice fails naming the URL, with every secret masked", async () => {
  await using s = tokenServer({ grant: "client_credentials" });
  s.state.refuseAll = true;
  const env: Record<string, string> = {
    EX_CLIENT_ID: s.id,
    EX_CLIENT_SECRET: s.secret,
  };
  const c = connectorFromSpec(
    oauthSpec(s.url, "client_credentials"),
    "o.json",
  );
  await withTempDir("inlet-oauth-", async (lake) => {
    const summary = await pull(c, { lake, env: (n) => env[n] });
    assertEquals(summary.status, "failed");
    assertMatch(
      summary.errors[0]!,
      /status 401 at http:\/\/127\.0\.0\.1:\d+\/items\?page=0 \(invalid token in "Bearer \*\*\*"\)/,
    );
    // The first token and the one renewal after the first 401.
    assertEquals(s.issued.length, 2);
    const secrets = [...s.issued, s.secret];
    assertNoSecret("summary", stringify(summary), secrets);
    for (const [f, text] of await everyFile(lake)) {
      assertNoSecret(f, text, secrets);
    }
  });
});

Deno.test("auth: HTTP basic and a header template send what the server expects, and are masked", async () => {
  const seen: string[] = [];
  await using server = serveLocal((req) => {
    const auth = req.headers.get("authorization") ?? "";
    seen.push(auth);
    return auth === `Basic ${basic("ana", "pässword")}` ||
        auth === "Token tok-123"
      ? json(200, [{ id: 1 }])
      : new Response(`bad credentials ${auth}`, { status: 403 });
  });
  const env: Record<string, string> = {
    U: "ana",
    P: "pässword",
    T: "tok-123",
  };
  const connector = (auth: unknown) =>
    connectorFromSpec({
      name: "t",
      baseUrl: server.url,
      auth,
      streams: {
        items: { path: "/x", primaryKey: "id", paginator: { type: "single" } },
      },
    }, "t.json");
  await withTempDir("inlet-auth-", async (lake) => {
    for (
      const auth of [
        { type: "basic", userEnv: "U", passwordEnv: "P" },
        {
          type: "header",
          name: "Authorization",
          template: "Token {secret}",
          env: "T",
        },
      ]
    ) {
      const summary = await pull(connector(auth), { lake, env: (n) => env[n] });
      assertEquals(summary.status, "ok", summary.errors.join("\n"));
    }
    // A wrong password: the error masks it and the encoded credentials.
    env.P = "wrong-pass";
    const bad = await pull(
      connector({ type: "basic", userEnv: "U", passwordEnv: "P" }),
      { lake, env: (n) => env[n] },
    );
    assertEquals(bad.status, "failed");
    assertMatch(
      bad.errors[0]!,
      /status 403 .*\(bad credentials Basic \*\*\*\)/,
    );
    assertNoSecret("summary", stringify(bad), [
      "wrong-pass",
      basic("ana", "wrong-pass"),
    ]);
  });
  assertEquals(seen.slice(0, 2), [
    `Basic ${basic("ana", "pässword")}`,
    "Token tok-123",
  ]);
});

Deno.test("auth: specs and plugins are checked: fields by type with did-you-mean, the token host declared", () => {
  const spec = (auth: unknown, hosts?: string[]) => ({
    name: "t",
    baseUrl: "https://api.example.com",
    ...(hosts ? { hosts } : {}),
    auth,
    streams: {
      a: { path: "/a", primaryKey: "id", paginator: { type: "single" } },
    },
  });
  const oauth = {
    type: "oauth2",
    grant: "refresh_token",
    tokenUrl: "https://auth.example.com/token",
    clientIdEnv: "ID",
    refreshTokenEnv: "RT",
  };
  assert.throws(
    () => connectorFromSpec(spec({ ...oauth, tokenURL: "x" }), "t.json"),
    /auth\.tokenURL is not a known field \(did you mean "tokenUrl"\?\)/,
  );
  assert.throws(
    () => connectorFromSpec(spec(oauth), "t.json"),
    /auth\.tokenUrl host "auth\.example\.com" is not one of the connector's hosts \(api\.example\.com\); add it to hosts/,
  );
  const c = connectorFromSpec(
    spec(oauth, ["api.example.com", "auth.example.com"]),
    "t.json",
  );
  assertEquals([...c.secrets], ["ID", "RT"]);
  assert.throws(
    () =>
      connectorFromSpec(
        spec({ ...oauth, refreshTokenEnv: undefined }),
        "t.json",
      ),
    /auth\.refreshTokenEnv is required/,
  );
  assert.throws(
    () =>
      connectorFromSpec(
        spec({ type: "basic", userEnv: "U", passwordENV: "P" }),
        "t.json",
      ),
    /auth\.passwordENV is not a known field \(did you mean "passwordEnv"\?\)/,
  );
  assert.throws(
    () =>
      connectorFromSpec(
        spec({ type: "bearer", env: "T", template: "x {secret}" }),
        "t.json",
      ),
    /auth\.template is not a known field/,
  );
  // A plugin gets the same checks from defineConnector().
  const plugin = (auth: unknown) =>
    defineConnector({
      name: "t",
      baseUrl: "https://api.example.com",
      auth: auth as never,
      streams: {
        a: { path: "/a", primaryKey: "id", paginator: singlePaginator() },
      },
    });
  assert.throws(
    () =>
      plugin({
        type: "header",
        name: "Authorization",
        env: "T",
        template: "Token",
      }),
    /auth\.template must hold \{secret\}/,
  );
  assert.throws(() => plugin({ type: "basic", userEnv: "U" }), ConfigError);
  assert.throws(
    () => plugin({ ...oauth, grant: "password" }),
    /auth\.grant must be client_credentials or refresh_token/,
  );
});
