/**
 * The loopback HTTP server under every protocol server (GitHub, PokeAPI,
 * Stripe) and the kit's recorded server: `Deno.serve` on 127.0.0.1, a free
 * port, a log of what was asked, and a `close()` that tests can await.
 *
 * @module
 */

/** One request as the server saw it. */
export interface LoggedRequest {
  /** `GET`, `POST`, ... */
  method: string;
  /** The path, without the query string. */
  path: string;
  /** Query parameters (the last value wins when one repeats). */
  query: Record<string, string>;
  /** The request headers. */
  headers: Headers;
}

/** A running loopback server. */
export interface LocalServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Every request received, oldest first (bounded: the newest 100,000). */
  readonly requests: LoggedRequest[];
  /** Stop listening and close every connection. */
  close(): Promise<void>;
}

const MAX_LOG = 100_000;

/** A JSON response with the given status and headers. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** Start `handler` on 127.0.0.1 (port 0: a free one) and log each request. */
export function serveLocal(
  handler: (req: Request, url: URL) => Response | Promise<Response>,
  options: { port?: number } = {},
): LocalServer {
  const requests: LoggedRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (requests.length >= MAX_LOG) requests.shift();
      requests.push({
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
      });
      try {
        return await handler(req, url);
      } catch (err) {
        return json(500, { error: String(err) });
      }
    },
  );
  const port = server.addr.port;
  let closing: Promise<void> | undefined;
  const close = () => closing ??= server.shutdown();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}
