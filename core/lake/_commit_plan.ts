/**
 * The files a commit adds: requested files checked, and each given its
 * final name. Names continue the run's sequence, so that they sort in
 * commit order and never collide (see `commit_log.ts`).
 *
 * @module
 */
import { basename, pad } from "./_paths.ts";
import type { CommitEntry, CommitFile } from "./_commit_entry.ts";
import type { CommitRequest } from "./commit_request.ts";

/** `.parquet`, `.ndjson.zst`: dot-separated suffixes that start with a letter. */
const EXTENSION = /(?:\.[A-Za-z][A-Za-z0-9]*)+$/;

/** The stream and run a commit is planned for. */
export interface PlanContext {
  /** The stream's folder, `"connector/stream"`. */
  prefix: string;
  /** The committing run. */
  runId: string;
  /** The run's staging folder, ending with `/`. */
  own: string;
  /** Files in the run's staging folder now. */
  staged: ReadonlySet<string>;
  /** The storage's root, for messages. */
  root: string;
}

/** A plan under way: its context, the files taken, and the final names. */
interface Plan {
  ctx: PlanContext;
  seen: Set<string>;
  finalName: (staged: string) => string;
}

/** The files `request` adds after `entries`, published held files first. */
export function planAdds(
  request: CommitRequest,
  entries: readonly CommitEntry[],
  ctx: PlanContext,
): CommitFile[] {
  const mine = `${ctx.prefix}/${ctx.runId}-`;
  let seq = lastSeq(entries, mine);
  const plan: Plan = {
    ctx,
    seen: new Set<string>(),
    finalName: (from) => {
      const ext = EXTENSION.exec(basename(from))?.[0] ?? "";
      seq++;
      return `${mine}${pad(seq, 6)}${ext}`;
    },
  };
  const held = heldFiles(entries);
  const published = (request.publish ?? []).map((from) =>
    publishFile(plan, held, from)
  );
  const hold = request.hold === true;
  return [
    ...published,
    ...request.add.map((f) => addFile(plan, f, hold)),
  ];
}

/** Final paths of the committed data files still live, in commit order. */
export function liveFiles(entries: readonly CommitEntry[]): Set<string> {
  const live = new Set<string>();
  for (const e of entries) {
    for (const f of e.add) if (!f.held) live.add(f.path);
    for (const r of e.remove) live.delete(r);
  }
  return live;
}

/** The highest sequence number among the files named `mine<seq>...`. */
function lastSeq(entries: readonly CommitEntry[], mine: string): number {
  let seq = 0;
  for (const e of entries) {
    for (const f of e.add) {
      if (f.path.startsWith(mine)) {
        seq = Math.max(
          seq,
          Number(/^(\d+)/.exec(f.path.slice(mine.length))?.[1] ?? 0),
        );
      }
    }
  }
  return seq;
}

/** Files held and not yet published, by staged path. */
function heldFiles(entries: readonly CommitEntry[]): Map<string, CommitFile> {
  const held = new Map<string, CommitFile>();
  for (const e of entries) {
    for (const f of e.add) {
      if (f.held) held.set(f.staged, f);
      else held.delete(f.staged);
    }
  }
  return held;
}

function publishFile(
  plan: Plan,
  held: ReadonlyMap<string, CommitFile>,
  from: string,
): CommitFile {
  const f = held.get(from);
  if (!f) {
    throw new TypeError(
      `Cannot publish ${
        JSON.stringify(from)
      } in "${plan.ctx.prefix}": no commit holds it`,
    );
  }
  if (plan.seen.has(from)) {
    throw new TypeError(`Cannot publish "${from}" twice`);
  }
  plan.seen.add(from);
  return {
    path: plan.finalName(from),
    staged: from,
    records: f.records,
    bytes: f.bytes,
  };
}

function addFile(
  plan: Plan,
  { staged: from, records, bytes }: CommitRequest["add"][number],
  hold: boolean,
): CommitFile {
  const { own, runId, prefix, staged, root } = plan.ctx;
  if (
    typeof from !== "string" || !from.startsWith(own) ||
    from.slice(own.length).includes("/")
  ) {
    throw new TypeError(
      `Cannot commit ${
        JSON.stringify(from)
      }: not a staged file of run ${runId} (use stagingPath())`,
    );
  }
  if (plan.seen.has(from)) {
    throw new TypeError(`Cannot commit "${from}" twice`);
  }
  plan.seen.add(from);
  for (const [what, n] of [["records", records], ["bytes", bytes]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new TypeError(
        `Cannot commit "${from}": ${what} must be a non-negative integer`,
      );
    }
  }
  if (!staged.has(from)) {
    throw new Error(
      `Cannot commit "${prefix}": staged file "${from}" is missing in ${root} (was it closed, or cleaned up by another run?)`,
    );
  }
  return {
    path: plan.finalName(from),
    staged: from,
    records,
    bytes,
    ...(hold ? { held: true as const } : {}),
  };
}
