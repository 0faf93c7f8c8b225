/**
 * A store that ignores `If-None-Match: *` (s3rver 3.7.1 does) would let two
 * runs both commit the same version: it is probed and refused, naming the
 * store and the way out. The project's own S3 server honours the header.
 */
import assert from "node:assert/strict";
import { ConfigError } from "../../../core/connector/errors.ts";
import { committedFiles } from "../../../core/lake/lake_reader.ts";
import { pull } from "../../../core/run/pull.ts";
import { S3Storage } from "../../../core/lake/s3_storage.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { startS3Server } from "../../../core/testing/s3_server.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { duck, sqlString, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";
import { type NpmServer, startNpmServer } from "../../_npm_server.ts";

async function withS3rver(
  fn: (env: Record<string, string>, server: NpmServer) => Promise<void>,
): Promise<void> {
  await withTempDir("inlet-s3rver-", async (dir) => {
    await using server = await startNpmServer(
      [
        "npm:s3rver@3.7.1",
        "-d",
        dir,
        "-a",
        "127.0.0.1",
        "-p",
        "0",
        "--configure-bucket",
        "lake",
      ],
      /listening on 127\.0\.0\.1:(\d+)/,
    );
    await fn({
      INLET_S3_ENDPOINT: `http://127.0.0.1:${server.ready[1]}`,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    }, server);
  });
}

Deno.test("s3 probe: s3rver ignores If-None-Match, so commits are refused naming the store; no probe object is left", async () => {
  await withS3rver(async (env) => {
    const lake = S3Storage.fromUrl("s3://lake/p", { env: (n) => env[n] });
    const err = await lake.putIfAbsent("a/_log/1.json", new Uint8Array([1]))
      .then(() => undefined, (e) => e);
    assert.ok(err instanceof ConfigError, `expected a refusal, got ${err}`);
    for (
      const part of [
        env.INLET_S3_ENDPOINT!,
        "s3://lake/p",
        "If-None-Match",
        "INLET_S3_SINGLE_WRITER=1",
      ]
    ) {
      assert.ok(err.message.includes(part), `${part} not in: ${err.message}`);
    }
    assert.deepEqual(await lake.list(""), []);
  });
});

Deno.test("s3 probe: a pull into s3rver is refused before any page; INLET_S3_SINGLE_WRITER=1 accepts the risk and lands every record once", async () => {
  const records = 120;
  await using api = await startApiServer({ records });
  const c = testConnector(api.url, { items: offsetStream(50) }, "probe");
  await withS3rver(async (env) => {
    const refused = await pull(c, {
      lake: "s3://lake/p",
      env: (n) => env[n],
      concurrency: 2,
    }).then((s) => s.errors.join("\n"), (e) => String(e));
    assert.match(refused, /ignores If-None-Match/);
    assert.equal(api.stats.requests, 0, "a page was requested");
    const lake = S3Storage.fromUrl("s3://lake/p", { env: (n) => env[n] });
    // Only the run's own record: no data, no commit, no probe object.
    assert.deepEqual(
      (await lake.list("")).filter((k) => !k.startsWith("probe/_runs/")),
      [],
    );

    const single: Record<string, string> = {
      ...env,
      INLET_S3_SINGLE_WRITER: "1",
    };
    const ok = await pull(c, {
      lake: "s3://lake/p",
      env: (n) => single[n],
      concurrency: 2,
    });
    assert.equal(ok.status, "ok", ok.errors.join("\n"));
    // Read back what a reader of this lake reads: the committed files.
    await withTempDir("inlet-s3rver-read-", async (dir) => {
      const local: string[] = [];
      for (
        const [i, f] of (await committedFiles(lake, "probe/items")).entries()
      ) {
        local.push(`${dir}/${i}.parquet`);
        await Deno.writeFile(local.at(-1)!, (await lake.get(f))!);
      }
      const [row] = await duck(
        `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s FROM read_parquet([${
          local.map(sqlString).join(", ")
        }])`,
      );
      assert.deepEqual(
        { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) },
        { n: records, ids: records, s: sumTo(records) },
      );
    });
  });
});

Deno.test("s3 probe: a store honouring If-None-Match passes, probed once per lake per process, leaving nothing", async () => {
  await using server = await startS3Server();
  const url = server.bucket("lake") + "/q";
  const open = () => S3Storage.fromUrl(url, { env: (n) => server.env[n] });
  assert.equal(await open().putIfAbsent("x/1.json", new Uint8Array([1])), true);
  assert.equal(
    await open().putIfAbsent("x/1.json", new Uint8Array([2])),
    false,
  );
  assert.equal(await open().putIfAbsent("x/2.json", new Uint8Array([3])), true);
  // Two probe PUTs, once, then the three writes.
  assert.equal(server.stats.operations.PutObject, 2 + 3);
  assert.deepEqual(server.keys("lake"), ["q/x/1.json", "q/x/2.json"]);
});
