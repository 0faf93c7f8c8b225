/**
 * What `Http1Agent` writes and makes of an answer: the request
 * head, the `Response`, content codings undone.
 *
 * @module
 */

import {
  brotliDecompressSync,
  gunzipSync,
  inflateRawSync,
  inflateSync,
} from "node:zlib";
import { type Http1Answer, Http1FramingError } from "./_http1_reader.ts";

const USER_AGENT = `Deno/${Deno.version.deno}`;

/**
 * A GET's request line and header section for `url`: `headers`, plus what
 * `fetch` sends unless told otherwise.
 */
export function requestHead(url: URL, headers: Headers): string {
  // URL and Headers have checked every character: none can end a line.
  let head =
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of headers) {
    if (name !== "host") head += `${name}: ${value}\r\n`;
  }
  if (!headers.has("accept")) head += "accept: */*\r\n";
  if (!headers.has("accept-encoding")) head += "accept-encoding: gzip, br\r\n";
  if (!headers.has("user-agent")) head += `user-agent: ${USER_AGENT}\r\n`;
  return head + "\r\n";
}

/**
 * `connecting`, or the signal's reason if it aborts first (a connection
 * made after that is closed as it arrives).
 */
export function untilAborted(
  connecting: Promise<Deno.Conn>,
  signal: AbortSignal | undefined,
): Promise<Deno.Conn> {
  if (!signal) return connecting;
  return new Promise((resolve, reject) => {
    // Whichever comes first settles it; a connection made after an abort
    // is closed, one handed over is the caller's to close.
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      connecting.then((c) => c.close(), () => {});
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    connecting.then((c) => {
      if (settled) return;
      settled = true;
      resolve(c);
    }, (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    }).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * The `Response` `fetch` would give for answer `a` to `url`: content codings
 * undone. Throws {@linkcode Http1FramingError} where `Response` cannot hold
 * it (a status outside 200–599, say).
 */
export function toResponse(
  a: Http1Answer,
  url: URL,
  redirected: boolean,
): Response {
  if (a.status < 200 || a.status > 599) {
    throw new Http1FramingError(`status ${a.status}`);
  }
  const body = decode(a.body, a.headers.get("content-encoding"));
  let res: Response;
  try {
    res = new Response(hasBody(a) ? body as Uint8Array<ArrayBuffer> : null, {
      status: a.status,
      statusText: a.statusText,
      headers: a.headers,
    });
  } catch (cause) {
    throw new Http1FramingError(`status ${a.status} ${a.statusText}`, {
      cause,
    });
  }
  Object.defineProperty(res, "url", { value: url.href });
  if (redirected) Object.defineProperty(res, "redirected", { value: true });
  return res;
}

function hasBody(a: Http1Answer): boolean {
  return a.status !== 204 && a.status !== 304;
}

/** The body with its content codings undone, last applied first. */
function decode(body: Uint8Array, codings: string | null): Uint8Array {
  if (codings === null || body.length === 0) return body;
  let out = body;
  const list = codings.split(",").map((s) => s.trim().toLowerCase());
  for (const c of list.reverse()) {
    if (c === "" || c === "identity") continue;
    if (c === "gzip" || c === "x-gzip") out = gunzipSync(out);
    else if (c === "br") out = brotliDecompressSync(out);
    else if (c === "deflate") {
      // Some servers send raw deflate where the coding means zlib's format.
      try {
        out = inflateSync(out);
      } catch {
        out = inflateRawSync(out);
      }
    } else throw new Http1FramingError(`content-encoding "${codings}"`);
  }
  return out;
}

/** Write every byte of `bytes`. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  for (let n = 0; n < bytes.length;) n += await conn.write(bytes.subarray(n));
}
