/**
 * `defineConnector()`: checks a connector's definition once, up front, so a
 * mistake is reported by name before any request is made.
 *
 * @module
 */

import { authEnv } from "./auth_env.ts";
import { checkAuth } from "./_check_auth.ts";
import { checkTransforms } from "./check_transforms.ts";
import { closest } from "./closest.ts";
import { checkColumns } from "./column_type.ts";
import { ConfigError } from "./errors.ts";
import { recordsPathParts } from "./json_path.ts";
import type { Auth, ConnectorDef, StreamDef } from "./types.ts";

// The keys each part of a definition may have: a misspelt one (`recordPath`)
// would otherwise be ignored and the run land wrong data without a word.
// A field added to `ConnectorDef` or `StreamDef` is added here too.
const CONNECTOR_KEYS = [
  "name",
  "baseUrl",
  "description",
  "hosts",
  "auth",
  "rateLimit",
  "headers",
  "secrets",
  "options",
  "streams",
] as const;
const STREAM_KEYS = [
  "path",
  "method",
  "body",
  "params",
  "recordsPath",
  "transforms",
  "primaryKey",
  "allowNullRecords",
  "allowSingleRecord",
  "allowMissingKey",
  "allowInvalidUtf8",
  "paginator",
  "writeDisposition",
  "columns",
  "incremental",
  "partition",
  "parent",
  "description",
] as const;
const PART_KEYS = {
  incremental: ["cursorField", "param", "lookback", "format", "initial"],
  partition: [
    "kind",
    "gteParam",
    "ltParam",
    "start",
    "end",
    "field",
    "partitions",
    "order",
  ],
  parent: ["stream", "field", "as"],
  rateLimit: ["requests", "perSeconds"],
  option: ["description", "multiple", "required", "default"],
} as const;

/**
 * A checked connector: its definition plus what the sandbox needs to know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineConnector } from "./connector.ts";
 * import { singlePaginator } from "../paging/paginators.ts";
 * const c = defineConnector({
 *   name: "example",
 *   baseUrl: "https://api.example.com/v1",
 *   streams: { things: { path: "/things", primaryKey: "id", paginator: singlePaginator() } },
 * });
 * assert(c.hosts[0] === "api.example.com");
 * ```
 */
export interface Connector extends Readonly<ConnectorDef> {
  /** Hosts the connector may reach (declared, or the host of `baseUrl`). */
  readonly hosts: readonly string[];
  /** Environment variables holding secrets (from `auth` and `secrets`). */
  readonly secrets: readonly string[];
  /** How requests authenticate. */
  readonly auth: Auth;
}

const NAME = /^[a-z][a-z0-9_-]*$/;

/**
 * Check a connector definition and return it frozen, with its hosts and
 * secrets made explicit. Throws {@linkcode ConfigError} naming the
 * connector, stream and field at fault; a key it does not know (at the top,
 * in a stream, its `incremental`, `partition` or `parent`, `rateLimit`, an
 * option) is refused with the known key closest to it, since a misspelt
 * one (`recordPath`) would otherwise be ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineConnector } from "./connector.ts";
 * import { offsetPaginator } from "../paging/paginators.ts";
 *
 * assert.throws(
 *   () =>
 *     defineConnector({
 *       name: "shop",
 *       baseUrl: "https://shop.example.com/api",
 *       streams: {
 *         orders: {
 *           path: "/orders",
 *           recordPath: "orders",
 *           primaryKey: "id",
 *           paginator: offsetPaginator({ limit: 100 }),
 *         } as never,
 *       },
 *     }),
 *   /unknown key "recordPath" \(did you mean "recordsPath"\?\)/,
 * );
 *
 * export default defineConnector({
 *   name: "shop",
 *   baseUrl: "https://shop.example.com/api",
 *   auth: { type: "bearer", env: "SHOP_TOKEN" },
 *   streams: {
 *     orders: {
 *       path: "/orders",
 *       recordsPath: "orders",
 *       primaryKey: "id",
 *       paginator: offsetPaginator({ limit: 100, totalPath: "total" }),
 *     },
 *   },
 * });
 * ```
 */
