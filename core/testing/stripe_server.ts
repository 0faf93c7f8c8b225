/**
 * A local server that speaks the Stripe API (`https://api.stripe.com/v1`)
 * for the list endpoints the `stripe` connector reads, as Stripe documents
 * them:
 *
 * - `GET /v1/charges`, `GET /v1/customers`: a list object
 *   `{ object: "list", data, has_more, url }`, newest first by `created`;
 *   `limit` (10 by default, 1 to 100), `starting_after` / `ending_before`
 *   (an object id; not both), `created` as an exact value or
 *   `created[gt]`, `[gte]`, `[lt]`, `[lte]` (unix seconds). A parameter Stripe
 *   does not know is refused: `Received unknown parameter: ...`.
 * - Auth: `Authorization: Bearer sk_test_...` (or Basic with the key as the
 *   user name). None, or a wrong key: 401 with Stripe's error body
 *   `{"error":{"type":"invalid_request_error","message":...}}`, the key
 *   shown masked as Stripe does.
 * - Errors: 400 `invalid_request_error` (with `param`), 404 `resource_missing`
 *   for an unknown cursor id, injected 5xx as `api_error` and 429 as
 *   `rate_limit`. Every answer has a `request-id` header.
 *
 * Objects are generated from their position: object `i` (1 = oldest) is
 * created at `start + floor(i / 3) * 97`, so three objects share each
 * `created` second (partition edges must hold all three).
 *
 * @module
 */

import { json, type LocalServer, serveLocal } from "./_serve.ts";

/**
 * A failure the server injects: requests whose path and query contain `path`
 * get `status` (`times` of them, every one when omitted), with the body
 * Stripe sends for it: `rate_limit` for 429, `api_error` for a 5xx,
 * `invalid_request_error` for another 4xx.
 */
export interface StripeFault {
  /** Substring of path + query to match. */
  path: string;
  /** An HTTP error status, 400 to 599. */
  status: number;
  /** How many matching requests fail. @default Infinity */
  times?: number;
}

/**
 * How the Stripe server behaves.
 *
 * @example
 * ```ts
 * import type { StripeServerOptions } from "./stripe_server.ts";
 * const options: StripeServerOptions = { charges: 500, customers: 80, apiKey: "sk_test_abc" };
 * ```
 */
export interface StripeServerOptions {
  /** Charges served. @default {250} */
  charges?: number;
  /** Customers served. @default {120} */
  customers?: number;
  /** The one valid secret key; omitted, any key starting `sk_test_` is valid. */
  apiKey?: string;
  /** `created` of the oldest objects, unix seconds. @default {1704067200} (2024-01-01) */
  start?: number;
  /** Failures to inject. @default [] */
  faults?: StripeFault[];
}

/**
 * A running Stripe server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startStripeServer } from "./stripe_server.ts";
 * await using stripe = startStripeServer({ charges: 5, apiKey: "sk_test_x" });
 * const res = await fetch(`${stripe.baseUrl}/charges`, {
 *   headers: { authorization: "Bearer sk_test_x" },
 * });
 * assert.equal((await res.json()).data.length, 5);
 * assert.equal(stripe.createdOf(3), 1704067200 + 97);
 * ```
 */
export interface StripeServer extends LocalServer {
  /** The API root to use as a base URL: `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  /** `created` of object `i` (1 = oldest). */
  createdOf(i: number): number;
}

const KINDS = {
  charges: { prefix: "ch_", noun: "charge" },
  customers: { prefix: "cus_", noun: "customer" },
} as const;
type Kind = keyof typeof KINDS;

const COMMON_PARAMS = [
  "limit",
  "starting_after",
  "ending_before",
  "created",
  "created[gt]",
  "created[gte]",
  "created[lt]",
  "created[lte]",
  "expand[]",
];
const PARAMS: Record<Kind, string[]> = {
  charges: [...COMMON_PARAMS, "customer", "payment_intent", "transfer_group"],
  customers: [...COMMON_PARAMS, "email", "test_clock"],
};

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// 24 characters that look like a Stripe id and are the same every run.
function stripeId(prefix: string, i: number): string {
  let h = (0x9e3779b9 ^ Math.imul(i, 0x85ebca6b) ^ prefix.length) >>> 0;
  let out = "";
  for (let k = 0; k < 24; k++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    out += ALNUM[(h >>> 0) % 62];
  }
  return prefix + out;
}

class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

