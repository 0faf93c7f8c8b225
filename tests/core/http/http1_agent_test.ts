import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer } from "node:http";
import { brotliCompressSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { Http1Agent } from "../../../core/http/http1_agent.ts";
import {
  ClosedBeforeAnswerError,
  Http1FramingError,
  Http1Reader,
} from "../../../core/http/_http1_reader.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { readStream } from "../../../core/testing/kit.ts";
import { pull } from "../../../core/run/pull.ts";
import { offsetConnector } from "../../_bench_connectors.ts";
import { withTempDir } from "../../_lake.ts";
import { type RawRequest, serveRaw } from "../../../core/testing/_raw_http.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A raw server whose replies are bytes as written, and what it was sent. */
function startRawServer(
  reply: (
    req: RawRequest,
  ) => { send: string | Uint8Array; close?: boolean; hang?: boolean },
) {
  const requests: RawRequest[] = [];
  const server = serveRaw((req) => {
    requests.push(req);
    const r = reply(req);
    if (r.hang) return { type: "hang" };
    return {
      type: "bytes",
      bytes: r.send,
      ...(r.close ? { close: true } : {}),
    };
  });
  return Object.assign(server, { requests });
}

/** An answer with a `content-length`, and `extra` header lines. */
function lengthAnswer(body: string, extra = ""): string {
  const n = enc.encode(body).length;
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${extra}content-length: ${n}\r\n\r\n${body}`;
}

/** A byte source that hands out `wire` in the given read sizes. */
function chunks(wire: Uint8Array, sizes: number[]) {
  let at = 0, i = 0;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (at >= wire.length) return Promise.resolve(null);
      const n = Math.min(
        p.length,
        wire.length - at,
        sizes[i++ % sizes.length]!,
      );
      p.set(wire.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

const answerArb = fc.record({
  status: fc.constantFrom(200, 201, 204, 404, 429, 503),
  body: fc.string({ maxLength: 300, unit: "grapheme" }),
  chunked: fc.boolean(),
  cuts: fc.array(fc.nat({ max: 40 }), { maxLength: 6 }),
  extra: fc.array(
    fc.tuple(
      fc.constantFrom("x-a", "retry-after", "set-cookie", "x-b"),
      fc.stringMatching(/^[ -~]{0,20}$/).map((s) => s.trim()),
    ),
    { maxLength: 3 },
  ),
});
type Arb = typeof answerArb extends fc.Arbitrary<infer T> ? T : never;

function wireOf(a: Arb): Uint8Array {
  const body = a.status === 204 ? new Uint8Array() : enc.encode(a.body);
  let head = `HTTP/1.1 ${a.status} X\r\n`;
  for (const [k, v] of a.extra) head += `${k}: ${v}\r\n`;
  if (a.status === 204) return enc.encode(head + "\r\n");
  if (!a.chunked) {
    return Buffer.concat([
      enc.encode(`${head}content-length: ${body.length}\r\n\r\n`),
      body,
    ]);
  }
  const parts = [enc.encode(`${head}transfer-encoding: chunked\r\n\r\n`)];
  let at = 0;
  for (const cut of [...a.cuts, body.length]) {
    const n = Math.min(cut, body.length - at);
    if (n <= 0) continue;
    parts.push(
      enc.encode(`${n.toString(16)}\r\n`),
      body.subarray(at, at + n),
      enc.encode("\r\n"),
    );
    at += n;
  }
  parts.push(enc.encode("0\r\n\r\n"));
  return Buffer.concat(parts);
}

Deno.test("http1 reader: any answers in any read sizes come back exactly, one after another", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(answerArb, { minLength: 1, maxLength: 5 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
      async (answers, sizes) => {
        const reader = new Http1Reader(
          chunks(Buffer.concat(answers.map(wireOf)), sizes),
        );
        for (const a of answers) {
          const got = await reader.answer("GET");
          assert.equal(got.status, a.status);
          assert.equal(dec.decode(got.body), a.status === 204 ? "" : a.body);
          assert(got.reusable);
        }
        await assert.rejects(reader.answer("GET"), ClosedBeforeAnswerError);
      },
    ),
    { seed: 14, numRuns: 300 },
  );
});

Deno.test("http1 reader: an answer cut anywhere is an error, never a shorter body", async () => {
  await fc.assert(
    fc.asyncProperty(answerArb, fc.nat(), async (a, at) => {
      const wire = wireOf(a);
      const cut = at % wire.length;
      const reader = new Http1Reader(chunks(wire.subarray(0, cut), [7]));
      await assert.rejects(
        reader.answer("GET"),
        (e) => e instanceof TypeError || e instanceof ClosedBeforeAnswerError,
      );
    }),
    { seed: 15, numRuns: 300 },
  );
});

Deno.test("http1 reader: framing it cannot read exactly is a framing error", async () => {
  const bad = [
    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
    "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx-folded: a\r\n b\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
    "HTTP/2 200\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\n\r\n",
  ];
  for (const wire of bad) {
    const reader = new Http1Reader(chunks(enc.encode(wire), [1000]));
    await assert.rejects(reader.answer("GET"), Http1FramingError, wire);
  }
});

Deno.test("http1 reader: 1xx answers are skipped; HTTP/1.0 and Connection: close are not reused; a length beside chunked is not either", async () => {
  const wire = enc.encode(
    "HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n" + lengthAnswer("[1]") +
      "HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}" +
      "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n[]" +
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 9\r\n\r\n2\r\n{}\r\n0\r\n\r\n" +
      "HTTP/1.1 200 OK\r\n\r\nto the end",
  );
  const reader = new Http1Reader(chunks(wire, [5]));
  const seen = [];
  for (let i = 0; i < 5; i++) {
    const a = await reader.answer("GET");
    seen.push([dec.decode(a.body), a.reusable]);
  }
  assert.deepEqual(seen, [["[1]", true], ["{}", false], ["[]", false], [
    "{}",
    false,
  ], ["to the end", false]]);
});

Deno.test("http1 agent: answers the same as fetch from a node:http source, and keeps its connections", async () => {
  await using server = await startApiServer({ records: 500 });
  using agent = new Http1Agent();
  for (let offset = 0; offset < 500; offset += 50) {
    const url = `${server.url}/offset/items?limit=50&offset=${offset}`;
    const [a, b] = [await agent.fetch(url), await fetch(url)];
    assert.equal(a.status, b.status);
    assert.equal(a.url, url);
    assert.equal(a.headers.get("content-type"), b.headers.get("content-type"));
    assert.deepEqual(await a.json(), await b.json());
  }
  const missing = await agent.fetch(`${server.url}/nope`);
  assert.equal(missing.status, (await fetch(`${server.url}/nope`)).status);
  await missing.body?.cancel();
});

Deno.test("http1 agent: undoes gzip and brotli as fetch does, and sends what fetch sends by default", async () => {
  const big = JSON.stringify({
    items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `n${i}` })),
  });
  await using raw = startRawServer((req) => {
    if (req.head.startsWith("GET /br")) {
      const br = brotliCompressSync(enc.encode(big));
      return {
        send: Buffer.concat([
          enc.encode(
            `HTTP/1.1 200 OK\r\ncontent-encoding: br\r\ntransfer-encoding: chunked\r\n\r\n${
              br.length.toString(16)
            }\r\n`,
          ),
          br,
          enc.encode("\r\n0\r\n\r\n"),
        ]),
      };
    }
    if (req.head.startsWith("GET /gz")) {
      const gz = gzipSync(enc.encode(big));
      return {
        send: Buffer.concat([
          enc.encode(
            `HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: ${gz.length}\r\n\r\n`,
          ),
          gz,
        ]),
      };
    }
    return { send: lengthAnswer(big) };
  });
  using agent = new Http1Agent();
  const res = await agent.fetch(`${raw.url}/gz`);
  assert.equal(await res.text(), big);
  assert.equal(await (await agent.fetch(`${raw.url}/br`)).text(), big);
  await (await agent.fetch(`${raw.url}/plain`, {
    headers: { accept: "application/json" },
  })).text();
  const [gz, , plain] = raw.requests.map((r) => r.head.toLowerCase());
  assert.match(gz!, /^get \/gz http\/1\.1\r\n/);
  assert.match(gz!, /\r\naccept: \*\/\*/);
  assert.match(gz!, /\r\naccept-encoding: gzip, br/);
  assert.match(gz!, /\r\nuser-agent: deno\//);
  assert.match(plain!, /\r\naccept: application\/json/);
  assert.equal(new Set(raw.requests.map((r) => r.connection)).size, 1);
});

Deno.test("http1 agent: a kept connection the server closed is replaced, the request not lost", async () => {
  // Closes after every answer without saying so: each kept connection is stale.
  await using raw = startRawServer(() => ({
    send: lengthAnswer("[1]"),
    close: true,
  }));
  using agent = new Http1Agent();
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await (await agent.fetch(`${raw.url}/a`)).json(), [1]);
  }
  assert.equal(raw.requests.length, 5);
});

Deno.test("http1 agent: an origin whose answers it cannot frame goes to fetch, which asks again", async () => {
  await using raw = startRawServer(() => ({
    send:
      "HTTP/1.1 200 OK\r\nx-folded: a\r\n b\r\ncontent-length: 3\r\n\r\n[2]",
  }));
  const sent: string[] = [];
  using agent = new Http1Agent({
    fallback: (input, init) => {
      sent.push(String(input));
      return Promise.resolve(
        new Response("[3]", { status: 200, headers: init?.headers ?? {} }),
      );
    },
  });
  assert.deepEqual(await (await agent.fetch(`${raw.url}/a`)).json(), [3]);
  assert.deepEqual(await (await agent.fetch(`${raw.url}/b`)).json(), [3]);
  assert.deepEqual(sent, [`${raw.url}/a`, `${raw.url}/b`]);
  assert.equal(raw.requests.length, 1);
});

Deno.test("http1 agent: a body cut short is an error; an abort closes the connection and rejects with the reason", async () => {
  await using raw = startRawServer((req) =>
    req.head.startsWith("GET /cut")
      ? {
        send: "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n[1,",
        close: true,
      }
      : { send: "", hang: true }
  );
  using agent = new Http1Agent();
  await assert.rejects(agent.fetch(`${raw.url}/cut`), TypeError);
  const ctl = new AbortController();
  const pending = agent.fetch(`${raw.url}/hang`, { signal: ctl.signal });
  const reason = new Error("stop");
  queueMicrotask(() => setTimeout(() => ctl.abort(reason), 0));
  await assert.rejects(pending, (e) => e === reason);
});

Deno.test("http1 agent: a connection whose signal aborted as its answer was taken is not kept", async () => {
  await using raw = startRawServer(() => ({ send: lengthAnswer("[1]") }));
  using agent = new Http1Agent();
  // A kept connection first, so the aborted request makes no new one.
  assert.deepEqual(await (await agent.fetch(`${raw.url}/a`)).json(), [1]);
  const ctl = new AbortController();
  const signal = ctl.signal;
  // The abort lands after the answer was read, just before the agent lets
  // go of the signal: the listener closes the connection then.
  signal.removeEventListener = (type: string, fn: EventListener) => {
    ctl.abort(new Error("late"));
    EventTarget.prototype.removeEventListener.call(signal, type, fn);
  };
  const late = await agent.fetch(`${raw.url}/b`, { signal });
  assert.deepEqual(await late.json(), [1]);
  assert.deepEqual(await (await agent.fetch(`${raw.url}/c`)).json(), [1]);
  assert.deepEqual(raw.requests.map((r) => r.connection), [0, 0, 1]);
  agent.close();
});

Deno.test("http1 agent: follows redirects like fetch, and drops credentials when the origin changes", async () => {
  await using other = startRawServer(() => ({ send: lengthAnswer('"there"') }));
  await using raw = startRawServer((req) => {
    if (req.head.startsWith("GET /a ")) {
      return {
        send: "HTTP/1.1 302 Found\r\nlocation: /b\r\ncontent-length: 0\r\n\r\n",
      };
    }
    if (req.head.startsWith("GET /b ")) {
      return {
        send:
          `HTTP/1.1 301 Moved\r\nlocation: ${other.url}/c\r\ncontent-length: 0\r\n\r\n`,
      };
    }
    return { send: lengthAnswer('"here"') };
  });
  using agent = new Http1Agent();
  const res = await agent.fetch(`${raw.url}/a`, {
    headers: { authorization: "Bearer s3cret" },
  });
  assert.equal(await res.json(), "there");
  assert.equal(res.url, `${other.url}/c`);
  assert(res.redirected);
  assert.match(raw.requests[1]!.head, /authorization: Bearer s3cret/);
  assert.doesNotMatch(other.requests[0]!.head, /authorization/i);
});

Deno.test("http1 agent: a POST and a closed agent's requests go to the fallback", async () => {
  const sent: string[] = [];
  const agent = new Http1Agent({
    fallback: (input, init) => {
      sent.push(`${init?.method ?? "GET"} ${input}`);
      return Promise.resolve(new Response("{}"));
    },
  });
  await agent.fetch("http://127.0.0.1:9/token", { method: "POST", body: "x" });
  agent.close();
  await agent.fetch("http://127.0.0.1:9/after");
  assert.deepEqual(sent, [
    "POST http://127.0.0.1:9/token",
    "GET http://127.0.0.1:9/after",
  ]);
  assert.throws(() => new Http1Agent({ idleMs: -1 }), RangeError);
});

Deno.test("http1 agent: speaks TLS with the certificates fetch trusts (DENO_CERT)", async () => {
  const dir = new URL("./_tls/", import.meta.url);
  const read = (f: string) => Deno.readTextFileSync(new URL(f, dir));
  const ctl = new AbortController();
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      cert: read("server.pem"),
      key: read("server.key"),
      signal: ctl.signal,
      onListen() {},
    },
    () => Response.json({ tls: true }),
  );
  try {
    const script = `
      import { Http1Agent } from ${
      JSON.stringify(
        new URL("../../../core/http/http1_agent.ts", import.meta.url).href,
      )
    };
      const url = "https://127.0.0.1:${server.addr.port}/x";
      using agent = new Http1Agent();
      const out = [];
      for (const f of [fetch, agent.fetch]) {
        try { out.push(JSON.stringify(await (await f(url)).json())); } catch (e) { out.push(e.name); }
      }
      console.log(out.join(" "));`;
    const run = async (env: Record<string, string>) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--ext=ts", script],
        env,
      }).output();
      assert(out.success, dec.decode(out.stderr));
      return dec.decode(out.stdout).trim().split(" ");
    };
    const trusted = await run({ DENO_CERT: new URL("ca.pem", dir).pathname });
    assert.deepEqual(trusted, ['{"tls":true}', '{"tls":true}']);
    const untrusted = await run({});
    assert.notEqual(untrusted[0], '{"tls":true}');
    assert.notEqual(untrusted[1], '{"tls":true}');
  } finally {
    ctl.abort();
    await server.finished;
  }
});

Deno.test("http1 agent: with a proxy set, a pull goes through the proxy (by fetch)", async () => {
  await using api = await startApiServer({ records: 120 });
  const seen: string[] = [];
  const proxy = createServer((req, res) => {
    seen.push(req.url ?? "");
    fetch(req.url!).then(async (r) => {
      res.writeHead(r.status, {
        "content-type": r.headers.get("content-type") ?? "",
      });
      res.end(await r.text());
    });
  });
  await new Promise<void>((ok) => proxy.listen(0, "127.0.0.1", ok));
  const { port } = proxy.address() as { port: number };
  try {
    const script = `
      import { pull } from ${
      JSON.stringify(new URL("../../../core/run/pull.ts", import.meta.url).href)
    };
      import { offsetConnector } from ${
      JSON.stringify(
        new URL("../../_bench_connectors.ts", import.meta.url).href,
      )
    };
      const lake = await Deno.makeTempDir();
      const s = await pull(offsetConnector(${
      JSON.stringify(api.url)
    }), { lake, format: "ndjson" });
      await Deno.remove(lake, { recursive: true });
      console.log(s.status, s.records);`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", script],
      env: { HTTP_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: "" },
    }).output();
    assert(out.success, dec.decode(out.stderr));
    assert.equal(dec.decode(out.stdout).trim(), "ok 120");
    assert(seen.length >= 3, `requests through the proxy: ${seen.length}`);
    assert(seen.every((u) => u.startsWith(api.url)));
  } finally {
    proxy.closeAllConnections();
    await new Promise((ok) => proxy.close(ok));
  }
});

Deno.test("http1 agent: a pull uses it unless INLET_HTTP=fetch, and lands the same records either way", async () => {
  await using api = await startApiServer({ records: 1000 });
  const real = globalThis.fetch;
  const landed: Array<[string | undefined, number, number]> = [];
  let fetches = 0;
  globalThis.fetch = (input, init) => {
    fetches++;
    return real(input, init);
  };
  const before = Deno.env.get("INLET_HTTP");
  try {
    for (const mode of [undefined, "fetch"]) {
      if (mode) Deno.env.set("INLET_HTTP", mode);
      else Deno.env.delete("INLET_HTTP");
      fetches = 0;
      await withTempDir("inlet-http1-", async (lake) => {
        const s = await pull(offsetConnector(api.url), { lake });
        assert.equal(s.status, "ok");
        const { rows } = await readStream(lake, "bench_offset", "items");
        const ids = rows.map((r) => Number(r.id));
        assert.equal(ids.length, 1000);
        assert.equal(new Set(ids).size, 1000);
        assert.equal(ids.reduce((a, b) => a + b, 0), 1000 * 1001 / 2);
        landed.push([mode, s.records, fetches]);
      });
    }
  } finally {
    globalThis.fetch = real;
    if (before === undefined) Deno.env.delete("INLET_HTTP");
    else Deno.env.set("INLET_HTTP", before);
  }
  assert.deepEqual(landed.map(([m, n]) => [m, n]), [
    [undefined, 1000],
    ["fetch", 1000],
  ]);
  assert.equal(landed[0]![2], 0, "the agent carried the default pull");
  assert(landed[1]![2] >= 20, "fetch carried INLET_HTTP=fetch's");
});
