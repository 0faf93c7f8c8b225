/**
 * An Iceberg table on the S3 test server (core/testing/s3_server.ts):
 * committed through the lake's S3Storage (its conditional create decides
 * the race), then read back with icebird.
 */
import assert from "node:assert/strict";
import { AwsClient } from "aws4fetch";
import { S3Storage } from "../../../core/lake/s3_storage.ts";
import { startS3Server } from "../../../core/testing/s3_server.ts";
import { withS3Fetch } from "../../_s3_fetch.ts";
import {
  CommitConflictError,
  commitSnapshot,
  currentSnapshot,
  evolveSchema,
  KeyIndex,
  loadTable,
  positionDeleteFile,
} from "../../../core/iceberg/mod.ts";
import { readWithIcebird, writeDataFile } from "./_table_kit.ts";

Deno.test("on S3: merges commit, a race is refused, icebird reads one row per key", async () => {
  const server = await startS3Server();
  try {
    const lake = S3Storage.fromUrl(`${server.bucket("lake")}/prefix`, {
      env: (n) => server.env[n],
    });
    let table = await loadTable(lake, "demo/issues");
    assert.equal(table.location, "s3://lake/prefix/demo/issues");
    const schema = evolveSchema(undefined, [
      { name: "id", type: "long" },
      { name: "run", type: "long" },
    ]);
    const index = new KeyIndex();
    for (const [run, ids] of [[1, 2, 3], [2, 3, 4]].entries()) {
      const path = `data/${run}.parquet`;
      const file = await writeDataFile(table, schema.schema, path, {
        id: ids.map(BigInt),
        run: ids.map(() => BigInt(run)),
      });
      const deletes = index.add(path, ids.map(String));
      const stale = table;
      table = await commitSnapshot(table, {
        operation: "merge",
        dataFiles: [file],
        deleteFiles: deletes.length === 0 ? [] : [
          await positionDeleteFile(table, `data/${run}-del.parquet`, deletes),
        ],
        schema,
        summary: { "inlet.state": String(run) },
      });
      await assert.rejects(
        () => commitSnapshot(stale, { operation: "append", schema }),
        CommitConflictError,
      );
    }
    const reloaded = await loadTable(lake, "demo/issues");
    assert.equal(reloaded.version, 2);
    assert.equal(currentSnapshot(reloaded)?.summary["inlet.state"], "1");
    const client = new AwsClient({
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      service: "s3",
      region: "us-east-1",
    });
    const rows = await withS3Fetch(
      client,
      server.url,
      () => readWithIcebird(reloaded),
    );
    const got = rows.map((r) => [r.id, r.run]).sort((a, b) =>
      Number(a[0]) - Number(b[0])
    );
    assert.deepEqual(got, [[1n, 0n], [2n, 1n], [3n, 1n], [4n, 1n]]);
  } finally {
    await server.close();
  }
});
