/**
 * The test API's data set: records generated from their id on demand, plus
 * the few patches tests apply, so a million records cost no memory.
 *
 * @module
 */

/** 2024-01-01T00:00:00Z in milliseconds: `created_at` of id 0. */
export const BASE_MS = Date.UTC(2024, 0, 1);
/** 2024-01-01T00:00:00Z in unix seconds: base of Stripe's `created`. */
export const BASE_S = BASE_MS / 1000;
const MINUTE = 60_000;

/** Stripe-style `created` of a record: three ids share each second. */
export function createdOf(id: number): number {
  return BASE_S + Math.floor(id / 3);
}

/** Ids whose `created` lies in `[gte, lt)` (unix seconds), clipped to `1..count`. */
export function idsCreatedIn(
  gte: number,
  lt: number,
  count: number,
): { lo: number; hi: number } {
  // created >= a  <=>  floor(id / 3) >= a - B  <=>  id >= 3 (a - B)
  const lo = Math.max(1, 3 * (gte - BASE_S));
  const hi = Math.min(count, 3 * (lt - BASE_S) - 1);
  return { lo, hi };
}

// toISOString was a tenth of the server's CPU under load; every timestamp
// here falls on a whole minute, so build it from a cached date per day.
const dayPrefixes: string[] = [];
const DAY_MINUTES = 1440;

/** ISO timestamp of `minutes` after BASE_MS, e.g. `2024-01-01T00:05:00.000Z`. */
export function isoMinutes(minutes: number): string {
  const day = Math.floor(minutes / DAY_MINUTES);
  let prefix = dayPrefixes[day];
  if (prefix === undefined) {
    prefix = new Date(BASE_MS + day * DAY_MINUTES * MINUTE).toISOString().slice(
      0,
      11,
    );
    dayPrefixes[day] = prefix;
  }
  const rest = minutes - day * DAY_MINUTES;
  const h = Math.floor(rest / 60);
  const m = rest % 60;
  return `${prefix}${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}:00.000Z`;
}

function tagsOf(id: number): string[] {
  // Lists of varying length (never empty) exercise list columns.
  return id % 5 === 0 ? [`t${id % 3}`, "five"] : [`t${id % 3}`];
}

/** The record for `id` before any patch, as a plain object. */
export function baseRecord(id: number): Record<string, unknown> {
  const created = isoMinutes(id);
  return {
    id,
    name: `item-${id}`,
    score: id * 1.5,
    active: id % 2 === 0,
    created_at: created,
    updated_at: created,
    tags: tagsOf(id),
    meta: { rank: id % 10, source: "api" },
  };
}

// Same text as JSON.stringify(baseRecord(id)) (a test pins that), built
// without an intermediate object because this runs ~100k times a second.
function baseJson(id: number, created?: number): string {
  const at = isoMinutes(id);
  const tags = id % 5 === 0 ? `["t${id % 3}","five"]` : `["t${id % 3}"]`;
  const stripe = created === undefined ? "" : `,"created":${created}`;
  return `{"id":${id},"name":"item-${id}","score":${id * 1.5},"active":${
    id % 2 === 0
  },"created_at":"${at}","updated_at":"${at}","tags":${tags},"meta":{"rank":${
    id % 10
  },"source":"api"}${stripe}}`;
}

interface Patched {
  patch: Record<string, unknown>;
  updatedMs: number;
}

/**
 * Records `1..count`, generated on the fly; only patches are stored.
 * A patched record's `updated_at` comes from a logical clock that starts after
 * every `created_at`, so incremental tests see it as the newest change.
 */
export class RecordStore {
  readonly count: number;
  // Insertion order is bump order: a re-bumped id is deleted and re-added,
  // so iterating this map walks patched records by updated_at ascending.
  #patched = new Map<number, Patched>();
  #clock = 0;

  constructor(count: number) {
    this.count = count;
  }

  /** True when `id` is one of the records. */
  has(id: number): boolean {
    return Number.isInteger(id) && id >= 1 && id <= this.count;
  }

  /** The record `id` with its patches applied. */
  get(id: number): Record<string, unknown> {
    const rec = baseRecord(id);
    const p = this.#patched.get(id);
    if (p === undefined) return rec;
    return {
      ...rec,
      ...p.patch,
      id,
      updated_at: isoMinutes((p.updatedMs - BASE_MS) / MINUTE),
    };
  }

  /** JSON text of record `id`; `created` adds Stripe's field. */
  json(id: number, created?: number): string {
    if (!this.#patched.has(id)) return baseJson(id, created);
    const rec = this.get(id);
    if (created !== undefined) rec.created = created;
    return JSON.stringify(rec);
  }

  /** JSON array text of the records `ids`. */
  jsonList(ids: Iterable<number>, created = false): string {
    let out = "[";
    let first = true;
    for (const id of ids) {
      if (!first) out += ",";
      first = false;
      out += this.json(id, created ? createdOf(id) : undefined);
    }
    return out + "]";
  }

  /** Merge `patch` into record `id` and move its `updated_at` to "now". */
  update(id: number, patch: Record<string, unknown>): void {
    if (!this.has(id)) {
      throw new RangeError(
        `Cannot update record ${id}: ids run from 1 to ${this.count}`,
      );
    }
    this.#clock++;
    const old = this.#patched.get(id);
    this.#patched.delete(id);
    this.#patched.set(id, {
      patch: { ...old?.patch, ...patch },
      updatedMs: BASE_MS + (this.count + this.#clock) * MINUTE,
    });
  }

  /**
   * One page of the records whose `updated_at >= sinceMs`, ordered by
   * `updated_at` then id, and how many there are in all.
   */
  updatedSince(
    sinceMs: number,
    offset: number,
    limit: number,
  ): { ids: number[]; total: number } {
    // Unpatched records have updated_at = created_at, ascending with id and
    // older than every patched one: they come first, patched ones after.
    const lo = Math.max(1, Math.ceil((sinceMs - BASE_MS) / MINUTE));
    const patchedUpTo = (id: number): number => {
      let n = 0;
      for (const pid of this.#patched.keys()) if (pid >= lo && pid <= id) n++;
      return n;
    };
    const fresh = lo > this.count
      ? 0
      : this.count - lo + 1 - patchedUpTo(this.count);
    const recent: number[] = [];
    for (const [id, p] of this.#patched) {
      if (p.updatedMs >= sinceMs) recent.push(id);
    }
    const ids: number[] = [];
    if (offset < fresh) {
      // The offset-th unpatched id >= lo: the least fixed point of
      // id = lo + offset + (patched ids in [lo, id]).
      let id = lo + offset;
      for (;;) {
        const next = lo + offset + patchedUpTo(id);
        if (next === id) break;
        id = next;
      }
      for (; id <= this.count && ids.length < limit; id++) {
        if (!this.#patched.has(id)) ids.push(id);
      }
    }
    const skip = Math.max(0, offset - fresh);
    for (let i = skip; i < recent.length && ids.length < limit; i++) {
      ids.push(recent[i]!);
    }
    return { ids, total: fresh + recent.length };
  }
}
