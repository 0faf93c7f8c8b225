/**
 * The fuzz test (issue #10, "How it is judged"): fast-check generates
 * records (edge values, 0..2,000 of them), a paging scheme and page size,
 * faults per page (error statuses with and without Retry-After, resets,
 * truncated and cut bodies, empty pages, lying totals) and SIGKILLs of a
 * child pull; the real engine pulls from a loopback API serving them. Every
 * case must end with the lake exactly the served records (DuckDB reads it
 * back, every field compared), or with a failure naming the page; never
 * "ok" with fewer or altered rows, never endless.
 *
 * Replay or widen with `INLET_FUZZ_SEED`, `INLET_FUZZ_RUNS` (in-process
 * cases), `INLET_FUZZ_KILL_RUNS` (kill cases), `INLET_FUZZ_SHRINK=1` to
 * shrink a failure to a minimal case (slow: each step is a pull), and
 * `INLET_FUZZ_PATH` (with the seed) to replay the one case a failure printed,
 * `INLET_FUZZ_EXCLUDE=big,truncate,...` to leave an edge out (to tell one
 * known defect's failures from another's).
 */
import fc from "fast-check";
import { caseArb, EXCLUDABLE, excludeFromCase } from "./_fuzz_case.ts";
import { openDuck } from "./_fuzz_oracle.ts";
import { runInProcess, runWithKills } from "./_fuzz_run.ts";

const env = (name: string, fallback: number) => {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? fallback : Number(v);
};

const SEED = env("INLET_FUZZ_SEED", 20_260_410);
const RUNS = env("INLET_FUZZ_RUNS", 25);
const KILL_RUNS = env("INLET_FUZZ_KILL_RUNS", 3);
const SHRINK = Deno.env.get("INLET_FUZZ_SHRINK") === "1";
const EXCLUDE = (Deno.env.get("INLET_FUZZ_EXCLUDE") ?? "").split(",")
  .filter((x) => x !== "");
for (const x of EXCLUDE) {
  if (!(EXCLUDABLE as readonly string[]).includes(x)) {
    throw new RangeError(
      `INLET_FUZZ_EXCLUDE: unknown "${x}"; known: ${EXCLUDABLE.join(", ")}`,
    );
  }
}
const cases = (maxRecords?: number) =>
  caseArb(maxRecords).map((c) => excludeFromCase(c, EXCLUDE));

const PATH = Deno.env.get("INLET_FUZZ_PATH");
const params = (numRuns: number): fc.Parameters<unknown> => ({
  seed: SEED,
  numRuns,
  endOnFailure: !SHRINK,
  // Replays one case: the `path` a failure prints.
  ...(PATH ? { path: PATH } : {}),
});

Deno.test("fuzz: pull() ends exact or fails naming the page, whatever the pages and faults", async () => {
  using duck = await openDuck();
  await fc.assert(
    fc.asyncProperty(cases(), (c) => runInProcess(duck.query, c)),
    params(RUNS),
  );
});

Deno.test("fuzz: a child pull killed by SIGKILL at the n-th request, then resumed, ends exact", async () => {
  using duck = await openDuck();
  const arb = fc.tuple(
    cases(400),
    // Fractions of the pages (doubles would crowd at 0 and 1).
    fc.array(fc.integer({ min: 0, max: 99 }).map((k) => k / 100), {
      minLength: 1,
      maxLength: 2,
    }),
  );
  await fc.assert(
    fc.asyncProperty(arb, ([c, kills]) => runWithKills(duck.query, c, kills)),
    params(KILL_RUNS),
  );
});
