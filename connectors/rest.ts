/**
 * `rest`: a generic connector for an API without its own plugin, driven by
 * a JSON spec file: `deno task pull rest --spec my-api.json`.
 *
 * A spec is the data of a connector written as JSON:
 *
 * ```json
 * {
 *   "name": "shop",
 *   "baseUrl": "https://shop.example.com/api",
 *   "auth": { "type": "bearer", "env": "SHOP_TOKEN" },
 *   "streams": {
 *     "orders": {
 *       "path": "/orders",
 *       "recordsPath": "orders",
 *       "primaryKey": "id",
 *       "paginator": { "type": "offset", "limit": 100, "totalPath": "total" }
 *     }
 *   }
 * }
 * ```
 *
 * Every field is checked before any request, and a bad one is named:
 * `spec my-api.json: streams.orders.paginator.type must be one of offset,
 * page, cursor, next_url, link, single; got "ofset"`.
 *
 * Without `--spec`, `rest` pulls {@linkcode exampleSpec}: posts, comments and
 * users of JSONPlaceholder, a public fake REST API.
 *
 * @module
 */
import {
  ConfigError,
  type Connector,
  type ConnectorDef,
  cursorPaginator,
  defineConnector,
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  pageNumberPaginator,
  type Paginator,
  singlePaginator,
  type StreamDef,
} from "../core/mod.ts";

/** The paginator types a spec may name, each with the options it takes. */
const PAGINATORS = {
  offset: {
    fields: {
      limit: "int1",
      limitParam: "name",
      offsetParam: "name",
      totalPath: "name",
      start: "int0",
    },
    make: (o: Record<string, unknown>) => offsetPaginator(o as never),
  },
  page: {
    fields: {
      pageParam: "name",
      sizeParam: "name",
      size: "int1",
      start: "int0",
      totalPagesPath: "name",
      totalPath: "name",
    },
    make: (o: Record<string, unknown>) => pageNumberPaginator(o as never),
  },
  cursor: {
    fields: {
      cursorParam: "name",
      cursorPath: "name",
      hasMorePath: "name",
      cursorFrom: ["body", "lastRecord"],
      recordField: "name",
      limitParam: "name",
      limit: "int1",
    },
    make: (o: Record<string, unknown>) => cursorPaginator(o as never),
  },
  next_url: {
    fields: { path: "name" },
    make: (o: Record<string, unknown>) => nextUrlPaginator(o),
  },
  link: {
    fields: { rel: "name" },
    make: (o: Record<string, unknown>) => linkHeaderPaginator(o),
  },
  single: { fields: {}, make: () => singlePaginator() },
} as const satisfies Record<
  string,
  {
    fields: Record<string, Kind>;
    make: (o: Record<string, unknown>) => Paginator;
  }
>;

/** What a field's value must be. */
type Kind =
  | "name"
  | "text"
  | "int0"
  | "int1"
  | "number"
  | "bool"
  | "scalar"
  | readonly string[];

/** The names of the paginator types a spec may use. */
export const PAGINATOR_TYPES: readonly string[] = Object.keys(PAGINATORS);

/**
 * The spec `rest` pulls when no `--spec` is given: JSONPlaceholder's posts
 * and comments (page numbers, `_page` / `_limit`) and users (one page).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorFromSpec, exampleSpec } from "./rest.ts";
 * assert(Object.keys(connectorFromSpec(exampleSpec).streams).length === 3);
 * ```
 */
export const exampleSpec = {
  name: "rest",
  description:
    "Any REST API from a JSON spec (--spec my-api.json); without one, JSONPlaceholder",
  baseUrl: "https://jsonplaceholder.typicode.com",
  streams: {
    posts: {
      path: "/posts",
      primaryKey: "id",
      writeDisposition: "replace",
      paginator: {
        type: "page",
        pageParam: "_page",
        sizeParam: "_limit",
        size: 50,
      },
    },
    comments: {
      path: "/comments",
      primaryKey: "id",
      writeDisposition: "replace",
      paginator: {
        type: "page",
        pageParam: "_page",
        sizeParam: "_limit",
        size: 100,
      },
    },
    users: {
      path: "/users",
      primaryKey: "id",
      writeDisposition: "replace",
      paginator: { type: "single" },
    },
  },
} as const;

class SpecChecker {
  constructor(readonly source: string) {}

