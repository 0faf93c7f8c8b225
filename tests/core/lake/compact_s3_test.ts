/**
 * `inlet compact` and `inlet expire` on an S3 lake (the S3 test server):
 * the CLI compacts a merge stream pulled three times, icebird (routed to
 * the test server) reads the same rows, one per key, before and after, and
 * expiring leaves in the bucket only what the kept snapshots list.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { AwsClient } from "aws4fetch";
import { icebergRead } from "icebird";
import { runCli } from "../../../core/cli/cli.ts";
import { liveFiles } from "../../../core/iceberg/current_snapshot.ts";
import { loadTable } from "../../../core/iceberg/table.ts";
import { S3Storage } from "../../../core/lake/s3_storage.ts";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { startS3Server } from "../../../core/testing/s3_server.ts";
import { withS3Fetch } from "../../_s3_fetch.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { sumTo } from "../../_duckdb.ts";

type Row = Record<string, unknown>;

function byId(rows: Row[]): Record<string, string> {
  return Object.fromEntries(
    rows.map((r) => [String(r.id), String(r.name)]).sort(),
  );
}

Deno.test("compact and expire on S3 through the CLI: same rows for icebird, one per key; only kept snapshots' files stay", async () => {
  const records = 200;
  await using api = await startApiServer({ records });
  const server = await startS3Server();
  try {
    const env = (n: string) => server.env[n];
    const url = `${server.bucket("lake")}/p`;
    const lake = S3Storage.fromUrl(url, { env });
    const c = testConnector(api.url, {
      items: offsetStream(50, { writeDisposition: "merge" }),
    }, "m");
    for (let run = 1; run <= 3; run++) {
      const r = await pull(c, { lake, concurrency: 4, fileRecords: 40 });
      assertEquals(r.status, "ok", r.errors.join("\n"));
      for (let id = run; id <= records; id += 6) {
        api.updateRecord(id, { name: `run-${run + 1}-${id}` });
      }
    }
    const client = new AwsClient({
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      service: "s3",
      region: "us-east-1",
    });
    const read = () =>
      withS3Fetch(
        client,
        server.url,
        () => icebergRead({ tableUrl: `${url}/m/items` }),
      );
    const before = await read();
    assertEquals(before.length, records);
    let out = "", err = "";
    const io = {
      out: (t: string) => out += t,
      err: (t: string) => err += t,
      terminal: false,
      env,
    };
    const code = await runCli(["compact", "m", "--lake", url], [c], io);
    assertEquals(code, 0, err);
    assert.match(
      out,
      /m\/items {2}\d+ data file\(s\) and \d+ delete file\(s\) -> 1 file\(s\): \d+ rows read, \d+ deleted, 200 written/,
    );
    const after = await read();
    assertEquals(after.length, records);
    assertEquals(new Set(after.map((r) => Number(r.id))).size, records);
    assertEquals(after.reduce((n, r) => n + Number(r.id), 0), sumTo(records));
    assertEquals(byId(after), byId(before));
    const files = await liveFiles(await loadTable(lake, "m/items"));
    assertEquals([files.data.length, files.deletes.length], [1, 0]);

    // A pull after it, then expire everything that may go.
    const next = await pull(c, { lake, concurrency: 4, fileRecords: 40 });
    assertEquals(next.status, "ok", next.errors.join("\n"));
    out = "";
    const expire = await runCli(
      ["expire", "m", "--lake", url, "--older-than", "0d"],
      [c],
      io,
    );
    assertEquals(expire, 0, err);
    assert.match(
      out,
      /m\/items {2}[1-9]\d* snapshot\(s\) expired, \d+ kept, [1-9]\d* file\(s\) deleted/,
    );
    const table = await loadTable(lake, "m/items");
    const live = await liveFiles(table);
    const data = server.keys("lake").filter((k) =>
      k.startsWith("p/m/items/data/")
    );
    assertEquals(
      data.sort(),
      [...live.data, ...live.deletes].map((f) => `p/m/items/${f.path}`).sort(),
    );
    const rows = await read();
    assertEquals(rows.length, records);
    assertEquals(byId(rows)["3"], "run-4-3");
  } finally {
    await server.close();
  }
});
