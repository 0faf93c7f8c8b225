// `--lake s3://bucket/prefix`: the same pulls into the local S3-protocol
// server and into a local folder land the same rows, run after run, through
// the CLI (in this process and in the sandbox) and through pull().
import assert from "node:assert/strict";
import github from "../../../connectors/github.ts";
import {
  committedFiles,
  readableFiles,
} from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { pull } from "../../../core/run/pull.ts";
import { S3Storage } from "../../../core/lake/s3_storage.ts";
import type { Storage } from "../../../core/lake/storage.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { startGitHubServer } from "../../../core/testing/github_server.ts";
import {
  type S3Server,
  startS3Server,
} from "../../../core/testing/s3_server.ts";
import { duck, sqlString } from "../../_duckdb.ts";
import { events, runCliChild, runTask } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";

/**
 * Every row of a stream's table, in key order, as JSON lines: its current
 * snapshot's data files with the position deletes applied (`merge`).
 */
async function rowsOf(
  storage: Storage,
  stream: string,
  key: string,
  merge = false,
): Promise<string[]> {
  const files = await readableFiles(storage, stream);
  if (files.data.length === 0) return [];
  assert.equal(files.deletes.length > 0, merge, "deletes only for a merge");
  return await withTempDir("inlet-s3-read-", async (dir) => {
    // Copy the table's objects down, so DuckDB reads exactly what a reader
    // of this lake would.
    const copy = async (f: string, i: number, kind: string) => {
      const bytes = await storage.get(f);
      assert.ok(bytes, `${f} is listed by the table but missing`);
      const path = `${dir}/${kind}-${String(i).padStart(6, "0")}.parquet`;
      await Deno.writeFile(path, bytes);
      return path;
    };
    const data: string[] = [];
    for (const [i, f] of files.data.entries()) data.push(await copy(f, i, "d"));
    const deletes: string[] = [];
    for (const [i, f] of files.deletes.entries()) {
      deletes.push(await copy(f, i, "x"));
    }
    const list = `[${data.map(sqlString).join(", ")}]`;
    const source =
      `read_parquet(${list}, filename = true, file_row_number = true)`;
    const uris = `(VALUES ${
      data.map((f, i) => `(${sqlString(f)}, ${sqlString(files.uris[i]!)})`)
        .join(", ")
    }) AS _u(_file, _uri)`;
    const rows = await duck(
      deletes.length > 0
        ? `SELECT _d.* EXCLUDE (filename, file_row_number) FROM ${source} AS _d
           JOIN ${uris} ON _d.filename = _u._file
           ANTI JOIN read_parquet([${
          deletes.map(sqlString).join(", ")
        }]) AS _x ON _x.file_path = _u._uri AND _x.pos = _d.file_row_number
           ORDER BY ${key}`
        : `SELECT * EXCLUDE (filename, file_row_number) FROM ${source} ORDER BY ${key}`,
    );
    return rows.map((r) =>
      JSON.stringify(r, (_k, v) => typeof v === "bigint" ? Number(v) : v)
    );
  });
}

function s3Lake(server: S3Server, url: string): S3Storage {
  return S3Storage.fromUrl(url, { env: (n) => server.env[n] });
}