export function defineConnector(def: ConnectorDef): Connector {
  if (typeof def !== "object" || def === null) {
    throw new TypeError(
      "defineConnector() takes a connector definition object",
    );
  }
  const name = def.name;
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new ConfigError(
      `connector name ${
        JSON.stringify(name)
      } is invalid: use lowercase letters, digits, "-" and "_", starting with a letter`,
    );
  }
  const at = `connector "${name}"`;
  knownKeys(at, def, CONNECTOR_KEYS);
  let base: URL;
  try {
    base = new URL(def.baseUrl);
  } catch (cause) {
    throw new ConfigError(
      `${at}: baseUrl ${JSON.stringify(def.baseUrl)} is not a URL`,
      {
        cause,
      },
    );
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new ConfigError(
      `${at}: baseUrl must be http(s), got ${base.protocol}`,
    );
  }
  const hosts = def.hosts ?? [base.host];
  if (
    !Array.isArray(hosts) ||
    hosts.some((h) => typeof h !== "string" || h === "")
  ) {
    throw new ConfigError(`${at}: hosts must be a list of host names`);
  }
  for (const [o, decl] of Object.entries(def.options ?? {})) {
    knownKeys(`${at}: option "${o}"`, decl, PART_KEYS.option);
  }
  const auth = def.auth ?? { type: "none" };
  checkAuth(at, auth, hosts);
  const secrets = [...new Set([...authEnv(auth), ...(def.secrets ?? [])])];
  if (typeof def.streams !== "object" || def.streams === null) {
    throw new ConfigError(`${at}: streams is required`);
  }
  const names = Object.keys(def.streams);
  if (names.length === 0) throw new ConfigError(`${at}: declares no stream`);
  for (const s of names) {
    checkStream(`${at}: stream "${s}"`, s, def.streams[s]);
    checkTransforms(
      `${at}: stream "${s}"`,
      def.streams[s]!,
      def.options ?? {},
    );
  }
  if (def.rateLimit !== undefined) {
    knownKeys(`${at}: rateLimit`, def.rateLimit, PART_KEYS.rateLimit);
    const { requests, perSeconds } = def.rateLimit;
    if (!(requests > 0) || !(perSeconds > 0)) {
      throw new ConfigError(
        `${at}: rateLimit needs positive requests and perSeconds`,
      );
    }
  }
  return Object.freeze({
    ...def,
    hosts: Object.freeze([...hosts]),
    secrets,
    auth,
  });
}

function checkStream(at: string, name: string, s: StreamDef | undefined): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    throw new ConfigError(
      `${at}: stream names use lowercase letters, digits, "-" and "_"`,
    );
  }
  if (typeof s !== "object" || s === null) {
    throw new ConfigError(`${at}: must be an object`);
  }
  knownKeys(at, s, STREAM_KEYS);
  for (const part of ["incremental", "partition", "parent"] as const) {
    if (s[part] !== undefined) {
      knownKeys(`${at}: ${part}`, s[part], PART_KEYS[part]);
    }
  }
  if (typeof s.path !== "string") {
    throw new ConfigError(`${at}: path is required`);
  }
  const p = s.paginator as Partial<StreamDef["paginator"]> | undefined;
  if (!p || typeof p.first !== "function" || typeof p.next !== "function") {
    throw new ConfigError(
      `${at}: paginator is required (inlet never guesses how a stream pages; use offsetPaginator(), cursorPaginator(), ...)`,
    );
  }
  const keys = typeof s.primaryKey === "string" ? [s.primaryKey] : s.primaryKey;
  if (
    !Array.isArray(keys) || keys.length === 0 ||
    keys.some((k) => typeof k !== "string" || !k)
  ) {
    throw new ConfigError(
      `${at}: primaryKey is required (a field name or a list of them)`,
    );
  }
  checkMethod(at, s);
  if (s.columns !== undefined) checkColumns(at, s.columns);
  if (
    s.recordsPath !== undefined &&
    (typeof s.recordsPath !== "string" ||
      recordsPathParts(s.recordsPath) === undefined)
  ) {
    throw new ConfigError(
      `${at}: recordsPath must be a dot path ("data.items"; "rows[].doc" walks a list), got ${
        JSON.stringify(s.recordsPath)
      }`,
    );
  }
  for (
    const flag of [
      "allowNullRecords",
      "allowSingleRecord",
      "allowMissingKey",
      "allowInvalidUtf8",
    ] as const
  ) {
    if (s[flag] !== undefined && typeof s[flag] !== "boolean") {
      throw new ConfigError(
        `${at}: ${flag} must be true or false, got ${JSON.stringify(s[flag])}`,
      );
    }
  }
}

// A body goes only with POST, and a paginator that pages in the body needs one.
function checkMethod(at: string, s: StreamDef): void {
  const method = s.method ?? "GET";
  if (method !== "GET" && method !== "POST") {
    throw new ConfigError(
      `${at}: method must be "GET" or "POST", got ${JSON.stringify(s.method)}`,
    );
  }
  if (
    s.body !== undefined &&
    (typeof s.body !== "object" || s.body === null || Array.isArray(s.body))
  ) {
    throw new ConfigError(`${at}: body must be a JSON object`);
  }
  // A POST stream is retried like a GET: only a read may be sent twice.
  const query = (s.body as { query?: unknown } | undefined)?.query;
  if (typeof query === "string" && /^\s*mutation\b/.test(query)) {
    throw new ConfigError(
      `${at}: body.query is a GraphQL mutation; a POST stream is a read (retried like a GET), so it may only query`,
    );
  }
  if (method === "GET" && s.body !== undefined) {
    throw new ConfigError(`${at}: body is sent only with method "POST"`);
  }
  if (method === "GET" && s.paginator.first({}).bodyParams !== undefined) {
    throw new ConfigError(
      `${at}: its ${s.paginator.type} paginator sends values in the body, which needs method "POST"`,
    );
  }
}

/**
 * Refuse a key `known` does not list, with the known key it is closest to.
 * What is not an object is left to the checks of its value.
 */
function knownKeys(at: string, o: unknown, known: readonly string[]): void {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return;
  for (const key of Object.keys(o)) {
    if (known.includes(key)) continue;
    const hint = closest(key, known);
    throw new ConfigError(
      `${at}: unknown key "${key}"${
        hint ? ` (did you mean "${hint}"?)` : ""
      }; known: ${known.join(", ")}`,
    );
  }
}
