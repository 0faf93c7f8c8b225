/**
 * Run with `--v8-flags=--expose-gc`: pages a fan-out of `PAGES` pages
 * through `paginate()` from an in-process fetcher, stalls while `STALLED`
 * pages wait in the pool, and forces young-generation GCs. Those GCs are
 * what teach V8 to allocate an object literal's objects in the old
 * generation. Then it takes the remaining pages and drops them.
 *
 * Prints `{"pages":n,"alive":k,"of":w}`: `k` is how many of the `w`
 * dropped pages' records arrays watched a young-generation GC could not
 * free. Any holder left in
 * the old generation (a dead page, pool entry or iterator result) keeps
 * them until the next full GC.
 *
 * @module
 */

import { newStreamStats, paginate } from "../../../core/paging/paginate.ts";
import { offsetPaginator } from "../../../core/paging/paginators.ts";
import type { JsonFetcher } from "../../../core/paging/stream_source.ts";
import type { HttpRequest } from "../../../core/http/http_request.ts";
import { JsonAnswer } from "../../../core/http/_json_answer.ts";

const PAGES = 30_000, PAGE = 5, STALLED = 600, STALL_AT = 20_000;

type Gc = (options: { type: "minor" | "major"; execution: "sync" }) => void;
const gc = (globalThis as { gc?: Gc }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const minorGc = () => gc({ type: "minor", execution: "sync" });

const text = (offset: number) =>
  JSON.stringify({
    total: PAGES * PAGE,
    items: Array.from({ length: PAGE }, (_, i) => ({
      id: offset + i,
      name: `item-${offset + i}`,
      tags: ["t"],
    })),
  });

const fetcher: JsonFetcher = {
  getJson(req: HttpRequest) {
    const offset = Number(new URL(req.url).searchParams.get("offset") ?? 0);
    // The client's own answer class: a literal here could be what holds
    // the page.
    const body = JSON.parse(text(offset));
    return Promise.resolve(
      new JsonAnswer(req.url, 200, new Headers(), body, 0),
    );
  },
};

const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

const pages = paginate({
  id: "probe/items",
  baseUrl: "http://127.0.0.1:1",
  stream: {
    path: "/items",
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator({ limit: PAGE, totalPath: "total" }),
  },
  http: fetcher,
  concurrency: STALLED,
  stats: newStreamStats(),
});

const refs: WeakRef<object>[] = [];
let taken = 0;
for await (const page of pages) {
  taken++;
  if (taken === STALL_AT) {
    // The stall: the pool fills while nothing is taken, and young GCs find
    // every page and entry made since the last one still alive.
    for (let i = 0; i < 5; i++) await macrotask();
    minorGc();
    minorGc();
    continue;
  }
  if (taken > STALL_AT + STALLED) refs.push(new WeakRef(page.records));
}
// WeakRef targets are held until the current job ends.
await macrotask();
minorGc();
minorGc();
await macrotask();
const alive = refs.filter((r) => r.deref() !== undefined).length;
console.log(JSON.stringify({ pages: taken, alive, of: refs.length }));
