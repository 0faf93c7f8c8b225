/**
 * The contracts every part of inlet speaks: records, page requests and
 * responses, paginators, auth and stream/connector definitions.
 *
 * The paging contract (`paginator.ts`) and `Row` (`row.ts`) are re-exported
 * here, so that every importer keeps one place to import contracts from.
 *
 * @module
 */
import type { ColumnDeclaration } from "./column_type.ts";
import type { Paginator } from "./paginator.ts";

export type {
  Next,
  PageRequest,
  PageResponse,
  PaginateContext,
  Paginator,
} from "./paginator.ts";
export type { Row } from "./row.ts";

/** Query parameter values a stream may declare. */
export type ParamValue = string | number | boolean;

/**
 * How requests authenticate. Secrets are read only from the environment
 * variables named here (`env`, `*Env`), and never logged, stored or shown:
 * every message masks them.
 *
 * - `bearer`: `Authorization: Bearer <secret>`.
 * - `header`: the secret in header `name`, or `template` with `{secret}`
 *   replaced (`"Token {secret}"`).
 * - `query`: the secret in query parameter `name`.
 * - `basic`: HTTP basic with the user and password from the environment.
 * - `oauth2`: a bearer token from `tokenUrl` (on one of the connector's
 *   hosts), by `client_credentials` or `refresh_token` grant; kept in
 *   memory only, renewed before it expires and once on a 401.
 *
 * @example
 * ```ts
 * import type { Auth } from "./types.ts";
 * const auth: Auth = { type: "bearer", env: "GITHUB_TOKEN", optional: true };
 * const oauth: Auth = {
 *   type: "oauth2",
 *   grant: "refresh_token",
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   clientIdEnv: "EX_CLIENT_ID",
 *   clientSecretEnv: "EX_CLIENT_SECRET",
 *   refreshTokenEnv: "EX_REFRESH_TOKEN",
 * };
 * ```
 */
export type Auth =
  | { type: "none" }
  | { type: "bearer"; env: string; optional?: boolean }
  | {
    type: "header";
    name: string;
    env: string;
    /** The header's value with `{secret}` in it. @default {"{secret}"} */
    template?: string;
    optional?: boolean;
  }
  | { type: "query"; name: string; env: string; optional?: boolean }
  | { type: "basic"; userEnv: string; passwordEnv: string; optional?: boolean }
  | OAuth2Auth;

/** OAuth2 client credentials or refresh-token auth; see {@linkcode Auth}. */
export interface OAuth2Auth {
  type: "oauth2";
  /** How a token is obtained. */
  grant: "client_credentials" | "refresh_token";
  /** The token endpoint; its host must be one of the connector's hosts. */
  tokenUrl: string;
  /** The variable holding the client id. */
  clientIdEnv: string;
  /** The variable holding the client secret (required for `client_credentials`). */
  clientSecretEnv?: string;
  /** The variable holding the refresh token (required for `refresh_token`). */
  refreshTokenEnv?: string;
  /** Scopes asked for, space separated. */
  scope?: string;
  /**
   * How the client authenticates to the token endpoint: HTTP basic (the
   * RFC 6749 default every server supports) or `client_id` and
   * `client_secret` in the form body.
   * @default {"basic"}
   */
  clientAuth?: "basic" | "body";
  /** No auth when the client id variable is unset. @default {false} */
  optional?: boolean;
}

/**
 * A rate limit the connector knows about its source, spent by every worker.
 *
 * @example
 * ```ts
 * import type { RateLimit } from "./types.ts";
 * const limit: RateLimit = { requests: 5000, perSeconds: 3600 };
 * ```
 */
export interface RateLimit {
  /** Requests allowed per window. */
  requests: number;
  /** The window length in seconds. */
  perSeconds: number;
}

/**
 * One stream of a connector: an endpoint, where its records sit and how it pages.
 *
 * @example
 * ```ts
 * import type { StreamDef } from "./types.ts";
 * const stream: StreamDef = {
 *   path: "/items",
 *   recordsPath: "items",
 *   primaryKey: "id",
 *   paginator: { type: "single", first: () => ({ index: 0 }), next: () => ({ type: "done" }) },
 * };
 * ```
 */
