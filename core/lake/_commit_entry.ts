/**
 * Reading one commit entry back: every field checked, and any doubt is an
 * error naming the file. A log that is skipped or guessed at could resume a
 * stream from the wrong state, which is worse than stopping.
 *
 * @module
 */
import { exactParse } from "../connector/exact_json.ts";
import { ConfigError } from "../connector/errors.ts";

/**
 * A data file listed by a commit entry.
 *
 * @example
 * ```ts
 * import type { CommitFile } from "./commit_log.ts";
 * const f: CommitFile = {
 *   path: "demo/items/20261124T041300.000Z-a1b2-000001.parquet",
 *   staged: "demo/items/_staging/20261124T041300.000Z-a1b2/part-1.parquet",
 *   records: 100,
 *   bytes: 2048,
 * };
 * ```
 */
export interface CommitFile {
  /** The final path, where readers find it. */
  path: string;
  /** Where it was written before the commit. */
  staged: string;
  /** Records in the file. */
  records: number;
  /** File size in bytes. */
  bytes: number;
  /**
   * Committed but kept in staging, invisible to readers, until a later
   * commit publishes it (a `replace` sweep swaps all its files in at once).
   */
  held?: true;
}

/**
 * One commit, as stored in `_log/<version>.json`.
 *
 * @example
 * ```ts
 * import type { CommitEntry } from "./commit_log.ts";
 * const e: CommitEntry = {
 *   version: 1,
 *   runId: "20261124T041300.000Z-a1b2",
 *   committedAt: "2026-11-24T04:13:05.000Z",
 *   add: [],
 *   remove: [],
 *   state: { cursor: "abc" },
 * };
 * ```
 */
export interface CommitEntry {
  /** 1, 2, 3, ... with no gap; the file name is this number padded to 20 digits. */
  version: number;
  /** The run that committed it. */
  runId: string;
  /** ISO-8601 UTC time of the commit. */
  committedAt: string;
  /** Files this commit made visible. */
  add: CommitFile[];
  /** Final paths of files this commit removed (a full refresh replaces them). */
  remove: string[];
  /** The stream's state after this commit (any JSON value). */
  state: unknown;
  /** Anything else the engine keeps with the commit (a schema, counters). */
  meta?: Record<string, unknown>;
}

/** The error for a log entry that cannot be trusted. */
export function corruptEntry(where: string, reason: string): ConfigError {
  return new ConfigError(
    `Corrupt commit log entry ${where}: ${reason}. The log is never skipped: restore the file, or remove it and every later entry to roll the stream back`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Where an entry is, and what it must hold. */
interface EntryContext {
  where: string;
  version: number;
  prefix: string;
  staging?: string;
}

/** Parse and check the entry stored at `where`, which must hold `version`. */
export function parseEntry(
  bytes: Uint8Array,
  ctx: EntryContext,
): CommitEntry {
  const fail = (reason: string) => corruptEntry(ctx.where, reason);
  const raw = parseHeader(bytes, ctx, fail);
  if (!Array.isArray(raw.add)) throw fail(`"add" must be an array`);
  const add: CommitFile[] = raw.add.map((f: unknown, i: number) =>
    parseFile(f, i, ctx, fail)
  );
  if (
    !Array.isArray(raw.remove) ||
    !raw.remove.every((r) => typeof r === "string")
  ) {
    throw fail(`"remove" must be an array of paths`);
  }
  for (const [i, r] of (raw.remove as string[]).entries()) {
    if (!isDataFile(r, ctx.prefix)) {
      throw fail(
        `"remove[${i}]" ${
          JSON.stringify(r)
        } is not a data file of ${ctx.prefix}`,
      );
    }
  }
  if (!("state" in raw)) throw fail(`"state" is missing`);
  if (raw.meta !== undefined && !isObject(raw.meta)) {
    throw fail(`"meta" must be an object`);
  }
  return {
    version: ctx.version,
    runId: raw.runId as string,
    committedAt: raw.committedAt as string,
    add,
    remove: raw.remove as string[],
    state: raw.state,
    ...(raw.meta === undefined
      ? {}
      : { meta: raw.meta as Record<string, unknown> }),
  };
}

/** The entry as JSON, its version, run and time checked. */
function parseHeader(
  bytes: Uint8Array,
  ctx: EntryContext,
  fail: (reason: string) => ConfigError,
): Record<string, unknown> {
  let raw: unknown;
  try {
    // Integers beyond 2^53 (a bigint cursor) come back exact, as bigints.
    raw = exactParse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes),
    );
  } catch (err) {
    throw fail(
      `not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (!isObject(raw)) throw fail("not a JSON object");
  if (raw.version !== ctx.version) {
    throw fail(
      `"version" is ${
        JSON.stringify(raw.version)
      } but the file name says ${ctx.version}`,
    );
  }
  if (typeof raw.runId !== "string" || raw.runId === "") {
    throw fail(`"runId" must be a string`);
  }
  if (
    typeof raw.committedAt !== "string" ||
    Number.isNaN(Date.parse(raw.committedAt))
  ) {
    throw fail(`"committedAt" must be an ISO-8601 time`);
  }
  return raw;
}

// Paths are checked, not trusted: recover() moves and deletes what they name.
function isDataFile(p: string, prefix: string): boolean {
  const dir = `${prefix}/`;
  const name = p.slice(dir.length);
  return p.startsWith(dir) && name !== "" && !name.includes("/") &&
    !name.startsWith("_") && name !== "." && name !== "..";
}

/** The entry's `add[i]`. */
function parseFile(
  f: unknown,
  i: number,
  ctx: EntryContext,
  fail: (reason: string) => ConfigError,
): CommitFile {
  const dir = `${ctx.prefix}/`;
  if (
    !isObject(f) || typeof f.path !== "string" ||
    typeof f.staged !== "string" ||
    !isCount(f.records) || !isCount(f.bytes)
  ) {
    throw fail(`"add[${i}]" must be {path, staged, records, bytes}`);
  }
  if (!isDataFile(f.path, ctx.prefix)) {
    throw fail(
      `"add[${i}].path" ${
        JSON.stringify(f.path)
      } is not a data file of ${ctx.prefix}`,
    );
  }
  if (
    !f.staged.startsWith(`${dir}${ctx.staging ?? "_staging"}/`) ||
    f.staged.split("/").some((seg) => seg === "" || seg === "." || seg === "..")
  ) {
    throw fail(
      `"add[${i}].staged" ${JSON.stringify(f.staged)} is not under ${dir}${
        ctx.staging ?? "_staging"
      }/`,
    );
  }
  return {
    path: f.path,
    staged: f.staged,
    records: f.records,
    bytes: f.bytes,
    ...(f.held === true ? { held: true as const } : {}),
  };
}
