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
  /** The answer's status, once answered. */
  status?: number;
  /** The answer body's bytes (before any transfer encoding), once answered. */
  bytes?: number;
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

/**
 * Start `handler` on 127.0.0.1 (port 0: a free one) and log each request
 * with the status and body size of its answer: what a test compares a
 * client's counters with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { json, serveLocal } from "./_serve.ts";
 * await using server = serveLocal(() => json(200, { ok: true }));
 * await (await fetch(`${server.url}/a?b=1`)).text();
 * const [r] = server.requests;
 * assert.deepEqual([r?.path, r?.status, r?.bytes], ["/a", 200, 11]);
 * ```
 */
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
      const logged: LoggedRequest = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
      };
      requests.push(logged);
      let res: Response;
      try {
        res = await handler(req, url);
      } catch (err) {
        res = json(500, { error: String(err) });
      }
      // Every handler answers a fixed body: reading it here sends the same
      // bytes with the same length, and tells what was sent.
      const empty = res.body === null;
      const body = new Uint8Array(await res.arrayBuffer());
      logged.status = res.status;
      logged.bytes = body.length;
      return new Response(empty ? null : body, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
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
