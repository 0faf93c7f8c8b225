/**
 * Incremental bookmarks against json-server 0.17.4, a source that compares
 * its `_gte` filters as strings: the bookmark must go back exactly as the
 * source wrote it, or a record in the same second is skipped for ever.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { readStates } from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { offsetPaginator } from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { queryLake } from "../../../core/lake/query.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import { testConnector } from "../../_connectors.ts";
import { withJsonServer } from "../../_json_server.ts";

const at = (s: string) => `2024-06-01T00:03:${s}Z`;

function jsonServerStream(extra: Partial<StreamDef> = {}): StreamDef {
  return {
    path: "/items",
    params: { _sort: "updated_at" },
    primaryKey: "id",
    paginator: offsetPaginator({
      limit: 2,
      limitParam: "_limit",
      offsetParam: "_start",
    }),
    writeDisposition: "merge",
    incremental: { cursorField: "updated_at", param: "updated_at_gte" },
    ...extra,
  };
}

Deno.test("incremental: a bookmark is sent as the source wrote it, so a record later in the same second lands (json-server)", async () => {
  const items = [15, 16, 17, 18, 19].map((s, i) => ({
    id: i + 1,
    updated_at: at(`${s}.000`),
  }));
  await withJsonServer({ items }, async (url, dir) => {
    const c = testConnector(url, { items: jsonServerStream() }, "js");
    const lake = `${dir}/lake`;
    const first = await pull(c, { lake, concurrency: 1 });
    assertEquals(first.status, "ok", first.errors.join("\n"));
    assertEquals(first.records, 5);

    const late = { id: 6, updated_at: at("19.500") };
    const res = await fetch(`${url}/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(late),
    });
    assertEquals(res.status, 201, await res.text());

    const second = await pull(c, { lake, concurrency: 1 });
    assertEquals(second.status, "ok", second.errors.join("\n"));
    // From the bookmark on: record 5 (same instant, again) and record 6.
    assertEquals(second.records, 2);
    const [row] = await queryLake(
      lake,
      c,
      "SELECT count(*) AS n, list(id ORDER BY id) AS ids FROM items",
    );
    assertEquals(
      { n: Number(row!.n), ids: (row!.ids as bigint[]).map(Number) },
      { n: 6, ids: [1, 2, 3, 4, 5, 6] },
    );
    // The state carries the source's own string, not a reformatted one.
    const [report] = await readStates(new LocalStorage(lake), c);
    assertEquals(
      (report!.state as { bookmark: Record<string, string> }).bookmark[""],
      at("19.500"),
    );
  });
});