  fail(path: string, message: string): never {
    throw new ConfigError(
      `spec ${this.source}: ${path ? `${path} ` : ""}${message}`,
    );
  }

  object(
    path: string,
    value: unknown,
    fields: Record<string, unknown>,
  ): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object; got ${describe(value)}`);
    }
    const known = Object.keys(fields);
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        const hint = closest(key, known);
        this.fail(
          join(path, key),
          `is not a known field${
            hint ? ` (did you mean "${hint}"?)` : ""
          }; known: ${known.join(", ")}`,
        );
      }
    }
    return value as Record<string, unknown>;
  }

  value(path: string, value: unknown, kind: Kind): unknown {
    const is = (ok: boolean, what: string) => {
      if (!ok) this.fail(path, `must be ${what}; got ${describe(value)}`);
      return value;
    };
    if (Array.isArray(kind)) {
      if (!kind.includes(value as string)) {
        this.fail(
          path,
          `must be one of ${kind.join(", ")}; got ${describe(value)}`,
        );
      }
      return value;
    }
    switch (kind) {
      case "name":
        return is(
          typeof value === "string" && value !== "",
          "a non-empty string",
        );
      case "text":
        return is(typeof value === "string", "a string");
      case "int0":
        return is(
          Number.isSafeInteger(value) && (value as number) >= 0,
          "a whole number >= 0",
        );
      case "int1":
        return is(
          Number.isSafeInteger(value) && (value as number) >= 1,
          "a whole number >= 1",
        );
      case "number":
        return is(
          typeof value === "number" && Number.isFinite(value) && value > 0,
          "a number > 0",
        );
      case "bool":
        return is(typeof value === "boolean", "true or false");
      case "scalar":
        return is(
          typeof value === "string" || typeof value === "boolean" ||
            (typeof value === "number" && Number.isFinite(value)),
          "a string, number or boolean",
        );
    }
    return value;
  }

  /** Check `value` against `fields`; keys marked required must be present. */
  fields(
    path: string,
    value: unknown,
    fields: Record<string, Kind>,
    required: readonly string[] = [],
  ): Record<string, unknown> {
    const o = this.object(path, value, fields);
    for (const r of required) {
      if (o[r] === undefined) this.fail(join(path, r), "is required");
    }
    for (const [k, v] of Object.entries(o)) {
      this.value(join(path, k), v, fields[k]!);
    }
    return o;
  }

  record(path: string, value: unknown, kind: Kind): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object; got ${describe(value)}`);
    }
    for (const [k, v] of Object.entries(value)) {
      this.value(join(path, k), v, kind);
    }
    return value as Record<string, unknown>;
  }

  list(path: string, value: unknown, kind: Kind, min = 0): string[] {
    if (!Array.isArray(value)) {
      this.fail(path, `must be a list; got ${describe(value)}`);
    }
    if (value.length < min) {
      this.fail(path, `must list at least ${min} item(s)`);
    }
    value.forEach((v, i) => this.value(`${path}[${i}]`, v, kind));
    return value as string[];
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// The known name within two edits of a typo, if any.
function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}

const TOP_FIELDS = {
  name: "name",
  description: "text",
  baseUrl: "name",
  hosts: "list",
  auth: "object",
  headers: "object",
  secrets: "list",
  rateLimit: "object",
  options: "object",
  streams: "object",
  $schema: "text",
} as const;

const STREAM_FIELDS = {
  path: "text",
  params: "object",
  recordsPath: "text",
  primaryKey: "key",
  writeDisposition: "enum",
  incremental: "object",
  partition: "object",
  parent: "object",
  paginator: "object",
  description: "text",
  allowNullRecords: "bool",
  allowSingleRecord: "bool",
  allowMissingKey: "bool",
  allowInvalidUtf8: "bool",
} as const;

/** The stream's opt-ins to input that is otherwise an error. */
const STREAM_FLAGS = [
  "allowNullRecords",
  "allowSingleRecord",
  "allowMissingKey",
  "allowInvalidUtf8",
] as const;

