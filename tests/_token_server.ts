/**
 * An OAuth2 token server for tests. No OAuth2 server on npm is light enough
 * to start from a test (the ones there are whole identity providers with
 * databases), so this server is our reading of RFC 6749: §4.4 client
 * credentials and §6 refresh token, client authentication by HTTP basic or
 * in the form body, and §5.1 token answers with expiry and a rotated
 * refresh token.
 *
 * @module
 */

/** What the token server checks and issues. */
export interface TokenServerOptions {
  grant: "client_credentials" | "refresh_token";
  clientId?: string;
  clientSecret?: string;
  /** The refresh token first accepted; each use rotates it. */
  refreshToken?: string;
  expiresIn?: number;
  /** Client authentication expected. @default "basic" */
  clientAuth?: "basic" | "body";
}

/**
 * A token endpoint at `/token` and an API at `/items` that accepts only the
 * tokens issued and not revoked; it echoes the Authorization header it
 * refuses, as careless servers do, so masking is tested for real.
 */
export function tokenServer(o: TokenServerOptions) {
  const issued: string[] = [];
  const refreshTokens: string[] = o.refreshToken ? [o.refreshToken] : [];
  const revoked = new Set<string>();
  const state = { refuseAll: false };
  const seen: string[] = [];
  const id = o.clientId ?? "client-1";
  const secret = o.clientSecret ?? "client-secret-xyz";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/token") {
        const form = new URLSearchParams(await req.text());
        const basic = `Basic ${btoa(`${id}:${secret}`)}`;
        const clientOk = (o.clientAuth ?? "basic") === "basic"
          ? req.headers.get("authorization") === basic
          : form.get("client_id") === id &&
            form.get("client_secret") === secret;
        if (req.method !== "POST" || !clientOk) {
          return Response.json({ error: "invalid_client" }, { status: 401 });
        }
        if (form.get("grant_type") !== o.grant) {
          return Response.json({ error: "unsupported_grant_type" }, {
            status: 400,
          });
        }
        const answer: Record<string, unknown> = { token_type: "bearer" };
        if (o.grant === "refresh_token") {
          const given = form.get("refresh_token");
          if (given !== refreshTokens.at(-1)) {
            return Response.json(
              {
                error: "invalid_grant",
                error_description: `unknown refresh token ${given}`,
              },
              { status: 400 },
            );
          }
          answer.refresh_token = `refresh-${
            refreshTokens.length + 1
          }-${crypto.randomUUID()}`;
          refreshTokens.push(answer.refresh_token as string);
        }
        answer.access_token = `access-${
          issued.length + 1
        }-${crypto.randomUUID()}`;
        issued.push(answer.access_token as string);
        if (o.expiresIn !== undefined) answer.expires_in = o.expiresIn;
        return Response.json(answer);
      }
      const auth = req.headers.get("authorization") ?? "";
      seen.push(auth);
      const token = auth.replace(/^Bearer /, "");
      if (state.refuseAll || !issued.includes(token) || revoked.has(token)) {
        return new Response(`invalid token in "${auth}"`, { status: 401 });
      }
      const page = Number(url.searchParams.get("page") ?? 0);
      return Response.json({
        items: page < 3 ? [{ id: page * 2 + 1 }, { id: page * 2 + 2 }] : [],
      });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    host: `127.0.0.1:${server.addr.port}`,
    issued,
    refreshTokens,
    revoked,
    state,
    seen,
    secret,
    id,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
