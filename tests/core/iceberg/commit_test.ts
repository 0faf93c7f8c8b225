/**
 * The commit protocol and the metadata it writes: conflicts, the spec's
 * required fields, the Avro file metadata, the version hint, removals.
 */
import assert from "node:assert/strict";
import { avroMetadata, icebergManifests, icebergMetadata } from "icebird";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import type { ColumnType } from "../../../core/lake/schema.ts";
import {
  CommitConflictError,
  commitSnapshot,
  currentSnapshot,
  evolveSchema,
  type IcebergTable,
  lakeColumns,
  type LakeColumnType,
  liveFiles,
  loadTable,
} from "../../../core/iceberg/mod.ts";
import { writeDataFile } from "./_table_kit.ts";

async function withLake(
  fn: (lake: LocalStorage, dir: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(new LocalStorage(dir), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const schema = evolveSchema(undefined, [{ name: "id", type: "long" }]);

async function appendOne(table: IcebergTable, name: string, state?: string) {
  const file = await writeDataFile(
    table,
    schema.schema,
    `data/${name}.parquet`,
    { id: [1n] },
  );
  return await commitSnapshot(table, {
    operation: "append",
    dataFiles: [file],
    schema,
    ...(state === undefined ? {} : { summary: { "inlet.state": state } }),
  });
}

// Iceberg spec, "Table Metadata Fields" and "Snapshots": required in v2.
/** icebird's avroMetadata parses the values that are JSON already. */
const json = (v: unknown) => typeof v === "string" ? JSON.parse(v) : v;

const REQUIRED_TABLE = [
  "format-version",
  "table-uuid",
  "location",
  "last-sequence-number",
  "last-updated-ms",
  "last-column-id",
  "schemas",
  "current-schema-id",
  "partition-specs",
  "default-spec-id",
  "last-partition-id",
  "sort-orders",
  "default-sort-order-id",
];
const REQUIRED_SNAPSHOT = [
  "snapshot-id",
  "sequence-number",
  "timestamp-ms",
  "manifest-list",
  "summary",
];

Deno.test("metadata JSON has every field the v2 spec requires", async () => {
  await withLake(async (lake) => {
    let table = await loadTable(lake, "demo/items");
    table = await appendOne(table, "a", "s1");
    table = await appendOne(table, "b", "s2");
    const json = JSON.parse(new TextDecoder().decode(
      await lake.get("demo/items/metadata/v2.metadata.json"),
    ));
    for (const key of REQUIRED_TABLE) assert(key in json, `missing ${key}`);
    assert.equal(json["format-version"], 2);
    assert.match(json["table-uuid"], /^[0-9a-f-]{36}$/);
    assert.equal(json["last-sequence-number"], 2);
    for (const s of json.schemas) {
      assert.equal(typeof s["schema-id"], "number");
      for (const f of s.fields) {
        assert(Number.isInteger(f.id) && typeof f.required === "boolean");
      }
    }
    assert.equal(json.snapshots.length, 2);
    for (const s of json.snapshots) {
      for (const key of REQUIRED_SNAPSHOT) {
        assert(key in s, `snapshot lacks ${key}`);
      }
      assert(s["manifest-list"].startsWith(table.location + "/metadata/snap-"));
      assert.equal(typeof s.summary.operation, "string");
    }
    assert.deepEqual(
      json.snapshots.map((s: { "sequence-number": number }) =>
        s["sequence-number"]
      ),
      [1, 2],
    );
    assert.equal(
      json.snapshots[1]["parent-snapshot-id"],
      json.snapshots[0]["snapshot-id"],
    );
    assert.equal(json.refs.main["snapshot-id"], json["current-snapshot-id"]);
    assert.equal(json["snapshot-log"].length, 2);
    assert.equal(
      json["metadata-log"][0]["metadata-file"],
      `${table.location}/metadata/v1.metadata.json`,
    );
    assert.equal(
      new TextDecoder().decode(
        await lake.get("demo/items/metadata/version-hint.text"),
      ),
      "2",
    );
  });
});

Deno.test("manifests carry the Avro file metadata the spec requires, field ids in their schema", async () => {
  await withLake(async (lake) => {
    const table = await appendOne(await loadTable(lake, "demo/items"), "a");
    const files = await lake.list("demo/items/metadata/");
    const manifest = files.find((p) => /-m0\.avro$/.test(p))!;
    const bytes = (await lake.get(manifest))!;
    const { metadata } = await avroMetadata({
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      offset: 0,
    });
    for (
      const key of [
        "schema",
        "schema-id",
        "partition-spec",
        "partition-spec-id",
        "format-version",
        "content",
      ]
    ) {
      assert(key in metadata, `manifest metadata lacks ${key}`);
    }
    assert.equal(metadata["format-version"], "2");
    assert.equal(metadata.content, "data");
    assert.deepEqual(json(metadata.schema), schema.schema);
    const avroSchema = metadata["avro.schema"] as unknown as {
      fields: { name: string; "field-id": number }[];
    };
    assert.deepEqual(avroSchema.fields.map((f) => [f.name, f["field-id"]]), [
      ["status", 0],
      ["snapshot_id", 1],
      ["sequence_number", 3],
      ["file_sequence_number", 4],
      ["data_file", 2],
    ]);
    assert.equal((await liveFiles(table)).data[0]?.sequenceNumber, 1);
  });
});

Deno.test("a concurrent commit is refused with a CommitConflictError, and leaves nothing behind", async () => {
  await withLake(async (lake) => {
    const base = await appendOne(await loadTable(lake, "demo/items"), "a");
    const before = await lake.list("demo/items/metadata/");
    const winner = await appendOne(base, "b", "winner");
    const afterWinner = await lake.list("demo/items/metadata/");
    const err = await appendOne(base, "c", "loser").then(
      () => undefined,
      (e) => e,
    );
    assert(err instanceof CommitConflictError, `got ${err}`);
    assert.equal(err.version, 2);
    assert.deepEqual(await lake.list("demo/items/metadata/"), afterWinner);
    assert(afterWinner.length > before.length);
    // The retry on the re-read table lands on top of the winner.
    const reread = await loadTable(lake, "demo/items");
    assert.equal(currentSnapshot(reread)?.summary["inlet.state"], "winner");
    const retried = await appendOne(reread, "c", "loser");
    assert.equal(retried.version, 3);
    assert.equal(
      currentSnapshot(retried)?.["parent-snapshot-id"],
      currentSnapshot(winner)?.["snapshot-id"],
    );
    assert.equal(currentSnapshot(retried)?.summary["total-data-files"], "3");
  });
});

Deno.test("a lagging version hint is passed over: loading finds the newest version", async () => {
  await withLake(async (lake) => {
    let table = await loadTable(lake, "demo/items");
    for (const name of ["a", "b", "c"]) {
      table = await appendOne(table, name, name);
    }
    await lake.put(
      "demo/items/metadata/version-hint.text",
      new TextEncoder().encode("1"),
    );
    const loaded = await loadTable(lake, "demo/items");
    assert.equal(loaded.version, 3);
    assert.equal(currentSnapshot(loaded)?.summary["inlet.state"], "c");
    await lake.delete("demo/items/metadata/version-hint.text");
    assert.equal((await loadTable(lake, "demo/items")).version, 3);
  });
});

Deno.test("a merge can remove live files; removing a file that is not live fails loudly", async () => {
  await withLake(async (lake) => {
    let table = await loadTable(lake, "demo/items");
    table = await appendOne(table, "a");
    table = await appendOne(table, "b");
    table = await commitSnapshot(table, {
      operation: "merge",
      removeFiles: ["data/a.parquet"],
    });
    assert.deepEqual((await liveFiles(table)).data.map((f) => f.path), [
      "data/b.parquet",
    ]);
    assert.equal(currentSnapshot(table)?.summary["total-records"], "1");
    await assert.rejects(
      () =>
        commitSnapshot(table, {
          operation: "merge",
          removeFiles: ["data/a.parquet"],
        }),
      /data\/a\.parquet, not a live file/,
    );
    await assert.rejects(
      () =>
        commitSnapshot(table, {
          operation: "append",
          removeFiles: ["data/b.parquet"],
        }),
      TypeError,
    );
  });
});

Deno.test("evolveSchema refuses an incompatible change, naming the field", () => {
  const s = evolveSchema(undefined, [{ name: "id", type: "long" }, {
    name: "tags",
    type: { type: "list", element: "int" },
  }]).schema;
  assert.throws(
    () =>
      evolveSchema(s, [{ name: "id", type: "string" }], {
        table: "demo/items",
      }),
    /demo\/items: field "id" was long, now string/,
  );
  assert.throws(
    () => evolveSchema(s, [{ name: "id", type: "double" }]),
    /field "id" was long, now double/,
  );
  assert.throws(
    () => evolveSchema(s, [{ name: "tags", type: "string" }]),
    /field "tags" was list<int>, now string/,
  );
  assert.throws(
    () => evolveSchema(s, [{ name: "new", type: "long", required: true }]),
    /new field "new" is required/,
  );
  const wider = evolveSchema(s, [{
    name: "tags",
    type: { type: "list", element: "long" },
  }]);
  assert.deepEqual(wider.schema.fields[1], {
    id: 2,
    name: "tags",
    required: false,
    type: {
      type: "list",
      "element-id": 3,
      element: "long",
      "element-required": false,
    },
  });
  assert.equal(evolveSchema(s, [{ name: "id", type: "int" }]).changed, false);
  const f = evolveSchema(undefined, [{ name: "x", type: "float" }, {
    name: "d",
    type: "decimal(10,2)",
  }]).schema;
  const g = evolveSchema(f, [{ name: "x", type: "double" }, {
    name: "d",
    type: "decimal(18,2)",
  }]).schema;
  assert.deepEqual(g.fields.map((x) => x.type), ["double", "decimal(18,2)"]);
  assert.throws(
    () => evolveSchema(g, [{ name: "d", type: "decimal(18,3)" }]),
    /field "d"/,
  );
  // A dropped id is never reused: new ids start above last-column-id.
  assert.equal(
    evolveSchema(s, [{ name: "n", type: "long" }], { lastColumnId: 9 }).schema
      .fields[2]?.id,
    10,
  );
});

Deno.test("lake column types map to Iceberg types; the two type unions agree", () => {
  const same: ColumnType extends LakeColumnType
    ? (LakeColumnType extends ColumnType ? true : false)
    : false = true;
  assert(same);
  assert.deepEqual(
    lakeColumns([
      { name: "a", type: "BOOLEAN" },
      { name: "b", type: "INT64" },
      { name: "c", type: "DECIMAL" },
      { name: "d", type: "DOUBLE" },
      { name: "e", type: "STRING" },
      { name: "f", type: "TIMESTAMP" },
      { name: "g", type: "JSON" },
      { name: "h", type: "LIST<TIMESTAMP>" },
      { name: "i", type: "NULL" },
      { name: "j", type: "LIST<NULL>" },
    ]).map((c) => [c.name, c.type]),
    [
      ["a", "boolean"],
      ["b", "long"],
      ["c", "decimal(38,0)"],
      ["d", "double"],
      ["e", "string"],
      ["f", "timestamptz"],
      ["g", "string"],
      ["h", { type: "list", element: "timestamptz" }],
    ],
  );
});

Deno.test("a snapshot without files has a whole (empty) manifest list that icebird reads", async () => {
  await withLake(async (lake, dir) => {
    const table = await loadTable(lake, "t/s");
    await commitSnapshot(table, {
      operation: "append",
      schema: evolveSchema(undefined, [{ name: "id", type: "long" }]),
      summary: { "inlet.state": "{}" },
    });
    const metadata = await icebergMetadata({ tableUrl: `file://${dir}/t/s` });
    assert.deepEqual(await icebergManifests(metadata), []);
  });
});
