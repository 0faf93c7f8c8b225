/**
 * Progress points a crash test kills a CLI child at, made exact: with
 * `INLET_CRASH_HOLD` set, each stream of the child stops at one point of its
 * progress in the local lake, prints a `{"type":"crash_hold"}` line on stderr and waits there for
 * the SIGKILL. A kill that only follows an event would race the child: the
 * moment a file is staged lasts well under a millisecond before its commit
 * entry is written, so such a kill almost never lands there.
 *
 * The points (`INLET_CRASH_HOLD`):
 * - `open`: the run's first staged file is being created (records arrived,
 *   nothing of this run is committed);
 * - `between:<n>`: this run's n-th commit that adds files is complete,
 *   its files moved, and the next one not begun;
 * - `staged:<n>`: the files of the n-th such commit are
 *   closed and staged, and its log entry is not written yet;
 * - `moving:<n>`: the n-th such entry is written, its files are not moved.
 *
 * @module
 */
import { LocalStorage } from "../../../core/lake/local_storage.ts";

/** Where a child's streams hold; parsed from `INLET_CRASH_HOLD`. */
export type HoldPoint =
  | { at: "open" }
  | { at: "between" | "staged" | "moving"; commit: number };

/**
 * The hold point `text` names (`open`, `between:1`, `staged:2`, `moving:1`).
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
  const m = /^(between|staged|moving):([1-9]\d*)$/.exec(text);
  if (m === null) {
    throw new TypeError(
      `Cannot hold at "${text}": use open, between:<n>, staged:<n> or moving:<n>`,
    );
  }
  return { at: m[1] as "between" | "staged" | "moving", commit: Number(m[2]) };
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

const ENTRY = /^([^/]+\/[^/]+)\/_log\/\d+\.json$/;
const STAGED = /^([^/]+\/[^/]+)\/_staging\//;

/** The files a commit entry's bytes move (a state-only entry adds none). */
function moves(data: Uint8Array): number {
  const entry = JSON.parse(new TextDecoder().decode(data));
  return (entry.add as Array<{ held?: boolean }>).filter((a) => !a.held)
    .length;
}

/** Where one stream is. */
interface StreamProgress {
  opened: boolean;
  commits: number;
  /** Moves of the commit to hold after (between) or at (moving). */
  awaited?: number;
}

/**
 * Make every {@linkcode LocalStorage} of this process stop each stream at
 * `point`, counting its commits that add files. Only for a test child: it
 * changes the class for the whole process.
 */
export function installHold(point: HoldPoint): void {
  const proto = LocalStorage.prototype;
  const { create, putIfAbsent, move } = proto;
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
    const n = stream === undefined ? 0 : moves(data);
    if (stream === undefined || n === 0) {
      return await putIfAbsent.call(this, path, data);
    }
    const p = of(stream);
    const nth = point.at === "open" ? 0 : point.commit;
    const at = ++p.commits === nth ? point.at : undefined;
    if (at === "staged") return await hold(stream, `staged:${p.commits}`, path);
    const written = await putIfAbsent.call(this, path, data);
    if (at === "between" || at === "moving") p.awaited = n;
    return written;
  };
  proto.move = async function (from, to) {
    const stream = STAGED.exec(from)?.[1];
    const p = stream === undefined ? undefined : progress.get(stream);
    if (p?.awaited === undefined) return await move.call(this, from, to);
    if (point.at === "moving") {
      return await hold(stream!, `moving:${p.commits}`, from);
    }
    await move.call(this, from, to);
    // The commit's last file is in place: the stream is between commits.
    if (--p.awaited === 0) await hold(stream!, `between:${p.commits}`, to);
  };
}
