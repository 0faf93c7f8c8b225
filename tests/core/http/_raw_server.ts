/**
 * A TCP server for HTTP client tests that answers each request with bytes
 * the test writes itself, framing mistakes included: what no real server
 * sends on purpose but a client must survive.
 *
 * @module
 */

/** One request as the raw server saw it. */
export interface RawRequest {
  /** The request line and header lines, without the final empty line. */
  head: string;
  /** Which connection it came on, from 0. */
  connection: number;
}

/** What to do with a request: bytes to send, then maybe close. */
export type RawReply = (req: RawRequest) => {
  send: string | Uint8Array;
  close?: boolean;
  /** Keep the connection open without answering (never sends). */
  hang?: boolean;
};

/** A running raw server. */
export interface RawServer extends AsyncDisposable {
  url: string;
  requests: RawRequest[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Serve on 127.0.0.1 until disposed; each request (GET, no body) gets
 * `reply(request)`.
 */
export function startRawServer(reply: RawReply): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const requests: RawRequest[] = [];
  const serving = new Set<Promise<void>>();
  let connections = 0;
  const serveOne = async (conn: Deno.Conn, connection: number) => {
    let text = "";
    const buf = new Uint8Array(4096);
    try {
      for (;;) {
        let end = text.indexOf("\r\n\r\n");
        while (end < 0) {
          const n = await conn.read(buf);
          if (n === null) return;
          text += dec.decode(buf.subarray(0, n));
          end = text.indexOf("\r\n\r\n");
        }
        const req = { head: text.slice(0, end), connection };
        text = text.slice(end + 4);
        requests.push(req);
        const r = reply(req);
        if (r.hang) continue;
        const bytes = typeof r.send === "string" ? enc.encode(r.send) : r.send;
        for (let n = 0; n < bytes.length;) {
          n += await conn.write(bytes.subarray(n));
        }
        if (r.close) return;
      }
    } catch {
      // The client went away.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // Closed by dispose.
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        const p = serveOne(conn, connections++);
        serving.add(p);
        p.finally(() => serving.delete(p));
      }
    } catch {
      // Closed.
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Closed already.
        }
      }
      await accepting;
      await Promise.all(serving);
    },
  };
}

/** An answer with a `content-length`, and `extra` header lines. */
export function lengthAnswer(body: string, extra = ""): string {
  const n = enc.encode(body).length;
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${extra}content-length: ${n}\r\n\r\n${body}`;
}
