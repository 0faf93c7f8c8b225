/**
 * A parsed spec checked field by field and made into a connector.
 *
 * @module
 */
import {
  ConfigError,
  type Connector,
  type ConnectorDef,
  defineConnector,
} from "../connector/mod.ts";
import { checkStream } from "./_check_stream.ts";
import { describe, type Kind, SpecChecker } from "./_spec_checker.ts";

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

/**
 * Build a connector from a parsed spec. `source` names the spec in errors
 * (the file name). Throws {@linkcode ConfigError} naming the first bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectorFromSpec } from "./connector_from_spec.ts";
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
 *   /spec x\.json: streams\.a\.paginator\.type must be one of offset, page, cursor, next_url, link, single, keyset, id_range; got "ofset"/,
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
  checkNameAndBase(c, top);
  const def: ConnectorDef = {
    name: top.name as string,
    baseUrl: top.baseUrl as string,
    streams: {},
  };
  checkPlainFields(c, top, def);
  if (top.auth !== undefined) def.auth = checkAuth(c, top.auth);
  if (top.options !== undefined) def.options = checkOptions(c, top.options);
  checkStreams(c, top.streams, def);
  try {
    return defineConnector(def);
  } catch (err) {
    if (err instanceof ConfigError) c.fail("", err.message);
    throw err;
  }
}

function checkNameAndBase(c: SpecChecker, top: Record<string, unknown>): void {
  c.value("name", top.name, "name");
  if (!/^[a-z][a-z0-9_-]*$/.test(top.name as string)) {
    c.fail(
      "name",
      `must use lowercase letters, digits, "-" and "_", starting with a letter; got ${
        describe(top.name)
      }`,
    );
  }
  c.connector = top.name as string;
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
}

// The top-level fields that need no more than a check, set on `def`.
function checkPlainFields(
  c: SpecChecker,
  top: Record<string, unknown>,
  def: ConnectorDef,
): void {
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
}

/** The fields of each auth type beside `type`, and which are required. */
const AUTH_FIELDS: Record<string, [Record<string, Kind>, string[]]> = {
  none: [{}, []],
  bearer: [{ env: "name", optional: "bool" }, ["env"]],
  header: [
    { env: "name", name: "name", template: "name", optional: "bool" },
    ["env", "name"],
  ],
  query: [{ env: "name", name: "name", optional: "bool" }, ["env", "name"]],
  basic: [
    { userEnv: "name", passwordEnv: "name", optional: "bool" },
    ["userEnv", "passwordEnv"],
  ],
  oauth2: [
    {
      grant: ["client_credentials", "refresh_token"],
      tokenUrl: "name",
      clientIdEnv: "name",
      clientSecretEnv: "name",
      refreshTokenEnv: "name",
      scope: "text",
      clientAuth: ["basic", "body"],
      optional: "bool",
    },
    ["grant", "tokenUrl", "clientIdEnv"],
  ],
};

function checkAuth(
  c: SpecChecker,
  raw: unknown,
): ConnectorDef["auth"] & object {
  const all = Object.assign(
    { type: 1 },
    ...Object.values(AUTH_FIELDS).map((f) => f[0]),
  );
  const a = c.object("auth", raw, all);
  const type = c.value("auth.type", a.type, Object.keys(AUTH_FIELDS)) as string;
  const [fields, required] = AUTH_FIELDS[type]!;
  c.fields("auth", a, { type: "text", ...fields }, [
    ...required,
    ...(a.grant === "client_credentials" ? ["clientSecretEnv"] : []),
    ...(a.grant === "refresh_token" ? ["refreshTokenEnv"] : []),
  ]);
  for (const [k, v] of Object.entries(a)) {
    if (
      (k === "env" || k.endsWith("Env")) &&
      !/^[A-Z_][A-Z0-9_]*$/.test(v as string)
    ) {
      c.fail(
        `auth.${k}`,
        `must name an environment variable (UPPER_CASE); got ${describe(v)}`,
      );
    }
  }
  return a as unknown as ConnectorDef["auth"] & object;
}

function checkOptions(
  c: SpecChecker,
  raw: unknown,
): NonNullable<ConnectorDef["options"]> {
  // Any option name is a field here; the names' own rule follows.
  const opts = c.object("options", raw, raw as Record<string, unknown>);
  const options: NonNullable<ConnectorDef["options"]> = {};
  for (const [name, value] of Object.entries(opts)) {
    const p = `options.${name}`;
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      c.fail(p, "option names use lowercase letters, digits and _");
    }
    const o = c.object(p, value, {
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
    options[name] = o as unknown as NonNullable<
      ConnectorDef["options"]
    >[string];
  }
  return options;
}

function checkStreams(
  c: SpecChecker,
  streams: unknown,
  def: ConnectorDef,
): void {
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
}