export interface StreamDef {
  /** Path relative to the connector's base URL. */
  path: string;
  /** Query parameters sent with every request of the stream. */
  params?: Record<string, ParamValue>;
  /**
   * The HTTP method. A `"POST"` stream sends `body` as JSON and is treated
   * as a read: retried like a GET, so it must not change anything at the
   * source (a GraphQL query, a search). @default {"GET"}
   */
  method?: "GET" | "POST";
  /**
   * The JSON body of a POST stream (a GraphQL `{ query, variables }`); the
   * paginator sets values in it (`PageRequest.bodyParams`).
   */
  body?: Record<string, unknown>;
  /**
   * Dot path to the records in the body (`"data"`, `"result.items"`).
   * `[]` after a step walks a list: `"rows[].doc"` is the `doc` of each
   * element of `rows` (each an object, or a list of objects).
   * Omitted: the body itself is the records (an array; an object or `null`
   * only with `allowSingleRecord` or `allowNullRecords`).
   */
  recordsPath?: string;
  /**
   * Changes made to each record, in order, before its primary key and
   * cursor field are checked and it lands. Paginators see the records as
   * the source sent them.
   */
  transforms?: readonly Transform[];
  /** The field(s) that identify a record. */
  primaryKey: string | readonly string[];
  /**
   * Accept a page whose records are `null` or absent (the records path is
   * missing, or the body is `null`) as a page with no record, as an item
   * endpoint answers for an id that does not exist.
   * @default {false} such a page fails the stream: a changed or broken
   * response would otherwise complete the sweep with nothing landed
   */
  allowNullRecords?: boolean;
  /**
   * Accept an object where the records should be a list, as one record
   * (an item endpoint such as `/item/{id}.json`).
   * @default {false} an object fails the stream: a wrapper such as
   * `{"items": [...], "total": 9}` would otherwise land as one record
   */
  allowSingleRecord?: boolean;
  /**
   * Land records whose primary key field is missing or `null`.
   * @default {false} such a record fails the stream, naming the field
   */
  allowMissingKey?: boolean;
  /**
   * Read body bytes that are not UTF-8 as U+FFFD.
   * @default {false} such a body fails the stream (text would be altered)
   */
  allowInvalidUtf8?: boolean;
  /** How the stream pages. Always explicit: inlet never guesses. */
  paginator: Paginator;
  /**
   * How a run's records meet earlier ones. `append` adds; `merge` upserts by
   * primary key (readers see the newest version); `replace` swaps in the new
   * full set atomically.
   * @default {"append"}
   */
  writeDisposition?: WriteDisposition;
  /**
   * Column types written instead of inferred (`{ created: "timestamp_s" }`);
   * a value that cannot be converted fails the stream, naming it.
   * @default {every column's type is inferred from its values}
   */
  columns?: Readonly<Record<string, ColumnDeclaration>>;
  /** Pull only what changed since the last run. */
  incremental?: Incremental;
  /** Split a range filter into partitions pulled concurrently. */
  partition?: RangePartition;
  /** Take inputs from another stream's records (a list, then each item's detail). */
  parent?: ParentRef;
}

/**
 * One declarative change to every record of a stream:
 *
 * - `add`: set fields. A string value is a template: `{parent.<path>}` is a
 *   field of the parent record (dependent streams), `{<name>}` a connector
 *   option or the parent placeholder; a string that is exactly one
 *   placeholder keeps the value's type (numbers, big integers, objects stay
 *   exact). Other values are constants.
 * - `rename`: move fields to new names (`{ _id: "id" }`); a record that
 *   already has the new name fails the stream rather than lose a value.
 * - `drop`: remove fields.
 * - `keep`: land only records whose field (a dot path) `equals` a value, or
 *   does not (`notEquals`; a missing field does not equal anything).
 *
 * @example
 * ```ts
 * import type { Transform } from "./types.ts";
 * const transforms: Transform[] = [
 *   { add: { repo: "{parent.full_name}", source: "github" } },
 *   { rename: { _id: "id" } },
 *   { drop: ["_rev"] },
 *   { keep: { field: "type", equals: "issue" } },
 * ];
 * ```
 */
export type Transform =
  | { add: Record<string, string | number | boolean | null> }
  | { rename: Record<string, string> }
  | { drop: readonly string[] }
  | {
    keep:
      | { field: string; equals: string | number | boolean | null }
      | { field: string; notEquals: string | number | boolean | null };
  };

/** How a run's records meet earlier ones. */
export type WriteDisposition = "append" | "merge" | "replace";

/**
 * An incremental stream: the engine remembers the highest `cursorField`
 * value it landed and sends it (minus `lookback`) in `param` next time.
 *
 * @example
 * ```ts
 * import type { Incremental } from "./types.ts";
 * const inc: Incremental = { cursorField: "updated_at", param: "since", lookback: 3600 };
 * ```
 */