function invalid(message: string, param?: string, code?: string): StripeError {
  return new StripeError(400, {
    ...(code ? { code } : {}),
    message,
    ...(param ? { param } : {}),
    type: "invalid_request_error",
  });
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw)) {
    throw invalid(`Invalid integer: ${raw}`, name, "parameter_invalid_integer");
  }
  return Number(raw);
}

function mask(key: string): string {
  const i = key.startsWith("sk_") ? key.indexOf("_", 3) + 1 : 0;
  return `${key.slice(0, i)}${"*".repeat(Math.max(4, key.length - i - 4))}${
    key.slice(-4)
  }`;
}

/**
 * Start a Stripe API server on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startStripeServer } from "./stripe_server.ts";
 * const stripe = startStripeServer({ charges: 25, apiKey: "sk_test_123" });
 * const auth = { headers: { authorization: "Bearer sk_test_123" } };
 * try {
 *   const first = await (await fetch(`${stripe.baseUrl}/charges?limit=10`, auth)).json();
 *   assert.equal(first.object, "list");
 *   assert.equal(first.has_more, true);
 *   assert.ok(first.data[0].created >= first.data[9].created);
 *   const last = first.data[9].id;
 *   const next = await (await fetch(`${stripe.baseUrl}/charges?limit=10&starting_after=${last}`, auth)).json();
 *   assert.equal(next.data.length, 10);
 *   const denied = await fetch(`${stripe.baseUrl}/charges`);
 *   assert.equal(denied.status, 401);
 *   assert.equal((await denied.json()).error.type, "invalid_request_error");
 * } finally {
 *   await stripe.close();
 * }
 * ```
 */
