/**
 * Progress points a crash test kills a CLI child at, made exact: with
 * `INLET_CRASH_HOLD` set, each stream of the child stops at one point of its
 * progress in the local lake, prints a `{"type":"crash_hold"}` line on stderr and waits there for
 * the SIGKILL. A kill that only follows an event would race the child: the
 * moment a file is written lasts well under a millisecond before its commit
 * is made, so such a kill almost never lands there.
 *
 * The points (`INLET_CRASH_HOLD`):
 * - `open`: the run's first data file is being created (records arrived,
 *   nothing of this run is committed);
 * - `between:<n>`: this run's n-th commit that adds data files is
 *   complete, the version hint names it, and the next one not begun;
 * - `staged:<n>`: the files of the n-th such commit (data, deletes,
 *   manifests) are written, and its table metadata version is not;
 * - `hinting:<n>`: the n-th such metadata version is created (committed),
 *   the version hint does not name it yet.
 *
 * @module
 */
import { LocalStorage } from "../../../core/lake/local_storage.ts";

/** Where a child's streams hold; parsed from `INLET_CRASH_HOLD`. */
export type HoldPoint =
  | { at: "open" }
  | { at: "between" | "staged" | "hinting"; commit: number };

/**
 * The hold point `text` names (`open`, `between:1`, `staged:2`, `hinting:1`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHold } from "./_crash_hold.ts";
 * assert.deepEqual(parseHold("staged:2"), { at: "staged", commit: 2 });
 * assert.deepEqual(parseHold("open"), { at: "open" });
 * ```
 */
export function parseHold(text: string): HoldPoint {
  if (text === "open") return { at: "open" };
  const m = /^(between|staged|hinting):([1-9]\d*)$/.exec(text);
  if (m === null) {
    throw new TypeError(
      `Cannot hold at "${text}": use open, between:<n>, staged:<n> or hinting:<n>`,
    );
  }
  return {
    at: m[1] as "between" | "staged" | "hinting",
    commit: Number(m[2]),
  };
}

/** Print the hold event, then never settle: the test kills us here. */
function hold(stream: string, point: string, path: string): Promise<never> {
  const line = JSON.stringify({
    at: new Date().toISOString(),
    type: "crash_hold",
    stream,
    point,
    path,
  });
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
  // A pending promise alone would let the process exit; the timer keeps it
  // alive for the parent's SIGKILL, and ends it if that never comes (a
  // test runner that died must not leave it behind).
  return new Promise(() =>
    setTimeout(() => {
      Deno.stderr.writeSync(new TextEncoder().encode(
        `Cannot hold at ${point} of "${stream}" any longer: no SIGKILL came\n`,
      ));
      Deno.exit(70);
    }, HOLD_MS)
  );
}

/** How long a child holds before it gives up on its kill. */
const HOLD_MS = 180_000;

const ENTRY = /^([^/]+\/[^/]+)\/metadata\/v\d+\.metadata\.json$/;
const HINT = /^([^/]+\/[^/]+)\/metadata\/version-hint\.text$/;
const STAGED = /^([^/]+\/[^/]+)\/data\//;

/** Whether a metadata file's bytes commit data files (a state-only or held commit adds none). */
function addsData(data: Uint8Array): boolean {
  const m = JSON.parse(new TextDecoder().decode(data));
  const s = m.snapshots.find((s: { "snapshot-id": number }) =>
    s["snapshot-id"] === m["current-snapshot-id"]
  );
  return Number(s?.summary?.["added-data-files"] ?? 0) > 0;
}

/** Where one stream is. */
interface StreamProgress {
  opened: boolean;
  commits: number;
  /** The commit to hold after (between) or at its hint (hinting) is made. */
  awaited?: boolean;
}

/**
 * Make every {@linkcode LocalStorage} of this process stop each stream at
 * `point`, counting its commits that add data files. Only for a test child:
 * it changes the class for the whole process.
 */
export function installHold(point: HoldPoint): void {
  const proto = LocalStorage.prototype;
  const { create, putIfAbsent, put } = proto;
  const progress = new Map<string, StreamProgress>();
  const of = (stream: string) => {
    let p = progress.get(stream);
    if (!p) progress.set(stream, p = { opened: false, commits: 0 });
    return p;
  };
  proto.create = function (path) {
    const stream = STAGED.exec(path)?.[1];
    if (stream !== undefined && point.at === "open" && !of(stream).opened) {
      of(stream).opened = true;
      return hold(stream, "open", path);
    }
    return create.call(this, path);
  };
  proto.putIfAbsent = async function (path, data) {
    const stream = ENTRY.exec(path)?.[1];
    if (stream === undefined || !addsData(data)) {
      return await putIfAbsent.call(this, path, data);
    }
    const p = of(stream);
    const nth = point.at === "open" ? 0 : point.commit;
    const at = ++p.commits === nth ? point.at : undefined;
    if (at === "staged") return await hold(stream, `staged:${p.commits}`, path);
    const written = await putIfAbsent.call(this, path, data);
    if (at === "between" || at === "hinting") p.awaited = true;
    return written;
  };
  proto.put = async function (path, data) {
    const stream = HINT.exec(path)?.[1];
    const p = stream === undefined ? undefined : progress.get(stream);
    if (!p?.awaited) return await put.call(this, path, data);
    if (point.at === "hinting") {
      return await hold(stream!, `hinting:${p.commits}`, path);
    }
    await put.call(this, path, data);
    // The commit is made and the hint names it: between commits.
    await hold(stream!, `between:${p.commits}`, path);
  };
}