export interface Incremental {
  /** The record field that grows with each change (`updated_at`, `id`). */
  cursorField: string;
  /**
   * The query parameter that filters on it. Omitted when the paginator owns
   * the range (the id range paginator reads `PaginateContext.start`).
   */
  param?: string;
  /**
   * How far behind the bookmark the next run starts, in seconds for time
   * fields and in units for numbers, to catch late writes.
   * @default {0}
   */
  lookback?: number;
  /**
   * How the bookmark is sent. `"auto"`: exactly as the source wrote it (with
   * a lookback, shifted and written in the same shape), which a source that
   * compares strings needs. `"iso"`: ISO 8601 in UTC; `"unix"`: seconds.
   * @default {"auto"}
   */
  format?: "iso" | "unix" | "auto";
  /** Where the first run starts (else everything, or `--since`). */
  initial?: string | number;
}

/**
 * A range filter the engine splits into partitions pulled concurrently, each
 * a sequential cursor chain. Bounds are half-open: `[gte, lt)`.
 *
 * @example
 * ```ts
 * import type { RangePartition } from "./types.ts";
 * const p: RangePartition = {
 *   kind: "unix",
 *   gteParam: "created[gte]",
 *   ltParam: "created[lt]",
 *   start: 1704067200,
 *   field: "created",
 * };
 * ```
 */
export interface RangePartition {
  /** Value kind: unix seconds, ISO 8601 time, or plain integers (ids). */
  kind: "unix" | "iso" | "int";
  /** Parameter of the inclusive lower bound. */
  gteParam: string;
  /** Parameter of the exclusive upper bound. */
  ltParam: string;
  /** Lower end of the whole range. */
  start: number | string;
  /** Upper end (exclusive). @default now (time kinds) */
  end?: number | string;
  /** The record field the range filters on (to split a dense partition exactly). */
  field: string;
  /** Initial number of partitions. @default {8} */
  partitions?: number;
  /** The order the API returns records in, by `field`. @default {"desc"} */
  order?: "asc" | "desc";
}

/**
 * A dependent stream: one request (chain) per record of `stream`, with the
 * record's `field` substituted for `{as}` in the path.
 *
 * @example
 * ```ts
 * import type { ParentRef } from "./types.ts";
 * const parent: ParentRef = { stream: "pokemon", field: "name", as: "name" };
 * ```
 */
export interface ParentRef {
  /** The parent stream's name (same connector). */
  stream: string;
  /** The field of each parent record to use. */
  field: string;
  /** The placeholder in this stream's path. @default {the field name} */
  as?: string;
}

/**
 * A connector-level option given on the command line (`--repo owner/name`).
 * Stream paths and params use it as a `{name}` placeholder; a repeatable
 * option runs the stream once per value.
 *
 * @example
 * ```ts
 * import type { ConnectorOption } from "./types.ts";
 * const repo: ConnectorOption = { description: "owner/name", multiple: true, required: true };
 * ```
 */
export interface ConnectorOption {
  /** Shown by `--help`. */
  description: string;
  /** May be given several times. @default {false} */
  multiple?: boolean;
  /** Must be given. @default {false} */
  required?: boolean;
  /** Value(s) when not given. */
  default?: string | readonly string[];
}

/**
 * A connector: a named source with its streams. Data, not engine code.
 *
 * @example
 * ```ts
 * import type { ConnectorDef } from "./types.ts";
 * const def: ConnectorDef = {
 *   name: "example",
 *   baseUrl: "https://api.example.com",
 *   streams: {},
 * };
 * ```
 */
export interface ConnectorDef {
  /** Unique name, lowercase letters, digits, `-` and `_`. */
  name: string;
  /** Root of every stream path. */
  baseUrl: string;
  /** One line shown by `deno task list`. */
  description?: string;
  /**
   * Hosts (`host` or `host:port`) the connector may reach; the sandbox allows
   * only these. Defaults to the host of `baseUrl`.
   */
  hosts?: readonly string[];
  /** How requests authenticate. @default {{ type: "none" }} */
  auth?: Auth;
  /** A request budget known in advance, shared by every worker of a run. */
  rateLimit?: RateLimit;
  /** Headers sent with every request (never secrets: use `auth`). */
  headers?: Record<string, string>;
  /** Secret environment variables besides the auth one (the sandbox allows only these). */
  secrets?: readonly string[];
  /** Options given on the command line, used as `{name}` placeholders. */
  options?: Record<string, ConnectorOption>;
  /** The streams, by name. */
  streams: Record<string, StreamDef>;
}