function checkPaginator(c: SpecChecker, path: string, raw: unknown): Paginator {
  const o = c.object(path, raw, {
    type: 1,
    ...Object.fromEntries(allPaginatorFields()),
  });
  if (o.type === undefined) c.fail(join(path, "type"), "is required");
  c.value(join(path, "type"), o.type, PAGINATOR_TYPES);
  const def = PAGINATORS[o.type as keyof typeof PAGINATORS];
  const { type: _, ...options } = o;
  const fields: Record<string, Kind> = def.fields;
  for (const key of Object.keys(options)) {
    if (!(key in fields)) {
      const known = Object.keys(fields);
      c.fail(
        join(path, key),
        `is not an option of the ${o.type} paginator; ${
          known.length ? `its options: ${known.join(", ")}` : "it takes none"
        }`,
      );
    }
  }
  c.fields(path, options, fields);
  try {
    return def.make(options);
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) {
      c.fail(path, `is not a valid ${o.type} paginator: ${err.message}`);
    }
    throw err;
  }
}

function allPaginatorFields(): Array<[string, 1]> {
  return Object.values(PAGINATORS).flatMap((p) =>
    Object.keys(p.fields).map((k): [string, 1] => [k, 1])
  );
}

function checkStream(
  c: SpecChecker,
  path: string,
  raw: unknown,
  streamNames: readonly string[],
  self: string,
): StreamDef {
  const s = c.object(path, raw, STREAM_FIELDS);
  for (const r of ["path", "primaryKey", "paginator"]) {
    if (s[r] === undefined) {
      c.fail(
        join(path, r),
        r === "paginator"
          ? `is required (inlet never guesses how a stream pages): one of ${
            PAGINATOR_TYPES.join(", ")
          }`
          : "is required",
      );
    }
  }
  c.value(join(path, "path"), s.path, "text");
  const stream: StreamDef = {
    path: s.path as string,
    primaryKey: typeof s.primaryKey === "string"
      ? c.value(join(path, "primaryKey"), s.primaryKey, "name") as string
      : Array.isArray(s.primaryKey)
      ? c.list(join(path, "primaryKey"), s.primaryKey, "name", 1)
      : c.fail(
        join(path, "primaryKey"),
        `must be a field name or a list of them; got ${describe(s.primaryKey)}`,
      ),
    paginator: checkPaginator(c, join(path, "paginator"), s.paginator),
  };
  if (s.params !== undefined) {
    stream.params = c.record(join(path, "params"), s.params, "scalar") as
      & StreamDef["params"]
      & object;
  }
  if (s.recordsPath !== undefined) {
    stream.recordsPath = c.value(
      join(path, "recordsPath"),
      s.recordsPath,
      "text",
    ) as string;
  }
  for (const flag of STREAM_FLAGS) {
    if (s[flag] !== undefined) {
      stream[flag] = c.value(join(path, flag), s[flag], "bool") as boolean;
    }
  }
  if (s.writeDisposition !== undefined) {
    stream.writeDisposition = c.value(
      join(path, "writeDisposition"),
      s.writeDisposition,
      [
        "append",
        "merge",
        "replace",
      ],
    ) as StreamDef["writeDisposition"] & string;
  }
  if (s.incremental !== undefined) {
    const p = join(path, "incremental");
    const o = c.fields(p, s.incremental, {
      cursorField: "name",
      param: "name",
      lookback: "int0",
      format: ["iso", "unix", "auto"],
      initial: "scalar",
    }, ["cursorField"]);
    stream.incremental = o as unknown as StreamDef["incremental"] & object;
  }
  if (s.partition !== undefined) {
    const p = join(path, "partition");
    const o = c.fields(p, s.partition, {
      kind: ["unix", "iso", "int"],
      gteParam: "name",
      ltParam: "name",
      start: "scalar",
      end: "scalar",
      field: "name",
      partitions: "int1",
      order: ["asc", "desc"],
    }, ["kind", "gteParam", "ltParam", "start", "field"]);
    for (const k of ["start", "end"]) {
      const v = o[k];
      if (v === undefined) continue;
      const ok = o.kind === "iso"
        ? typeof v === "string" && !Number.isNaN(Date.parse(v))
        : Number.isSafeInteger(v);
      if (!ok) {
        c.fail(
          join(p, k),
          `must be ${
            o.kind === "iso" ? "an ISO 8601 time" : "a whole number"
          }; got ${describe(v)}`,
        );
      }
    }
    stream.partition = o as unknown as StreamDef["partition"] & object;
  }
  if (s.parent !== undefined) {
    const p = join(path, "parent");
    const o = c.fields(p, s.parent, {
      stream: "name",
      field: "name",
      as: "name",
    }, ["stream", "field"]);
    if (o.stream === self || !streamNames.includes(o.stream as string)) {
      c.fail(
        join(p, "stream"),
        `must name another stream of the spec (${
          streamNames.filter((n) => n !== self).join(", ") || "there is none"
        }); got ${describe(o.stream)}`,
      );
    }
    const as = (o.as ?? o.field) as string;
    if (!stream.path.includes(`{${as}}`)) {
      c.fail(
        join(path, "path"),
        `must hold the placeholder {${as}} its parent fills; got ${
          describe(stream.path)
        }`,
      );
    }
    stream.parent = o as unknown as StreamDef["parent"] & object;
  }
  return stream;
}

