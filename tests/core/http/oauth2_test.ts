/**
 * OAuth2 in the HTTP client, against a token server the test starts (see
 * tests/_token_server.ts for why it is ours): client credentials, refresh
 * token, renewal on expiry and on a 401, secrets masked.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { HttpError } from "../../../core/connector/errors.ts";
import { HttpClient } from "../../../core/http/http.ts";
import { OAuth2Token } from "../../../core/http/oauth2_token.ts";
import { tokenServer } from "../../_token_server.ts";

Deno.test("oauth2: client credentials (basic or body client auth) give a bearer token, fetched once and cached", async () => {
  for (const clientAuth of ["basic", "body"] as const) {
    await using s = tokenServer({
      grant: "client_credentials",
      clientAuth,
      expiresIn: 3600,
    });
    const token = new OAuth2Token({
      tokenUrl: `${s.url}/token`,
      grant: "client_credentials",
      clientId: s.id,
      clientSecret: s.secret,
      clientAuth,
    });
    const http = new HttpClient({ auth: token });
    for (let i = 0; i < 3; i++) {
      const res = await http.getJson({ url: `${s.url}/items?page=${i}` });
      assertEquals((res.body as { items: unknown[] }).items.length, 2);
    }
    assertEquals(s.issued.length, 1);
    assertEquals(s.seen, Array(3).fill(`Bearer ${s.issued[0]}`));
  }
});

Deno.test("oauth2: refresh-token flow; a rotated refresh token is used for the next refresh", async () => {
  let clock = 1_000_000;
  await using s = tokenServer({
    grant: "refresh_token",
    refreshToken: "refresh-0",
    expiresIn: 60,
  });
  const token = new OAuth2Token({
    tokenUrl: `${s.url}/token`,
    grant: "refresh_token",
    clientId: s.id,
    clientSecret: s.secret,
    refreshToken: "refresh-0",
    now: () => clock,
  });
  const http = new HttpClient({ auth: token });
  await http.getJson({ url: `${s.url}/items` });
  clock += 61_000;
  await http.getJson({ url: `${s.url}/items` });
  // Each refresh sent the newest refresh token (the server refuses others).
  assertEquals(s.issued.length, 2);
  assertEquals(s.refreshTokens.length, 3);
  assert(s.refreshTokens.every((r) => token.secrets().includes(r)));
});

Deno.test("oauth2: renewed on expiry by an injected clock, ahead of the stated expiry", async () => {
  let clock = 0;
  await using s = tokenServer({ grant: "client_credentials", expiresIn: 3600 });
  const http = new HttpClient({
    auth: new OAuth2Token({
      tokenUrl: `${s.url}/token`,
      grant: "client_credentials",
      clientId: s.id,
      clientSecret: s.secret,
      now: () => clock,
    }),
  });
  await http.getJson({ url: `${s.url}/items` });
  clock = 3_500_000; // 100 s before expiry: still good.
  await http.getJson({ url: `${s.url}/items` });
  assertEquals(s.issued.length, 1);
  clock = 3_571_000; // Within the last 30 s: renewed before it is refused.
  await http.getJson({ url: `${s.url}/items` });
  assertEquals(s.issued.length, 2);
  assertEquals(s.seen, [
    `Bearer ${s.issued[0]}`,
    `Bearer ${s.issued[0]}`,
    `Bearer ${s.issued[1]}`,
  ]);
});

Deno.test("oauth2: a 401 renews the token once and retries; concurrent refusals share one renewal", async () => {
  await using s = tokenServer({ grant: "client_credentials" });
  const http = new HttpClient({
    auth: new OAuth2Token({
      tokenUrl: `${s.url}/token`,
      grant: "client_credentials",
      clientId: s.id,
      clientSecret: s.secret,
    }),
  });
  await http.getJson({ url: `${s.url}/items` });
  s.revoked.add(s.issued[0]!);
  const pages = await Promise.all(
    [0, 1, 2].map((p) => http.getJson({ url: `${s.url}/items?page=${p}` })),
  );
  assertEquals(pages.map((p) => p.status), [200, 200, 200]);
  assertEquals(s.issued.length, 2);
});

Deno.test("oauth2: a second 401 fails with an HttpError naming the URL, every secret masked", async () => {
  await using s = tokenServer({
    grant: "refresh_token",
    refreshToken: "refresh-0",
  });
  const token = new OAuth2Token({
    tokenUrl: `${s.url}/token`,
    grant: "refresh_token",
    clientId: s.id,
    clientSecret: s.secret,
    refreshToken: "refresh-0",
  });
  const http = new HttpClient({ auth: token });
  await http.getJson({ url: `${s.url}/items` });
  // Every token refused from now on, including the renewed one.
  s.state.refuseAll = true;
  const err = await http.getJson({
    url: `${s.url}/items?page=1`,
    context: { stream: "t/items", page: 1 },
  }).then(() => undefined, (e) => e);
  assert(err instanceof HttpError);
  assertEquals(err.status, 401);
  assertEquals(err.url, `${s.url}/items?page=1`);
  assertMatch(
    err.message,
    /^Cannot fetch page 2 of "t\/items": status 401 at http:\/\/127\.0\.0\.1:\d+\/items\?page=1 \(invalid token in "Bearer \*\*\*"\)$/,
  );
  assertEquals(s.issued.length, 2);
  const shown = `${err.message} ${err.stack} ${err.body}`;
  for (const secret of [...s.issued, ...s.refreshTokens, s.secret]) {
    assert(!shown.includes(secret), `secret shown: ${secret}`);
  }
});

Deno.test("oauth2: a refused refresh token fails naming the token endpoint, the token masked", async () => {
  await using s = tokenServer({
    grant: "refresh_token",
    refreshToken: "refresh-good",
  });
  const http = new HttpClient({
    auth: new OAuth2Token({
      tokenUrl: `${s.url}/token`,
      grant: "refresh_token",
      clientId: s.id,
      clientSecret: s.secret,
      refreshToken: "refresh-stale",
    }),
  });
  try {
    await http.getJson({ url: `${s.url}/items` });
    assert.fail("no error");
  } catch (e) {
    assert(e instanceof HttpError);
    assertEquals(e.status, 400);
    assertMatch(
      e.message,
      /status 400 at http:\/\/127\.0\.0\.1:\d+\/token \(.*invalid_grant.*unknown refresh token \*\*\*/,
    );
    assert(!e.message.includes("refresh-stale"));
  }
});
