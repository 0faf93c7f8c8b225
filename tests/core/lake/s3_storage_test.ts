import assert, { deepEqual as assertEquals } from "node:assert/strict";
import {
  S3Storage,
  type S3StorageOptions,
} from "../../../core/lake/s3_storage.ts";
import {
  type S3Server,
  type S3ServerOptions,
  startS3Server,
} from "../../../core/testing/s3_server.ts";
import { ConfigError, HttpError } from "../../../core/connector/errors.ts";

/** The error `fn` rejects with, checked against `type` and `includes`. */
async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assert(err instanceof type, `expected ${type.name}, got ${err}`);
    if (includes !== undefined) assertStringIncludes(err.message, includes);
    return err;
  }
  throw new assert.AssertionError({
    message: `expected a rejection with ${type.name}`,
  });
}

function assertStringIncludes(actual: string, expected: string): void {
  assert(
    actual.includes(expected),
    `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function withServer(
  fn: (
    server: S3Server,
    open: (opts?: S3StorageOptions) => S3Storage,
  ) => Promise<void>,
  serverOpts: S3ServerOptions = {},
): Promise<void> {
  const server = await startS3Server(serverOpts);
  try {
    const url = server.bucket("lake") + "/prefix";
    await fn(
      server,
      (opts = {}) =>
        S3Storage.fromUrl(url, { env: (n) => server.env[n], ...opts }),
    );
  } finally {
    await server.close();
  }
}

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

Deno.test("put, get, list, move and delete round-trip under the prefix", async () => {
  await withServer(async (server, open) => {
    const s = open();
    assertEquals(s.root, "s3://lake/prefix");
    await s.put("demo/items/a.parquet", enc.encode("A"));
    await s.put("demo/items/b.parquet", enc.encode("B"));
    await s.put("demo/itemsX/c.parquet", enc.encode("C"));
    await s.put("other/d.json", enc.encode("D"));
    assertEquals(server.keys("lake"), [
      "prefix/demo/items/a.parquet",
      "prefix/demo/items/b.parquet",
      "prefix/demo/itemsX/c.parquet",
      "prefix/other/d.json",
    ]);
    assertEquals(dec.decode(await s.get("demo/items/a.parquet")), "A");
    assertEquals(await s.get("demo/items/missing.parquet"), undefined);
    // A string prefix, as object stores and LocalStorage list.
    assertEquals(await s.list("demo/items/"), [
      "demo/items/a.parquet",
      "demo/items/b.parquet",
    ]);
    assertEquals(await s.list("demo/items"), [
      "demo/items/a.parquet",
      "demo/items/b.parquet",
      "demo/itemsX/c.parquet",
    ]);
    assertEquals((await s.list("")).length, 4);
    assertEquals(await s.list("nothing/here/"), []);

    await s.put("demo/items/a.parquet", enc.encode("A2"));
    assertEquals(dec.decode(await s.get("demo/items/a.parquet")), "A2");

    await s.move("demo/items/b.parquet", "demo/items/final/b.parquet");
    assertEquals(await s.get("demo/items/b.parquet"), undefined);
    assertEquals(dec.decode(await s.get("demo/items/final/b.parquet")), "B");
    // Idempotent: the move already happened.
    await s.move("demo/items/b.parquet", "demo/items/final/b.parquet");
    const err = await assertRejects(
      () => s.move("demo/items/nope.parquet", "demo/items/final/nope.parquet"),
      HttpError,
    );
    assertStringIncludes(
      err.message,
      'key "prefix/demo/items/final/nope.parquet" in bucket "lake"',
    );
    assertStringIncludes(err.message, "NoSuchKey");

    await s.delete("demo/items/a.parquet");
    await s.delete("demo/items/a.parquet");
    assertEquals(await s.list("demo/"), [
      "demo/items/final/b.parquet",
      "demo/itemsX/c.parquet",
    ]);
  });
});

Deno.test("keys with spaces, plus signs, percent signs and unicode survive every operation", async () => {
  await withServer(async (_server, open) => {
    const s = open();
    const odd = "dir/a b+c%d(é)'!*.json";
    await s.put(odd, enc.encode("x"));
    assertEquals(await s.list("dir/"), [odd]);
    await s.move(odd, "dir/moved " + "ü.json");
    assertEquals(await s.list("dir/"), ["dir/moved ü.json"]);
    assertEquals(dec.decode(await s.get("dir/moved ü.json")), "x");
    await assertRejects(() => s.get("a//b"), TypeError);
    await assertRejects(() => s.get("../b"), TypeError);
  });
});

Deno.test("create(): a small file is one PUT, invisible until close()", async () => {
  await withServer(async (server, open) => {
    const s = open();
    const sink = await s.create("small.bin");
    const chunk = enc.encode("hello ");
    await sink.write(chunk);
    chunk.fill(0); // the sink copied it
    await sink.write(enc.encode("world"));
    assertEquals(sink.bytesWritten, 11);
    assertEquals(await s.get("small.bin"), undefined);
    assertEquals(await s.list(""), []);
    await sink.close();
    await sink.close(); // idempotent
    assertEquals(dec.decode(await s.get("small.bin")), "hello world");
    assertEquals(server.stats.operations.PutObject, 1);
    assertEquals(server.stats.operations.CreateMultipartUpload, undefined);
    await assertRejects(() => sink.write(chunk), Error, "already closed");

    const empty = await s.create("empty.bin");
    await empty.close();
    assertEquals((await s.get("empty.bin"))?.byteLength, 0);
  });
});

Deno.test("create(): a large file goes multipart, parts exactly partSize, visible only after complete", async () => {
  await withServer(async (server, open) => {
    const s = open({
      partSize: 1024,
      allowSmallParts: true,
      partConcurrency: 2,
    });
    const data = bytes(5 * 1024 + 300);
    const sink = await s.create("big/file.parquet");
    // Odd chunk sizes so parts straddle chunks, and one chunk larger than a part.
    const cuts = [1, 700, 1500, 4000, data.length];
    let at = 0;
    for (const cut of cuts) {
      await sink.write(data.subarray(at, cut));
      at = cut;
    }
    assertEquals(server.stats.operations.CreateMultipartUpload, 1);
    assertEquals(await s.get("big/file.parquet"), undefined);
    assertEquals(await s.list("big/"), []);
    await sink.close();
    assertEquals(server.stats.operations.UploadPart, 6);
    assertEquals(server.stats.operations.CompleteMultipartUpload, 1);
    assertEquals(server.stats.openUploads, 0);
    assertEquals(await s.get("big/file.parquet"), data);
    assertEquals(await s.list("big/"), ["big/file.parquet"]);
  }, { minPartSize: 1024 });
});

Deno.test("create(): the server's minimum part size is enforced, and the failed upload is aborted", async () => {
  await withServer(async (server, open) => {
    const s = open({ partSize: 1024, allowSmallParts: true });
    const sink = await s.create("too-small.bin");
    await sink.write(bytes(2500));
    const err = await assertRejects(() => sink.close(), HttpError);
    assertStringIncludes(err.message, "EntityTooSmall");
    assertStringIncludes(
      err.message,
      'key "prefix/too-small.bin" in bucket "lake"',
    );
    assertEquals(server.stats.openUploads, 0);
    assertEquals(server.keys("lake"), []);
  }); // server keeps S3's 5 MiB minimum
});

Deno.test("abort() leaves nothing: no object, no open upload", async () => {
  await withServer(async (server, open) => {
    const s = open({ partSize: 1024, allowSmallParts: true });
    const sink = await s.create("aborted.bin");
    await sink.write(bytes(3000));
    assertEquals(server.stats.openUploads, 1);
    await sink.abort();
    await sink.abort();
    assertEquals(server.stats.operations.AbortMultipartUpload, 1);
    assertEquals(server.stats.openUploads, 0);
    assertEquals(server.keys("lake"), []);
    await assertRejects(() => sink.close(), Error, "already aborted");

    const small = await s.create("aborted-small.bin");
    await small.write(bytes(10));
    await small.abort();
    assertEquals(server.keys("lake"), []);
  }, { minPartSize: 1024 });
});

Deno.test("partSize below S3's minimum is refused unless allowed for tests", async () => {
  await withServer((_server, open) => {
    let err: unknown;
    try {
      open({ partSize: 1024 });
    } catch (e) {
      err = e;
    }
    assert(err instanceof RangeError);
    assertStringIncludes(err.message, "5242880");
    return Promise.resolve();
  });
});

Deno.test("putIfAbsent(): the second writer is refused and the first one's bytes stay", async () => {
  await withServer(async (server, open) => {
    const a = open();
    const b = open();
    const path = "demo/items/_log/00000000000000000001.json";
    assertEquals(await a.putIfAbsent(path, enc.encode("first")), true);
    assertEquals(await b.putIfAbsent(path, enc.encode("second")), false);
    assertEquals(dec.decode(await a.get(path)), "first");

    // Racing writers: exactly one wins.
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => open().putIfAbsent("race.json", enc.encode(`w${i}`)),
      ),
    );
    assertEquals(results.filter((r) => r).length, 1);
    const winner = results.indexOf(true);
    assertEquals(dec.decode(await a.get("race.json")), `w${winner}`);
    // Ten writes, and the two PUTs of the conditional-write probe (once per lake).
    assertEquals(server.stats.operations.PutObject, 12);
  });
});

Deno.test("putIfAbsent(): a lost answer to our own write still reports success", async () => {
  await withServer(async (_server, open) => {
    let dropped = 0;
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const req = input as Request;
      if (
        req.method === "PUT" && req.headers.get("if-none-match") === "*" &&
        dropped === 0
      ) {
        dropped++;
        await res.body?.cancel();
        throw new TypeError("connection reset by peer");
      }
      return res;
    };
    const sleeps: number[] = [];
    const s = open({
      fetch: lossy,
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      random: () => 0.5,
    });
    assertEquals(await s.putIfAbsent("log/1.json", enc.encode("mine")), true);
    assertEquals(dropped, 1);
    assertEquals(sleeps, [50]);
    // And another writer's entry is still refused.
    assertEquals(
      await open().putIfAbsent("log/1.json", enc.encode("theirs")),
      false,
    );
  });
});

Deno.test("5xx and SlowDown are retried with backoff, then reported with S3's code", async () => {
  await withServer(async (_server, open) => {
    let failures = 2;
    const flaky: typeof fetch = async (input, init) => {
      if (failures > 0) {
        failures--;
        return new Response(
          "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
          { status: 503 },
        );
      }
      return await fetch(input, init);
    };
    const sleeps: number[] = [];
    const s = open({
      fetch: flaky,
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      random: () => 1,
    });
    await s.put("x.json", enc.encode("x"));
    assertEquals(sleeps, [100, 200]);

    failures = 10;
    const err = await assertRejects(() => s.get("x.json"), HttpError);
    assertEquals(err.status, 503);
    assertStringIncludes(
      err.message,
      "SlowDown: Please reduce your request rate.",
    );
    assertStringIncludes(
      err.message,
      'Cannot get key "prefix/x.json" in bucket "lake"',
    );
    assertEquals(failures, 6); // 1 try + 3 retries
  });
});

Deno.test("list() follows continuation tokens across many pages", async () => {
  await withServer(async (server, open) => {
    const s = open();
    const expected: string[] = [];
    for (let i = 0; i < 95; i++) {
      const path = `t/part-${String(i).padStart(3, "0")}.parquet`;
      expected.push(path);
      await s.put(path, enc.encode(String(i)));
    }
    await s.put("t2/outside.parquet", enc.encode("no"));
    assertEquals(await s.list("t/"), expected);
    assertEquals(server.stats.operations.ListObjectsV2, 10); // ceil(95 / 10)
  }, { maxKeys: 10 });
});

Deno.test("the server answers ListObjectsV2 like S3: delimiter, start-after, XML escaping", async () => {
  await withServer(async (server, open) => {
    const s = open();
    for (const p of ["a/1", "a/2", "b/x/1", "b/x/2", "b/y", "c&d"]) {
      await s.put(p, enc.encode(p));
    }
    const { AwsClient } = await import("aws4fetch");
    const aws = new AwsClient({
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      service: "s3",
      region: "us-east-1",
      retries: 0,
    });
    const list = async (query: string) => {
      const res = await aws.fetch(`${server.url}/lake?list-type=2&${query}`);
      assertEquals(res.status, 200);
      return await res.text();
    };
    const top = await list("prefix=prefix%2F&delimiter=%2F&max-keys=2");
    assertStringIncludes(
      top,
      "<CommonPrefixes><Prefix>prefix/a/</Prefix></CommonPrefixes>",
    );
    assertStringIncludes(top, "<IsTruncated>true</IsTruncated>");
    const token = /<NextContinuationToken>([^<]+)</.exec(top)![1]!;
    const rest = await list(
      `prefix=prefix%2F&delimiter=%2F&continuation-token=${
        encodeURIComponent(token)
      }`,
    );
    assertStringIncludes(rest, "<Key>prefix/c&amp;d</Key>");
    assert(!rest.includes("prefix/a/") && !rest.includes("prefix/b/</Prefix>"));
    const after = await list("start-after=prefix%2Fb%2Fx%2F2");
    assertEquals([...after.matchAll(/<Key>([^<]+)</g)].map((m) => m[1]), [
      "prefix/b/y",
      "prefix/c&amp;d",
    ]);
  });
});

Deno.test("unsigned, wrongly keyed and wrongly signed requests are rejected", async () => {
  await withServer(async (server, open) => {
    await open().put("secret.json", enc.encode("{}"));
    const unsigned = await fetch(`${server.url}/lake/prefix/secret.json`);
    assertEquals(unsigned.status, 403);
    assertStringIncludes(await unsigned.text(), "<Code>AccessDenied</Code>");
    const unsignedPut = await fetch(`${server.url}/lake/prefix/new.json`, {
      method: "PUT",
      body: "x",
    });
    assertEquals(unsignedPut.status, 403);
    await unsignedPut.body?.cancel();
    assertEquals(server.keys("lake"), ["prefix/secret.json"]);

    const wrongKey = open({ accessKeyId: "SOMEONEELSE" });
    const e1 = await assertRejects(
      () => wrongKey.get("secret.json"),
      HttpError,
    );
    assertStringIncludes(e1.message, "InvalidAccessKeyId");

    const wrongSecret = open({ secretAccessKey: "not-the-secret-value" });
    const e2 = await assertRejects(
      () => wrongSecret.put("x.json", enc.encode("x")),
      HttpError,
    );
    assertEquals(e2.status, 403);
    assertStringIncludes(e2.message, "SignatureDoesNotMatch");
    assertStringIncludes(e2.message, 'key "prefix/x.json" in bucket "lake"');
    assert(!e2.message.includes("not-the-secret-value"));
    assert(!e2.message.includes(server.secretAccessKey));

    // A body altered after signing fails the payload hash.
    const { AwsClient } = await import("aws4fetch");
    const aws = new AwsClient({
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      service: "s3",
      region: "us-east-1",
    });
    const signed = await aws.sign(`${server.url}/lake/prefix/y.json`, {
      method: "PUT",
      headers: { "x-amz-content-sha256": "0".repeat(64) },
      body: "y",
    });
    const tampered = await fetch(signed);
    assertEquals(tampered.status, 400);
    assertStringIncludes(await tampered.text(), "XAmzContentSHA256Mismatch");
    assertEquals(server.stats.rejected, 5);
  });
});

Deno.test("a missing bucket is an error naming it, never an empty lake", async () => {
  await withServer(async (server) => {
    const s = S3Storage.fromUrl("s3://no-such-bucket/p", {
      env: (n) => server.env[n],
    });
    const err = await assertRejects(() => s.get("a.json"), HttpError);
    assertEquals(err.status, 404);
    assertStringIncludes(err.message, 'bucket "no-such-bucket"');
    assertStringIncludes(
      err.message,
      "NoSuchBucket: The specified bucket does not exist.",
    );
    await assertRejects(() => s.list(""), HttpError, "NoSuchBucket");
    await assertRejects(() => s.delete("a.json"), HttpError, "NoSuchBucket");
  });
});

Deno.test("missing configuration names the variables and leaks no secret", () => {
  const cases: [Record<string, string>, string[], string[]][] = [
    [
      {},
      ["INLET_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
      [],
    ],
    [
      { INLET_S3_ENDPOINT: "http://127.0.0.1:9", AWS_ACCESS_KEY_ID: "AKID" },
      ["AWS_SECRET_ACCESS_KEY"],
      ["INLET_S3_ENDPOINT", "AWS_ACCESS_KEY_ID"],
    ],
    [
      {
        INLET_S3_ENDPOINT: "http://127.0.0.1:9",
        AWS_SECRET_ACCESS_KEY: "hunter2-secret",
      },
      ["AWS_ACCESS_KEY_ID"],
      ["hunter2-secret", "AWS_SECRET_ACCESS_KEY"],
    ],
    [
      {
        INLET_S3_ENDPOINT: "http://user:hunter2-secret@127.0.0.1:9",
        AWS_ACCESS_KEY_ID: "a",
        AWS_SECRET_ACCESS_KEY: "b",
      },
      ["INLET_S3_ENDPOINT", "without credentials"],
      ["hunter2-secret"],
    ],
  ];
  for (const [env, present, absent] of cases) {
    let err: unknown;
    try {
      S3Storage.fromUrl("s3://bucket/lake", { env: (n) => env[n] });
    } catch (e) {
      err = e;
    }
    assert(
      err instanceof ConfigError,
      `no ConfigError for ${JSON.stringify(Object.keys(env))}`,
    );
    for (const p of present) assertStringIncludes(err.message, p);
    for (const a of absent) {
      assert(!err.message.includes(a), `"${a}" in: ${err.message}`);
    }
  }
  for (const bad of ["s3:/bucket", "https://bucket/x", "s3://"]) {
    let err: unknown;
    try {
      S3Storage.fromUrl(bad, { env: () => "x" });
    } catch (e) {
      err = e;
    }
    assert(err instanceof ConfigError, bad);
  }
});

Deno.test("options win over the environment, which defaults region to us-east-1", async () => {
  const seen: string[] = [];
  const capture: typeof fetch = (input) => {
    seen.push((input as Request).headers.get("authorization") ?? "");
    return Promise.resolve(new Response(null, { status: 204 }));
  };
  const env: Record<string, string> = {
    INLET_S3_ENDPOINT: "http://127.0.0.1:1",
    AWS_ACCESS_KEY_ID: "ENVKEY",
    AWS_SECRET_ACCESS_KEY: "envsecret",
  };
  await S3Storage.fromUrl("s3://b1/p", { env: (n) => env[n], fetch: capture })
    .delete("x");
  await S3Storage.fromUrl("s3://b1/p", {
    env: (n) => env[n],
    fetch: capture,
    accessKeyId: "OPTKEY",
    region: "eu-central-1",
  }).delete("x");
  assertStringIncludes(seen[0]!, "Credential=ENVKEY/");
  assertStringIncludes(seen[0]!, "/us-east-1/s3/aws4_request");
  assertStringIncludes(seen[1]!, "Credential=OPTKEY/");
  assertStringIncludes(seen[1]!, "/eu-central-1/s3/aws4_request");
});

Deno.test("a stream's table commits on S3: one of two racing runs commits, the loser's file is cleaned up", async () => {
  const { CommitConflictError, StreamTable } = await import(
    "../../../core/lake/stream_table.ts"
  );
  await withServer(async (server, open) => {
    const lake = open({ partSize: 1024, allowSmallParts: true });
    const runA = new StreamTable(lake, "demo/items", {
      runId: "20261124T041300.000Z-aaaa",
    });
    const runB = new StreamTable(open(), "demo/items", {
      runId: "20261124T041300.000Z-bbbb",
    });
    const stage = async (
      log: InstanceType<typeof StreamTable>,
      name: string,
      size: number,
    ) => {
      const staged = log.stagingPath(name);
      const sink = await lake.create(staged);
      await sink.write(bytes(size));
      await sink.close();
      return { staged, records: 1, bytes: size };
    };
    await runA.recover();
    await runB.recover();
    const a = await stage(runA, `${runA.runId}-00000.parquet`, 3000); // multipart
    const b = await stage(runB, `${runB.runId}-00000.parquet`, 10);
    const results = await Promise.allSettled([
      runA.commit({ add: [a], state: { page: 1 } }),
      runB.commit({ add: [b], state: { page: 2 } }),
    ]);
    assertEquals(results.filter((r) => r.status === "fulfilled").length, 1);
    const lost = results.find((r) =>
      r.status === "rejected"
    ) as PromiseRejectedResult;
    assert(lost.reason instanceof CommitConflictError, String(lost.reason));

    const later = new StreamTable(open(), "demo/items", {
      runId: "20261124T051300.000Z-cccc",
    });
    await later.recover();
    const files = await later.files();
    assertEquals(files.length, 1);
    // Only the committed file is left; the loser's file is cleaned up by
    // the winner's commit.
    assertEquals(
      (await lake.list("demo/items/")).filter((p) => !p.includes("/metadata/")),
      files,
    );
    assertEquals(
      (await lake.get(files[0]!))?.byteLength,
      results[0]!.status === "fulfilled" ? 3000 : 10,
    );
    assertEquals(server.stats.openUploads, 0);
  }, { minPartSize: 1024 });
});
