/**
 * Generated fuzz cases: records with edge values (nulls, missing fields,
 * unicode, nested objects, integers above 2^53 as raw JSON text, empty
 * strings), a paging scheme and page size, and faults per page.
 *
 * Values are plain JSON values except integers beyond 2^53, which are
 * bigints (written as raw digits by {@linkcode recordText}).
 *
 * @module
 */
import fc from "fast-check";
import {
  FUZZ_PAGINGS,
  type FuzzBadPage,
  type FuzzFault,
  type FuzzPaging,
} from "../../../core/testing/fuzz_server.ts";

/** A record: `id` and generated fields (an absent field is not a key). */
export type FuzzRecord = Record<string, unknown>;

/** One generated case. */
export interface FuzzCase {
  paging: FuzzPaging;
  pageSize: number;
  records: FuzzRecord[];
  /** Faults by page number (see core/testing/fuzz_server.ts). */
  faults: Record<number, FuzzFault[]>;
  emptyPages: number[];
  /** Pages wrong on every attempt (see core/testing/fuzz_server.ts). */
  badPages: Record<number, FuzzBadPage>;
  totalExtra: number;
  format: "parquet" | "ndjson";
  /** Records per committed file. */
  fileRecords: number;
  concurrency: number | "auto";
}

const TWO_53 = 2n ** 53n;
const INT64_MAX = 2n ** 63n - 1n;

/** Integers above 2^53 in magnitude, within int64. */
const bigArb = fc.oneof(
  fc.bigInt({ min: TWO_53 + 1n, max: INT64_MAX }),
  fc.bigInt({ min: -INT64_MAX - 1n, max: -TWO_53 - 1n }),
  fc.constantFrom(TWO_53 + 1n, INT64_MAX, 12345678901234567891n % INT64_MAX),
);

const stringArb = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom(
    "",
    "null",
    "\u0000",
    "😀👍🏽",
    "e\u0301",
    "שלום",
    '\\"',
    "a\nb",
    "\u2028",
  ),
);

const scalarArb = fc.oneof(
  fc.maxSafeInteger(),
  bigArb,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  stringArb,
  fc.boolean(),
  fc.constant(null),
);

const nestedArb = fc.dictionary(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }),
  fc.oneof(
    { weight: 4, arbitrary: scalarArb },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.constantFrom("x", "ÿ"), scalarArb),
    },
  ),
  { maxKeys: 4 },
);

/** Column kinds: every value of a column is of its kind or null/absent. */
const KINDS = {
  int: fc.maxSafeInteger(),
  big: fc.oneof(bigArb, fc.integer()),
  float: fc.double({ noNaN: true, noDefaultInfinity: true }),
  string: stringArb,
  bool: fc.boolean(),
  nested: nestedArb,
  list: fc.array(stringArb, { maxLength: 3 }),
} as const;
type Kind = keyof typeof KINDS;

const ABSENT = Symbol("absent");

const columnsArb = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom("a", "b_c", "名前", "x y", "n2", "Δ"),
    kind: fc.constantFrom(...(Object.keys(KINDS) as Kind[])),
  }),
  { selector: (c) => c.name, maxLength: 4 },
);

function recordsArb(
  paging: FuzzPaging,
  n: number,
): fc.Arbitrary<FuzzRecord[]> {
  const keys = paging === "id_range"
    ? fc.constant(Array.from({ length: n }, (_, i) => i + 1))
    : fc.oneof(
      fc.uniqueArray(fc.integer({ min: -1e12, max: 1e12 }), {
        minLength: n,
        maxLength: n,
      }),
      fc.uniqueArray(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }),
        {
          minLength: n,
          maxLength: n,
        },
      ),
    );
  return fc.tuple(keys, columnsArb).chain(([ids, cols]) =>
    fc.array(
      fc.tuple(
        ...cols.map((c) =>
          fc.oneof(
            { weight: 6, arbitrary: KINDS[c.kind] as fc.Arbitrary<unknown> },
            { weight: 1, arbitrary: fc.constant(null) },
            { weight: 1, arbitrary: fc.constant(ABSENT) },
          )
        ),
      ),
      { minLength: n, maxLength: n },
    ).map((rows) =>
      rows.map((vals, i) => {
        const r: FuzzRecord = { id: ids[i] };
        cols.forEach((c, j) => {
          if (vals[j] !== ABSENT) r[c.name] = vals[j];
        });
        return r;
      })
    )
  );
}