/** Every data and archive object in the bucket is a live file of its table. */
async function assertNoLeftovers(
  server: S3Server,
  bucket: string,
): Promise<void> {
  const keys = server.keys(bucket);
  const storage = s3Lake(server, `s3://${bucket}`);
  const live = new Set<string>();
  const tables = new Set(
    keys.flatMap((k) => /^(.+)\/(?:data|archive)\//.exec(k)?.[1] ?? []),
  );
  for (const table of tables) {
    const f = await readableFiles(storage, table);
    for (const p of [...f.data, ...f.deletes, ...f.archive]) live.add(p);
  }
  assert.deepEqual(
    keys.filter((k) => /\/(?:data|archive)\//.test(k) && !live.has(k)),
    [],
  );
  assert.equal(server.stats.openUploads, 0);
}

/** Two hackernews runs through the CLI: everything up to 1,000, then what is new up to 1,300. */
async function twoHackerNewsRuns(
  lake: string,
  env: Record<string, string>,
  sandbox: boolean,
): Promise<{ first: number; second: number; secondRequests: number }> {
  const run = async (records: number) => {
    await using api = await startApiServer({ records });
    const r = await runCliChild([
      "pull",
      "hackernews",
      ...(sandbox ? [] : ["--no-sandbox"]),
      "--base-url",
      `${api.url}/v0`,
      "--lake",
      lake,
      "--log-format",
      "json",
    ], { env });
    assert.equal(r.code, 0, r.stderr);
    const end = events(r.stderr).find((e) => e.type === "run_end");
    assert.ok(end, r.stderr);
    for (const secret of Object.values(env)) {
      if (secret.length >= 12 && !secret.startsWith("http")) {
        assert.ok(!r.stderr.includes(secret), "a secret reached the log");
      }
    }
    return {
      records: (end.summary as { records: number }).records,
      requests: api.stats.requests,
    };
  };
  const first = await run(1000);
  const second = await run(1300);
  return {
    first: first.records,
    second: second.records,
    secondRequests: second.requests,
  };
}

Deno.test("s3: hackernews into s3:// and into a folder, then an incremental run: the same rows", async () => {
  await using s3 = await startS3Server();
  s3.bucket("lake");
  await withTempDir("inlet-s3-local-", async (dir) => {
    const local = await twoHackerNewsRuns(dir, {}, false);
    const remote = await twoHackerNewsRuns("s3://lake/prod", s3.env, false);
    assert.deepEqual(remote, local);
    // The second run took only what was new: one request for the max id,
    // then one per new item.
    assert.deepEqual(remote, { first: 1000, second: 300, secondRequests: 301 });

    const expected = await rowsOf(
      new LocalStorage(dir),
      "hackernews/items",
      "id",
    );
    const got = await rowsOf(
      s3Lake(s3, "s3://lake/prod"),
      "hackernews/items",
      "id",
    );
    assert.deepEqual(
      expected.map((r) => JSON.parse(r).id),
      Array.from({ length: 1300 }, (_, i) => i + 1),
    );
    assert.deepEqual(got, expected);
    await assertNoLeftovers(s3, "lake");
    // Everything lives under the prefix: data, table metadata, run summaries.
    const keys = s3.keys("lake");
    assert.ok(keys.every((k) => k.startsWith("prod/hackernews/")), keys.join());
    const log = keys.filter((k) =>
      /\/items\/metadata\/v\d+\.metadata\.json$/.test(k)
    ).length;
    assert.ok(log >= 2, `${log} commits`);
    assert.equal(keys.filter((k) => k.includes("/_runs/")).length, 2);

    // `deno task state` reads the bookmark back from the bucket.
    const state = await runTask(
      ["state", "hackernews", "--lake", "s3://lake/prod"],
      s3.env,
    );
    assert.equal(state.code, 0, state.stderr);
    assert.match(
      state.stdout,
      new RegExp(`^hackernews/items  version ${log}  committed `, "m"),
    );
    assert.match(state.stdout, /"bookmark": \{\n\s+"": 1300\n/);
  });
});

Deno.test("s3: the sandboxed CLI reaches the S3 endpoint and reads AWS_* (and nothing else is needed)", async () => {
  await using s3 = await startS3Server();
  s3.bucket("lake");
  await withTempDir("inlet-s3-local-", async (dir) => {
    const local = await twoHackerNewsRuns(dir, {}, true);
    const remote = await twoHackerNewsRuns("s3://lake/sandboxed", s3.env, true);
    assert.deepEqual(remote, local);
    assert.equal(remote.first, 1000);
    const expected = await rowsOf(
      new LocalStorage(dir),
      "hackernews/items",
      "id",
    );
    const got = await rowsOf(
      s3Lake(s3, "s3://lake/sandboxed"),
      "hackernews/items",
      "id",
    );
    assert.deepEqual(got, expected);
    await assertNoLeftovers(s3, "lake");
    // No object holds the secret key.
    for (const key of s3.keys("lake")) {
      const bytes = await s3Lake(s3, "s3://lake").get(key);
      assert.ok(bytes);
      const text = new TextDecoder().decode(bytes);
      assert.ok(!text.includes(s3.secretAccessKey), key);
    }
  });

  // Without the endpoint variable the sandboxed child cannot reach the store,
  // and says which variables to set.
  const env = { ...s3.env, INLET_S3_ENDPOINT: "" };
  await using api = await startApiServer({ records: 10 });
  const denied = await runCliChild([
    "pull",
    "hackernews",
    "--base-url",
    `${api.url}/v0`,
    "--lake",
    "s3://lake/none",
  ], { env });
  assert.equal(denied.code, 2, denied.stderr);
  assert.match(denied.stderr, /set INLET_S3_ENDPOINT/);
});

Deno.test("s3: github issues merged across an incremental run are the same in s3:// as in a folder", async () => {
  await using s3 = await startS3Server();
  s3.bucket("lake");
  await using gh = startGitHubServer({
    repos: { "octo/hello": { issues: 260, pulls: 40 } },
    rateLimit: { authenticated: 1_000_000, anonymous: 1_000_000 },
  });
  const options = {
    baseUrl: gh.url,
    options: { repo: ["octo/hello"] },
    streams: ["issues"],
    env: () => undefined,
  } as const;
  await withTempDir("inlet-s3-gh-", async (dir) => {
    const lakes: Storage[] = [
      new LocalStorage(dir),
      s3Lake(s3, "s3://lake/gh"),
    ];
    for (const lake of lakes) {
      const r = await pull(github, { ...options, lake });
      assert.equal(r.status, "ok", r.errors.join("\n"));
      assert.equal(r.records, 300);
    }
    gh.updateIssue("octo/hello", 7, { title: "renamed", state: "closed" });
    gh.updateIssue("octo/hello", 250, { title: "also renamed" });
    for (const lake of lakes) {
      const r = await pull(github, { ...options, lake });
      assert.equal(r.status, "ok", r.errors.join("\n"));
      // The lookback re-reads the last minute: the two changed issues and
      // whatever shares their minute, never the whole history.
      assert.ok(r.records >= 2 && r.records < 300, String(r.records));
    }
    const [expected, got] = await Promise.all(
      lakes.map((l) => rowsOf(l, "github/issues", "id", true)),
    );
    assert.equal(expected!.length, 300);
    assert.deepEqual(got, expected);
    const renamed = expected!.map((r) => JSON.parse(r)).filter((r) =>
      r.title === "renamed" || r.title === "also renamed"
    );
    assert.deepEqual(renamed.map((r) => r.number).sort(), [250, 7].sort());
  });
  await assertNoLeftovers(s3, "lake");
});

Deno.test("s3: a file larger than one part goes up in a multipart upload during a pull", async () => {
  await using s3 = await startS3Server({ minPartSize: 16 * 1024 });
  s3.bucket("lake");
  await using api = await startApiServer({ records: 20_000 });
  const hn = (await import("../../../connectors/hackernews.ts")).default;
  const lake = S3Storage.fromUrl("s3://lake/big", {
    env: (n) => s3.env[n],
    partSize: 16 * 1024,
    allowSmallParts: true,
  });
  const r = await pull(hn, {
    lake,
    baseUrl: `${api.url}/v0`,
    limit: 20_000,
    format: "ndjson",
    compression: "gzip",
    // One file whatever the machine's load: no checkpoint by the clock.
    checkpointMs: 24 * 3_600_000,
  });
  assert.equal(r.status, "ok", r.errors.join("\n"));
  assert.ok((s3.stats.operations.UploadPart ?? 0) >= 2, "no multipart upload");
  assert.equal(s3.stats.operations.CompleteMultipartUpload, 1);
  await assertNoLeftovers(s3, "lake");
  const files = await committedFiles(lake, "hackernews/items");
  assert.equal(files.length, 1);
  await withTempDir("inlet-s3-big-", async (dir) => {
    const path = `${dir}/items.ndjson.gz`;
    await Deno.writeFile(path, (await lake.get(files[0]!))!);
    const [row] = await duck(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS d, sum(id)::DOUBLE AS s
       FROM read_json_auto(${sqlString(path)})`,
    );
    assert.deepEqual(row, { n: 20_000, d: 20_000, s: 20_000 * 20_001 / 2 });
  });
});
