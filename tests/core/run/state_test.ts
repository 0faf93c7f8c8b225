/**
 * A corrupt or hand-edited state stops the run with an error naming the
 * file and changes nothing; `deno task state` shows it, `--reset` clears it.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { pullArgs, runCliChild } from "../../_cli.ts";
import { streamStats } from "../../_duckdb.ts";
import { latestEntry, snapshot, withTempDir } from "../../_lake.ts";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

type Edit = (entry: Record<string, unknown>) => void;
type State = {
  sweep: string;
  records: number;
  lanes?: Record<string, { position: Record<string, unknown> }>;
};

const stateOf = (e: Record<string, unknown>) => e.state as State;

/** A table metadata file's current snapshot. */
function current(metadata: Record<string, unknown>) {
  const snapshots = metadata.snapshots as {
    "snapshot-id": number;
    summary: Record<string, string>;
  }[];
  return snapshots.find((s) =>
    s["snapshot-id"] === metadata["current-snapshot-id"]
  )!;
}

/** The state in a table metadata file's text, as `{ state }`. */
function entryOf(text: string): Record<string, unknown> {
  return {
    state: JSON.parse(current(JSON.parse(text)).summary["inlet.state"]!),
  };
}

/** The metadata text `text` with its state edited by `edit`. */
function edited(text: string, edit: Edit): string {
  const metadata = JSON.parse(text);
  const e = entryOf(text);
  edit(e);
  current(metadata).summary["inlet.state"] = JSON.stringify(e.state);
  return JSON.stringify(metadata, null, 2);
}

// Each a way a state or log entry goes bad, and what the error must say.
const edits: Array<[string, Edit | string, RegExp]> = [
  [
    "truncated table metadata",
    "cut",
    /Corrupt Iceberg table metadata .*: not valid JSON/,
  ],
  [
    "a page number edited into a string",
    (e) => stateOf(e).lanes!.main!.position.page = "2",
    /state in .* is corrupt: lanes\["main"\]\.position\.page must be a whole number/,
  ],
  [
    "an unknown sweep",
    (e) => stateOf(e).sweep = "done",
    /state in .* is corrupt: sweep must be "running" or "complete", got "done"/,
  ],
  [
    "a running sweep without its lanes",
    (e) => delete stateOf(e).lanes,
    /state in .* is corrupt: lanes are missing from a running sweep/,
  ],
  [
    "a negative record count",
    (e) => stateOf(e).records = -1,
    /state in .* is corrupt: records must be a whole number >= 0/,
  ],
  [
    "a next page before the current one",
    (e) => stateOf(e).lanes!.main!.position.next = { index: 0 },
    /position\.next must be a page request after position\.page/,
  ],
];