const faultArb: fc.Arbitrary<FuzzFault> = fc.oneof(
  fc.record({
    type: fc.constant("status" as const),
    status: fc.constantFrom(429, 500, 502, 503, 504),
    retryAfter: fc.constantFrom("0", "0.01"),
  }),
  fc.record({
    type: fc.constant("status" as const),
    status: fc.constantFrom(429, 500, 503),
  }),
  fc.constant({ type: "reset" as const }),
  fc.constant({ type: "truncate" as const }),
  fc.constant({ type: "cut" as const }),
);

/** Pages of `n` records of `size` each, plus one past the end. */
const pageSpan = (paging: FuzzPaging, n: number, size: number) =>
  paging === "id_range" ? n + 1 : Math.ceil(n / size) + 1;

function faultsArb(paging: FuzzPaging, n: number, size: number) {
  const span = pageSpan(paging, n, size);
  return fc.array(
    fc.tuple(
      fc.nat({ max: span - 1 }),
      fc.array(faultArb, { minLength: 1, maxLength: 2 }),
    ),
    { maxLength: 4 },
  ).map((list) => {
    const out: Record<number, FuzzFault[]> = {};
    for (const [page, f] of list) {
      // A cut max id can still be a number: a wrong answer no client can see.
      const safe = paging === "id_range" && page === 0
        ? f.filter((x) => x.type !== "cut")
        : f;
      if (safe.length) out[page] = safe;
    }
    return out;
  });
}

/** Lying totals (offset_total, page_total): a little more, or absurdly more. */
function totalExtraArb(paging: FuzzPaging, size: number) {
  if (paging !== "offset_total" && paging !== "page_total") {
    return fc.constant(0);
  }
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 * size }) },
    { weight: 1, arbitrary: fc.constant(1e12) },
  );
}

/**
 * Empty pages where a client can tell: emptied pages under a total, inserted
 * empty pages in a chain. (Without a total an empty page means the end; no
 * client can tell it from one.)
 */
function emptyArb(paging: FuzzPaging, n: number, size: number) {
  const detectable = [
    "offset_total",
    "page_total",
    "cursor",
    "next_url",
    "link",
  ];
  if (!detectable.includes(paging)) return fc.constant([] as number[]);
  const span = Math.max(1, Math.ceil(n / size));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant([] as number[]) },
    {
      weight: 1,
      arbitrary: fc.uniqueArray(fc.nat({ max: span - 1 }), { maxLength: 2 }),
    },
  );
}

/** Pages the source gets wrong for good: rare, at most two a case. */
function badArb(paging: FuzzPaging, n: number, size: number) {
  const kinds: FuzzBadPage[] = paging === "id_range"
    // A null item is how Hacker News says "deleted"; an item is an object.
    ? ["no_key", "bad_utf8"]
    : ["null_records", "object_records", "no_key", "bad_utf8"];
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.dictionary(
        fc.nat({ max: pageSpan(paging, n, size) - 1 }).map(String),
        fc.constantFrom(...kinds),
        { maxKeys: 2 },
      ),
    },
  ) as fc.Arbitrary<Record<number, FuzzBadPage>>;
}

/** Record counts: mostly small, sometimes up to `max`. */
const countArb = (max: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 40 }) },
    { weight: 1, arbitrary: fc.integer({ min: Math.min(41, max), max }) },
  );

/**
 * A whole case. `maxRecords` bounds list paging; id ranges (one request per
 * record) get at most a tenth of it.
 */
