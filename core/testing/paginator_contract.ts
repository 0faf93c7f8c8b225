/**
 * The contract every paginator keeps, built in or written for a plugin
 * ({@linkcode assertPaginator}): what the engine relies on when it drives
 * one, checked without a server.
 *
 * @module
 */

import { AssertionError, deepStrictEqual } from "node:assert";
import { PaginationError } from "../connector/errors.ts";
import type {
  Next,
  PageRequest,
  PageResponse,
  Paginator,
} from "../connector/types.ts";

const NEXT_TYPES = ["done", "next", "fanout", "window"];

function fail(at: string, message: string): never {
  throw new AssertionError({ message: `${at}: ${message}` });
}

/**
 * A request as the engine can use and store it: its index, string query
 * parameters, and nothing a checkpoint (JSON, in the lake) would lose.
 */
function checkRequest(at: string, what: string, req: PageRequest): void {
  if (typeof req !== "object" || req === null) {
    fail(at, `${what} is not a request object (got ${String(req)})`);
  }
  if (!Number.isSafeInteger(req.index) || req.index < 0) {
    fail(at, `${what} has no index >= 0 (got ${String(req.index)})`);
  }
  for (const [k, v] of Object.entries(req.params ?? {})) {
    if (typeof v !== "string") {
      fail(at, `${what}: param "${k}" is a ${typeof v}; params are strings`);
    }
  }
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(req));
  } catch (err) {
    fail(at, `${what} is not JSON (${(err as Error).message})`);
  }
  try {
    deepStrictEqual(copy, req);
  } catch {
    fail(
      at,
      `${what} changes through JSON, so a checkpoint would not resume it: ${
        JSON.stringify(req)
      }`,
    );
  }
}

/** The page a source with no records answers to `req`. */
function emptyPage(req: PageRequest): PageResponse {
  return {
    request: req,
    url: "http://127.0.0.1:9/contract",
    status: 200,
    headers: new Headers(),
    body: {},
    records: [],
  };
}

/** What `next()` makes of an empty page: its plan, or `undefined` when it refused the page loudly. */
function nextOfEmpty(
  at: string,
  p: Paginator,
  req: PageRequest,
): Next | undefined {
  try {
    return p.next(emptyPage(req), {});
  } catch (err) {
    // Refusing a page it cannot read, naming it, is what a paginator must do.
    if (err instanceof PaginationError) return undefined;
    fail(
      at,
      `next() on an empty page threw ${
        (err as Error)?.name ?? String(err)
      } instead of ending or throwing a PaginationError: ${
        (err as Error)?.message ?? String(err)
      }`,
    );
  }
}

function checkPlan(at: string, first: PageRequest, next: Next): void {
  if (!NEXT_TYPES.includes(next?.type)) {
    fail(
      at,
      `next() returned type ${JSON.stringify(next?.type)}; one of ${
        NEXT_TYPES.join(", ")
      }`,
    );
  }
  if (next.type === "next") {
    checkRequest(at, "the request after an empty page", next.request);
    if (next.request.index !== first.index + 1) {
      fail(
        at,
        `the request after page ${first.index} has index ${next.request.index}; want ${
          first.index + 1
        }`,
      );
    }
    const { index: _a, ...again } = next.request;
    const { index: _b, ...was } = first;
    try {
      deepStrictEqual(again, was);
    } catch {
      return;
    }
    fail(
      at,
      "an empty page leads to the same request again: the stream would never end",
    );
  }
  if (next.type === "window" && typeof next.isLast !== "function") {
    fail(at, "a window plan needs isLast(), or it never ends");
  }
  if (next.type === "fanout" || next.type === "window") {
    firstOf(next.requests, 3).forEach((r, n) =>
      checkRequest(at, `planned request ${n}`, r)
    );
  }
}

// A window plan may go on for ever: only its head is looked at.
function firstOf<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= n) break;
    out.push(item);
  }
  return out;
}

/**
 * Check that `paginator` keeps the contract the engine relies on; throws an
 * `AssertionError` naming `at` and the broken rule. What it checks:
 *
 * - it has a `type` (a non-empty string, used in messages) and `first()` and
 *   `next()` functions;
 * - `first()` returns a request with index 0, with and without a
 *   `ctx.limit`, the same each time (pure), whose params are strings and
 *   which survives JSON (checkpoints store the next request in the lake);
 * - `next()` on an empty page answering the first request ends (`done`),
 *   plans requests, or throws a `PaginationError`; any other error fails
 *   the check (a paginator must fail loudly and by name, not by accident);
 * - a `next` request after an empty page has the following index and is not
 *   the same request again (a stream that never ends);
 * - `next()` is pure: the same page gives the same answer twice, and the
 *   page is left as it was.
 *
 * It cannot check that a paginator reaches every record: pull it against a
 * server that speaks its API for that ({@linkcode pullForTest}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertPaginator } from "./paginator_contract.ts";
 * import type { Paginator } from "../connector/types.ts";
 * const couchKeyset: Paginator = {
 *   type: "couch-keyset",
 *   first: () => ({ index: 0, params: { limit: "50" } }),
 *   next: (page) => {
 *     const last = page.records.at(-1);
 *     if (page.records.length < 50 || last === undefined) return { type: "done" };
 *     return {
 *       type: "next",
 *       request: {
 *         index: page.request.index + 1,
 *         params: { limit: "50", startkey: JSON.stringify(last.id), skip: "1" },
 *       },
 *     };
 *   },
 * };
 * assertPaginator(couchKeyset, "couch/docs");
 * let calls = 0;
 * const impure: Paginator = { ...couchKeyset, first: () => ({ index: 0, params: { n: String(calls++) } }) };
 * assert.throws(() => assertPaginator(impure, "x/y"), /first\(\) is not pure/);
 * ```
 */
export function assertPaginator(paginator: Paginator, at: string): void {
  const p = paginator as Partial<Paginator> | undefined;
  if (typeof p !== "object" || p === null) {
    fail(at, "paginator is not an object");
  }
  if (typeof p.type !== "string" || p.type === "") {
    fail(at, "paginator has no type (a short name used in messages)");
  }
  if (typeof p.first !== "function" || typeof p.next !== "function") {
    fail(at, "paginator needs first() and next() functions");
  }
  const first = paginator.first({});
  checkRequest(at, "first()", first);
  if (first.index !== 0) fail(at, `first() has index ${first.index}; want 0`);
  try {
    deepStrictEqual(paginator.first({}), first);
  } catch {
    fail(at, "first() is not pure: it answered differently the second time");
  }
  const limited = paginator.first({ limit: 1 });
  checkRequest(at, "first({ limit: 1 })", limited);
  if (limited.index !== 0) fail(at, "first({ limit: 1 }) must have index 0");

  const before = JSON.stringify(first);
  const next = nextOfEmpty(at, paginator, first);
  if (JSON.stringify(first) !== before) {
    fail(at, "next() changed the page's request; a paginator must not mutate");
  }
  if (next === undefined) return;
  checkPlan(at, first, next);
  const again = nextOfEmpty(at, paginator, first);
  const shape = (n: Next | undefined) =>
    n && (n.type === "fanout" || n.type === "window")
      ? { type: n.type, requests: firstOf(n.requests, 3) }
      : n;
  try {
    deepStrictEqual(shape(again), shape(next));
  } catch {
    fail(at, "next() is not pure: the same page gave a different answer");
  }
}
