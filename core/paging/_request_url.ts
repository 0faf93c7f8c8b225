/**
 * The URL of a page request: {@linkcode requestUrl}, its `{name}`
 * placeholders ({@linkcode fillTemplate}), and what state keeps of it
 * ({@linkcode withoutExtras}).
 *
 * @module
 */

import type { PageRequest, StreamDef } from "../connector/types.ts";

/**
 * Replace `{name}` placeholders with URL-encoded values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fillTemplate } from "./paginate.ts";
 * assert(fillTemplate("/repos/{repo}/issues", { repo: "a/b" }, true) === "/repos/a/b/issues");
 * ```
 */
export function fillTemplate(
  template: string,
  vars: Record<string, string> | undefined,
  keepSlashes = false,
): string {
  if (!vars) return template;
  return template.replace(
    /\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) return whole;
      return keepSlashes
        ? v.split("/").map(encodeURIComponent).join("/")
        : encodeURIComponent(v);
    },
  );
}

/** A query value's `{name}` placeholders, filled with the raw values. */
function fillQueryValue(
  template: string,
  vars: Record<string, string> | undefined,
): string {
  if (!vars) return template;
  return template.replace(
    /\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (whole, name: string) => vars[name] ?? whole,
  );
}

/**
 * Build the URL of a page request: the source's own URL when it gave one,
 * else base URL + path + the merged query parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestUrl } from "./paginate.ts";
 * const url = requestUrl("https://h.example.com/v0", { path: "/item/{id}.json", params: { a: "1" } }, {
 *   index: 3,
 *   path: "/item/7.json",
 * }, { key: "k" });
 * assert(url === "https://h.example.com/v0/item/7.json?a=1&key=k");
 * ```
 */
export function requestUrl(
  baseUrl: string,
  stream: Pick<StreamDef, "path" | "params">,
  req: PageRequest,
  extra: Record<string, string> = {},
  vars?: Record<string, string>,
): string {
  if (req.url !== undefined) {
    // The source owns this URL; only our own extras (auth) are added.
    const u = new URL(req.url);
    for (const [k, v] of Object.entries(extra)) {
      if (!u.searchParams.has(k)) u.searchParams.set(k, v);
    }
    return u.href;
  }
  const path = fillTemplate(req.path ?? stream.path, vars, true);
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(stream.params ?? {})) {
    // Raw values: the query string below encodes each pair once.
    merged[k] = typeof v === "string" ? fillQueryValue(v, vars) : String(v);
  }
  Object.assign(merged, extra, req.params ?? {});
  const prefix = baseUrl.replace(/\/+$/, "") +
    (path === "" ? "" : "/" + path.replace(/^\/+/, ""));
  const href = urlPrefix(prefix);
  if (href === undefined) {
    // A query or fragment already there: URL merges the parameters into it.
    const u = new URL(prefix);
    for (const [k, v] of Object.entries(merged)) u.searchParams.set(k, v);
    return u.href;
  }
  let query = "";
  for (const k in merged) {
    query += (query === "" ? "?" : "&") + formPair(k, merged[k]!);
  }
  return href + query;
}

// Base URL + path, parsed once (URL normalises it: host case, default port,
// dot segments, escapes) and kept: a stream's pages share it. Undefined
// when it has a query or fragment of its own.
const prefixes = new Map<string, string | undefined>();
const MAX_PREFIXES = 1024;

function urlPrefix(prefix: string): string | undefined {
  let href = prefixes.get(prefix);
  if (href !== undefined || prefixes.has(prefix)) return href;
  const u = new URL(prefix);
  href = u.search === "" && u.hash === "" && !prefix.includes("?") &&
      !prefix.includes("#")
    ? u.href
    : undefined;
  // Paths that differ per page (an item id) would grow it without end.
  if (prefixes.size >= MAX_PREFIXES) prefixes.clear();
  prefixes.set(prefix, href);
  return href;
}

// What URLSearchParams writes for `k=v` (application/x-www-form-urlencoded),
// without building one for the common case of nothing to escape.
const PLAIN = /^[A-Za-z0-9*\-._]*$/;

function formPair(k: string, v: string): string {
  if (PLAIN.test(k) && PLAIN.test(v)) return k + "=" + v;
  return new URLSearchParams([[k, v]]).toString();
}

/**
 * A next request as state may keep it: a source-owned URL (a Link header,
 * a next link) echoes our own query extras, an API key among them, and
 * state is written to the lake. They are added again to every request.
 */
export function withoutExtras(
  req: PageRequest,
  extra: Record<string, string> | undefined,
): PageRequest {
  if (req.url === undefined || !extra || Object.keys(extra).length === 0) {
    return req;
  }
  const u = new URL(req.url);
  let changed = false;
  for (const [k, v] of Object.entries(extra)) {
    if (u.searchParams.get(k) === v) {
      u.searchParams.delete(k);
      changed = true;
    }
  }
  return changed ? { ...req, url: u.href } : req;
}

/**
 * The JSON body of a page request of a POST stream: the stream's `body` with
 * `{name}` placeholders in its strings filled (not URL-encoded), and the
 * request's `bodyParams` set at their dot paths; `undefined` for a GET
 * stream, which must have no `bodyParams`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestBody } from "./_request_url.ts";
 * const stream = {
 *   method: "POST" as const,
 *   body: { query: "q", variables: { owner: "{owner}", after: null } },
 * };
 * const body = requestBody(stream, { index: 1, bodyParams: { "variables.after": "c2" } }, { owner: "a b" });
 * assert.deepEqual(JSON.parse(body!), { query: "q", variables: { owner: "a b", after: "c2" } });
 * assert.equal(requestBody({}, { index: 0 }), undefined);
 * assert.throws(() => requestBody({}, { index: 0, bodyParams: { a: 1 } }), /method "POST"/);
 * ```
 */
export function requestBody(
  stream: Pick<StreamDef, "method" | "body">,
  req: PageRequest,
  vars?: Record<string, string>,
): string | undefined {
  if (stream.method !== "POST") {
    if (req.bodyParams !== undefined) {
      throw new TypeError(
        `Cannot send body values (${
          Object.keys(req.bodyParams).join(", ")
        }) in a GET request: the stream needs method "POST"`,
      );
    }
    return undefined;
  }
  const body = fillStrings(structuredClone(stream.body ?? {}), vars);
  for (const [path, value] of Object.entries(req.bodyParams ?? {})) {
    setPath(body as Record<string, unknown>, path, value);
  }
  return JSON.stringify(body);
}

function fillStrings(
  value: unknown,
  vars: Record<string, string> | undefined,
): unknown {
  if (!vars) return value;
  if (typeof value === "string") {
    return value.replace(
      /\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
      (whole, name: string) => vars[name] ?? whole,
    );
  }
  if (Array.isArray(value)) return value.map((v) => fillStrings(v, vars));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fillStrings(v, vars)]),
    );
  }
  return value;
}

// Objects missing along the way are created; an own key only, so a path
// never reaches into a prototype.
function setPath(
  body: Record<string, unknown>,
  path: string,
  value: unknown,
): void {
  const steps = path.split(".");
  let at = body;
  for (const step of steps.slice(0, -1)) {
    const next = Object.hasOwn(at, step) ? at[step] : undefined;
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      const made: Record<string, unknown> = {};
      Object.defineProperty(at, step, {
        value: made,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      at = made;
    } else {
      at = next as Record<string, unknown>;
    }
  }
  Object.defineProperty(at, steps[steps.length - 1]!, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