export function startStripeServer(
  options: StripeServerOptions = {},
): StripeServer {
  const counts: Record<Kind, number> = {
    charges: options.charges ?? 250,
    customers: options.customers ?? 120,
  };
  for (const [k, n] of Object.entries(counts)) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`${k} must be an integer >= 0, got ${n}`);
    }
  }
  const start = options.start ?? 1704067200;
  const createdOf = (i: number) => start + Math.floor(i / 3) * 97;
  const ids: Record<Kind, Map<string, number>> = {
    charges: new Map(),
    customers: new Map(),
  };
  for (const kind of Object.keys(KINDS) as Kind[]) {
    for (let i = 1; i <= counts[kind]; i++) {
      ids[kind].set(stripeId(KINDS[kind].prefix, i), i);
    }
    if (ids[kind].size !== counts[kind]) {
      throw new Error(`duplicate generated ${kind} id`);
    }
  }
  for (const [i, f] of (options.faults ?? []).entries()) {
    if (!(Number.isInteger(f.status) && f.status >= 400 && f.status <= 599)) {
      throw new RangeError(
        `faults[${i}].status must be 400 to 599, got ${f.status}`,
      );
    }
  }
  const faults = (options.faults ?? []).map((f) => ({
    ...f,
    left: f.times ?? Infinity,
  }));

  function object(kind: Kind, i: number): Record<string, unknown> {
    const id = stripeId(KINDS[kind].prefix, i);
    const created = createdOf(i);
    if (kind === "customers") {
      return {
        id,
        object: "customer",
        address: null,
        balance: 0,
        created,
        currency: i % 4 === 0 ? null : "usd",
        default_source: null,
        delinquent: false,
        description: null,
        email: `customer${i}@example.com`,
        invoice_prefix: id.slice(4, 12).toUpperCase(),
        livemode: false,
        metadata: { n: String(i) },
        name: `Customer ${i}`,
        phone: null,
        tax_exempt: "none",
      };
    }
    const amount = 500 + (i * 137) % 10_000;
    const refunded = i % 10 === 0;
    const customers = counts.customers;
    return {
      id,
      object: "charge",
      amount,
      amount_captured: amount,
      amount_refunded: refunded ? amount : 0,
      balance_transaction: stripeId("txn_", i),
      captured: true,
      created,
      currency: "usd",
      customer: customers > 0 ? stripeId("cus_", 1 + i % customers) : null,
      description: `Charge ${i}`,
      livemode: false,
      metadata: {},
      paid: i % 13 !== 0,
      payment_method_details: {
        type: "card",
        card: { brand: "visa", last4: "4242" },
      },
      refunded,
      status: i % 13 === 0 ? "failed" : "succeeded",
    };
  }

  function list(kind: Kind, q: URLSearchParams): Record<string, unknown> {
    for (const name of q.keys()) {
      if (!PARAMS[kind].includes(name)) {
        throw invalid(
          `Received unknown parameter: ${name}`,
          name,
          "parameter_unknown",
        );
      }
    }
    const limit = intParam(q, "limit") ?? 10;
    if (limit < 1) {
      throw invalid("This value must be greater than or equal to 1.", "limit");
    }
    if (limit > 100) {
      throw invalid("This value must be less than or equal to 100.", "limit");
    }
    let gte = -Infinity, lt = Infinity;
    const exact = intParam(q, "created");
    if (exact !== undefined) [gte, lt] = [exact, exact + 1];
    const bound = (name: string, f: (v: number) => void) => {
      const v = intParam(q, name);
      if (v !== undefined) f(v);
    };
    bound("created[gte]", (v) => gte = Math.max(gte, v));
    bound("created[gt]", (v) => gte = Math.max(gte, v + 1));
    bound("created[lt]", (v) => lt = Math.min(lt, v));
    bound("created[lte]", (v) => lt = Math.min(lt, v + 1));
    const after = q.get("starting_after");
    const before = q.get("ending_before");
    if (after !== null && before !== null) {
      throw invalid(
        "You may only specify one of these parameters: ending_before, starting_after.",
      );
    }
    const position = (param: string, id: string) => {
      const i = ids[kind].get(id);
      if (i === undefined) {
        throw new StripeError(404, {
          code: "resource_missing",
          doc_url: "https://stripe.com/docs/error-codes/resource-missing",
          message: `No such ${KINDS[kind].noun}: '${id}'`,
          param,
          type: "invalid_request_error",
        });
      }
      return i;
    };
    // Newest first: created descending, and position descending within a second.
    const matching: number[] = [];
    for (let i = counts[kind]; i >= 1; i--) {
      const c = createdOf(i);
      if (c >= gte && c < lt) matching.push(i);
    }
    let page: number[], hasMore: boolean;
    if (before !== null) {
      const b = position("ending_before", before);
      const newer = matching.filter((i) => i > b);
      page = newer.slice(-limit);
      hasMore = newer.length > limit;
    } else {
      const a = after === null ? Infinity : position("starting_after", after);
      const older = matching.filter((i) => i < a);
      page = older.slice(0, limit);
      hasMore = older.length > limit;
    }
    return {
      object: "list",
      data: page.map((i) => object(kind, i)),
      has_more: hasMore,
      url: `/v1/${kind}`,
    };
  }

  function authError(req: Request): StripeError | undefined {
    const header = req.headers.get("authorization");
    let key: string | undefined;
    if (header !== null) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(header);
      const basic = /^Basic\s+(\S+)$/i.exec(header);
      if (bearer) key = bearer[1];
      else if (basic) {
        try {
          key = atob(basic[1]!).split(":")[0];
        } catch {
          key = undefined;
        }
      }
    }
    if (key === undefined || key === "") {
      return new StripeError(401, {
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        type: "invalid_request_error",
      });
    }
    const valid = options.apiKey === undefined
      ? key.startsWith("sk_test_")
      : key === options.apiKey;
    if (!valid) {
      return new StripeError(401, {
        message: `Invalid API Key provided: ${mask(key)}`,
        type: "invalid_request_error",
      });
    }
    return undefined;
  }

  const server = serveLocal((req, url) => {
    const headers = {
      "request-id": `req_${
        stripeId("", Math.floor(Math.random() * 1e9)).slice(0, 14)
      }`,
      "stripe-version": "2024-06-20",
    };
    try {
      const denied = authError(req);
      if (denied) throw denied;
      const target = url.pathname + url.search;
      const fault = faults.find((f) => f.left > 0 && target.includes(f.path));
      if (fault) {
        fault.left--;
        throw new StripeError(
          fault.status,
          fault.status === 429
            ? {
              code: "rate_limit",
              message:
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
              type: "invalid_request_error",
            }
            : fault.status >= 500
            ? { message: "An unknown error occurred", type: "api_error" }
            : {
              message: "Invalid request (injected)",
              type: "invalid_request_error",
            },
        );
      }
      const m = /^\/v1\/(charges|customers)\/?$/.exec(url.pathname);
      if (req.method !== "GET" || !m) {
        throw new StripeError(404, {
          message:
            `Unrecognized request URL (${req.method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
          type: "invalid_request_error",
        });
      }
      return json(200, list(m[1] as Kind, url.searchParams), headers);
    } catch (err) {
      if (!(err instanceof StripeError)) throw err;
      return json(err.status, { error: err.body }, headers);
    }
  });
  return { ...server, baseUrl: `${server.url}/v1`, createdOf };
}