export function caseArb(maxRecords = 2000): fc.Arbitrary<FuzzCase> {
  return fc.record({
    paging: fc.constantFrom(...FUZZ_PAGINGS),
    size: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 10 }) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 60 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }) },
    ),
  }).chain(({ paging, size }) =>
    countArb(paging === "id_range" ? Math.ceil(maxRecords / 10) : maxRecords)
      .chain((n) => {
        // At most ~100 pages a case, so a case stays fast.
        const pageSize = Math.max(size, Math.ceil(n / 100));
        return fc.record({
          paging: fc.constant(paging),
          pageSize: fc.constant(pageSize),
          records: recordsArb(paging, n),
          faults: faultsArb(paging, n, pageSize),
          emptyPages: emptyArb(paging, n, pageSize),
          badPages: badArb(paging, n, pageSize),
          totalExtra: totalExtraArb(paging, pageSize),
          format: fc.constantFrom("parquet" as const, "ndjson" as const),
          // At most ~20 files a case: each commit costs a few writes.
          fileRecords: fc.integer({ min: 1, max: 3000 }).map((k) =>
            Math.max(k, Math.ceil(n / 20))
          ),
          concurrency: fc.constantFrom<number | "auto">("auto", 1, 4),
        });
      })
  );
}

/**
 * A record as JSON text, bigints as raw digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordText } from "./_fuzz_case.ts";
 * assert.equal(recordText({ id: 9007199254740993n }), '{"id":9007199254740993}');
 * ```
 */
export function recordText(r: FuzzRecord): string {
  return JSON.stringify(
    r,
    (_k, v) =>
      typeof v === "bigint"
        ? (JSON as unknown as { rawJSON(s: string): unknown }).rawJSON(
          String(v),
        )
        : v,
  );
}

/**
 * True when a run of `c` must end "ok" with the exact records: every fault is
 * one a client mends by retrying (a status, a reset, a body cut short: a
 * proxy or a dropped connection, not the source's data) and no page lies.
 */
export function mustSucceed(c: FuzzCase): boolean {
  const lies = c.totalExtra !== 0 ||
    (c.emptyPages.length > 0 &&
      (c.paging === "offset_total" || c.paging === "page_total"));
  return !lies && Object.keys(c.badPages).length === 0;
}

/** A short description of a case, for failure messages. */
export function describeCase(c: FuzzCase): string {
  const { records, ...rest } = c;
  return `${JSON.stringify(rest)} with ${records.length} records, first: ${
    records[0] ? recordText(records[0]) : "none"
  }`;
}

/** What {@linkcode excludeFromCase} can take out of a case. */
export const EXCLUDABLE = [
  "big",
  "status",
  "reset",
  "truncate",
  "cut",
  "empty",
  "lying",
  "bad",
] as const;

function safeBig(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v % TWO_53);
  if (Array.isArray(v)) return v.map(safeBig);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, safeBig(x)]),
    );
  }
  return v;
}

/**
 * `c` without some of its edges (`INLET_FUZZ_EXCLUDE=big,truncate`): integers
 * beyond 2^53 folded into range, fault types dropped, no empty pages, no
 * lying total, no bad pages. For telling one known defect's failures from the others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { excludeFromCase, type FuzzCase } from "./_fuzz_case.ts";
 * const c: FuzzCase = {
 *   paging: "cursor", pageSize: 1, records: [{ id: 1, a: 2n ** 60n }],
 *   faults: { 0: [{ type: "reset" }] }, emptyPages: [], badPages: {}, totalExtra: 0,
 *   format: "parquet", fileRecords: 1, concurrency: 1,
 * };
 * const out = excludeFromCase(c, ["big", "reset"]);
 * assert.deepEqual(out.records, [{ id: 1, a: 0 }]);
 * assert.deepEqual(out.faults, {});
 * ```
 */
export function excludeFromCase(
  c: FuzzCase,
  exclude: readonly string[],
): FuzzCase {
  if (exclude.length === 0) return c;
  const faults: Record<number, FuzzFault[]> = {};
  for (const [page, list] of Object.entries(c.faults)) {
    const kept = list.filter((f) => !exclude.includes(f.type));
    if (kept.length) faults[Number(page)] = kept;
  }
  return {
    ...c,
    records: exclude.includes("big")
      ? c.records.map((r) => safeBig(r) as FuzzRecord)
      : c.records,
    faults,
    emptyPages: exclude.includes("empty") ? [] : c.emptyPages,
    badPages: exclude.includes("bad") ? {} : c.badPages,
    totalExtra: exclude.includes("lying") ? 0 : c.totalExtra,
  };
}