/**
 * Build a connector from a parsed spec. `source` names the spec in errors
 * (the file name). Throws {@linkcode ConfigError} naming the first bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorFromSpec } from "./rest.ts";
 * const shop = connectorFromSpec({
 *   name: "shop",
 *   baseUrl: "https://shop.example.com/api",
 *   streams: {
 *     orders: {
 *       path: "/orders",
 *       recordsPath: "orders",
 *       primaryKey: "id",
 *       paginator: { type: "cursor", cursorParam: "after", cursorPath: "next" },
 *     },
 *   },
 * }, "shop.json");
 * assert.equal(shop.streams.orders?.paginator.type, "cursor");
 * assert.throws(
 *   () => connectorFromSpec({ name: "x", baseUrl: "https://x.example", streams: { a: { path: "/a", primaryKey: "id", paginator: { type: "ofset" } } } }, "x.json"),
 *   /spec x\.json: streams\.a\.paginator\.type must be one of offset, page, cursor, next_url, link, single; got "ofset"/,
 * );
 * ```
 */
export function connectorFromSpec(
  spec: unknown,
  source = "(inline)",
): Connector {
  const c: SpecChecker = new SpecChecker(source);
  const top = c.object("", spec, TOP_FIELDS);
  for (const r of ["name", "baseUrl", "streams"]) {
    if (top[r] === undefined) c.fail(r, "is required");
  }
  c.value("name", top.name, "name");
  if (!/^[a-z][a-z0-9_-]*$/.test(top.name as string)) {
    c.fail(
      "name",
      `must use lowercase letters, digits, "-" and "_", starting with a letter; got ${
        describe(top.name)
      }`,
    );
  }
  c.value("baseUrl", top.baseUrl, "name");
  let base: URL | undefined;
  try {
    base = new URL(top.baseUrl as string);
  } catch {
    // Reported just below.
  }
  if (!base || (base.protocol !== "http:" && base.protocol !== "https:")) {
    c.fail("baseUrl", `must be an http(s) URL; got ${describe(top.baseUrl)}`);
  }
  const def: ConnectorDef = {
    name: top.name as string,
    baseUrl: top.baseUrl as string,
    streams: {},
  };
  if (top.description !== undefined) {
    def.description = c.value("description", top.description, "text") as string;
  }
  if (top.hosts !== undefined) {
    def.hosts = c.list("hosts", top.hosts, "name", 1);
  }
  if (top.secrets !== undefined) {
    def.secrets = c.list("secrets", top.secrets, "name");
    def.secrets.forEach((s, i) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(s)) {
        c.fail(
          `secrets[${i}]`,
          `must name an environment variable (UPPER_CASE); got ${describe(s)}`,
        );
      }
    });
  }
  if (top.headers !== undefined) {
    def.headers = c.record("headers", top.headers, "text") as Record<
      string,
      string
    >;
    for (const h of Object.keys(def.headers)) {
      if (["authorization", "cookie", "x-api-key"].includes(h.toLowerCase())) {
        c.fail(
          `headers.${h}`,
          `must not carry a secret in the spec: use "auth" with an environment variable`,
        );
      }
    }
  }
  if (top.rateLimit !== undefined) {
    def.rateLimit = c.fields("rateLimit", top.rateLimit, {
      requests: "number",
      perSeconds: "number",
    }, [
      "requests",
      "perSeconds",
    ]) as unknown as ConnectorDef["rateLimit"] & object;
  }
  if (top.auth !== undefined) {
    const a = c.object("auth", top.auth, {
      type: 1,
      env: 1,
      name: 1,
      optional: 1,
    });
    c.value("auth.type", a.type, ["none", "bearer", "header", "query"]);
    if (a.type === "none") {
      c.fields("auth", a, { type: "text" });
    } else {
      c.fields(
        "auth",
        a,
        {
          type: "text",
          env: "name",
          optional: "bool",
          ...(a.type === "bearer" ? {} : { name: "name" }),
        },
        a.type === "bearer" ? ["env"] : ["env", "name"],
      );
      if (!/^[A-Z_][A-Z0-9_]*$/.test(a.env as string)) {
        c.fail(
          "auth.env",
          `must name an environment variable (UPPER_CASE); got ${
            describe(a.env)
          }`,
        );
      }
    }
    def.auth = a as unknown as ConnectorDef["auth"] & object;
  }
  if (top.options !== undefined) {
    const opts = c.object(
      "options",
      top.options,
      top.options as Record<string, unknown>,
    );
    def.options = {};
    for (const [name, raw] of Object.entries(opts)) {
      const p = `options.${name}`;
      if (!/^[a-z][a-z0-9_]*$/.test(name)) {
        c.fail(p, "option names use lowercase letters, digits and _");
      }
      const o = c.object(p, raw, {
        description: 1,
        multiple: 1,
        required: 1,
        default: 1,
      });
      const { default: given, ...rest } = o;
      c.fields(p, rest, {
        description: "text",
        multiple: "bool",
        required: "bool",
      }, ["description"]);
      if (given !== undefined && typeof given !== "string") {
        c.list(`${p}.default`, given, "text");
      }
      def.options[name] = o as unknown as NonNullable<
        ConnectorDef["options"]
      >[string];
    }
  }
  const streams = top.streams;
  if (
    typeof streams !== "object" || streams === null || Array.isArray(streams)
  ) {
    c.fail(
      "streams",
      `must be an object of streams by name; got ${describe(streams)}`,
    );
  }
  const names = Object.keys(streams);
  if (names.length === 0) c.fail("streams", "must declare at least one stream");
  for (const n of names) {
    if (!/^[a-z][a-z0-9_-]*$/.test(n)) {
      c.fail(
        `streams.${n}`,
        `is not a valid stream name: use lowercase letters, digits, "-" and "_"`,
      );
    }
    def.streams[n] = checkStream(
      c,
      `streams.${n}`,
      (streams as Record<string, unknown>)[n],
      names,
      n,
    );
  }
  try {
    return defineConnector(def);
  } catch (err) {
    if (err instanceof ConfigError) c.fail("", err.message);
    throw err;
  }
}