Deno.test("state: a corrupt or hand-edited state stops the run, names the file, changes nothing", async () => {
  await using server = await startApiServer({ records: 1000 });
  await withTempDir("inlet-state-", async (lake) => {
    const pull = (...extra: string[]) =>
      runCliChild(
        pullArgs(
          "demo",
          server.url,
          lake,
          "--concurrency",
          "2",
          "--checkpoint-records",
          "50",
          ...extra,
        ),
      );
    // A sweep left running: 120 of 1000 records, the third page cut short.
    const first = await pull("--limit", "120");
    assertEquals(first.code, 0, first.stderr);
    const file = await latestEntry(lake, "demo/items");
    const good = await Deno.readTextFile(file);
    assertEquals(stateOf(entryOf(good)).sweep, "running");

    for (const [what, edit, reason] of edits) {
      const text = typeof edit === "string"
        ? good.slice(0, Math.floor(good.length / 2))
        : edited(good, edit);
      await Deno.writeTextFile(file, text);
      const before = await snapshot(lake);
      const requests = server.stats.requests;
      const r = await pull();
      assertEquals(r.code, 1, `${what}: ${r.stderr}`);
      assertMatch(r.stderr, reason, what);
      assertMatch(
        r.stderr,
        new RegExp(escape(file)),
        `${what}: names the file`,
      );
      assertMatch(r.stderr, /"demo\/items"/, `${what}: names the stream`);
      assertEquals(server.stats.requests, requests, `${what}: no request`);
      assertEquals(await snapshot(lake), before, `${what}: the lake changed`);
      // `deno task state` shows what is wrong, and never a silent default.
      const shown = await runCliChild(["state", "demo", "--lake", lake]);
      if (typeof edit === "string") {
        assert(shown.code !== 0, `${what}: ${shown.stdout}`);
        assertMatch(shown.stderr, new RegExp(escape(file)));
      } else {
        // The state as it is stored, edit included.
        assertEquals(shown.code, 0, shown.stderr);
        assertMatch(shown.stdout, /"records": -?\d+/);
      }
    }

    // The version the hint names, missing, is no gap to skip back over.
    await Deno.writeTextFile(file, good);
    const kept = await Deno.readFile(file);
    await Deno.remove(file);
    const before = await snapshot(lake);
    const gap = await pull();
    assertEquals(gap.code, 1, gap.stderr);
    assertMatch(
      gap.stderr,
      /version-hint\.text names version \d+, which does not exist/,
    );
    assertEquals(await snapshot(lake), before);
    await Deno.writeFile(file, kept);

    // A hand-edited state is cleared by --reset; the next run starts afresh.
    await Deno.writeTextFile(
      file,
      edited(good, (e) => stateOf(e).lanes!.main!.position.page = "2"),
    );
    const shown = await runCliChild(["state", "demo", "--lake", lake]);
    assertEquals(shown.code, 0, shown.stderr);
    assertMatch(shown.stdout, /demo\/items {2}version \d+/);
    assertMatch(shown.stdout, /"page": "2"/);
    const reset = await runCliChild([
      "state",
      "demo",
      "--lake",
      lake,
      "--reset",
    ]);
    assertEquals(reset.code, 0, reset.stderr);
    assertMatch(reset.stdout, /cleared the state of 1 stream table/);
    assertMatch(
      (await runCliChild(["state", "demo", "--lake", lake])).stdout,
      /\nnull\n/,
    );
    const fresh = await pull();
    assertEquals(fresh.code, 0, fresh.stderr);
    assertMatch(fresh.stderr, /ok, 1,000 records/);
    // The reset keeps the data: the 120 from before, then a whole new sweep.
    const counts = { n: "count(*)", ids: "count(DISTINCT id)" };
    assertEquals(await streamStats(`${lake}/demo/items`, counts), {
      n: 1120,
      ids: 1000,
    });
  });
});

Deno.test("state: a corrupt state of one stream stops every stream of the run before any change", async () => {
  await using server = await startApiServer({ records: 300 });
  await withTempDir("inlet-state-", async (lake) => {
    const pull = (...extra: string[]) =>
      runCliChild(
        pullArgs(
          "crash",
          server.url,
          lake,
          "--checkpoint-records",
          "20",
          ...extra,
        ),
        { entry: "tests/core/run/_crash_cli.ts" },
      );
    const first = await pull("--limit", "40");
    assertEquals(first.code, 0, first.stderr);
    const file = await latestEntry(lake, "crash/cursor");
    await Deno.writeTextFile(
      file,
      edited(await Deno.readTextFile(file), (e) => {
        (e.state as Record<string, unknown>).cursor = {
          "": { not: "a value" },
        };
      }),
    );
    const before = await snapshot(lake);
    const requests = server.stats.requests;
    const r = await pull();
    assertEquals(r.code, 1, r.stderr);
    for (const s of ["fanout", "cursor", "partitioned", "details"]) {
      assertMatch(r.stderr, new RegExp(`"crash/${s}".*${escape(file)}`));
    }
    assertMatch(r.stderr, /cursor\[""\] must be a string or a number/);
    assertEquals(server.stats.requests, requests);
    assertEquals(await snapshot(lake), before);
  });
});