/**
 * Read and check a spec file; the connector it describes. Errors (a missing
 * file, bad JSON, a bad field) are {@linkcode ConfigError}s naming the file.
 *
 * The CLI calls this for `deno task pull rest --spec my-api.json` and pulls
 * the result, into `<lake>/<spec name>/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSpec } from "./rest.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const file = `${dir}/todo.json`;
 *   await Deno.writeTextFile(file, JSON.stringify({
 *     name: "todo",
 *     baseUrl: "https://todo.example.com",
 *     streams: { tasks: { path: "/tasks", primaryKey: "id", paginator: { type: "link" } } },
 *   }));
 *   assert.equal((await loadSpec(file)).name, "todo");
 *   await Deno.writeTextFile(file, "{ not json");
 *   await assert.rejects(loadSpec(file), /todo\.json is not valid JSON/);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function loadSpec(path: string): Promise<Connector> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const why = cause instanceof Deno.errors.NotFound
      ? "no such file"
      : (cause as Error).message;
    throw new ConfigError(`spec ${path}: cannot read it: ${why}`, { cause });
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(
      `spec ${path} is not valid JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  return connectorFromSpec(spec, path);
}

/**
 * The `rest` connector as registered: the {@linkcode exampleSpec}
 * (JSONPlaceholder). `--spec my-api.json` replaces it with the spec's
 * connector (see {@linkcode loadSpec}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import rest from "./rest.ts";
 * assert(rest.name === "rest" && rest.options?.spec !== undefined);
 * ```
 */
const rest: Connector = connectorFromSpec(
  {
    ...exampleSpec,
    options: {
      spec: {
        description: "a JSON spec file describing the API (see README: rest)",
      },
    },
  },
  "(built-in example)",
);
export default rest;
