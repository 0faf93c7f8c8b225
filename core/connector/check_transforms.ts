/**
 * `checkTransforms()`: a stream's record transforms checked once, when the
 * connector is defined, so a typo fails before any request.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { isDotPath } from "./json_path.ts";
import type { ConnectorDef, StreamDef, Transform } from "./types.ts";

const KINDS = ["add", "rename", "drop", "keep"] as const;
const FIELD = /^[^{}]+$/;
const SCALAR = (v: unknown) =>
  v === null || typeof v === "string" || typeof v === "boolean" ||
  (typeof v === "number" && Number.isFinite(v));

/**
 * The `{name}` placeholders of an `add` template, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { placeholdersOf } from "./check_transforms.ts";
 * assert.deepEqual(placeholdersOf("{parent.owner.login}/{repo}"), ["parent.owner.login", "repo"]);
 * assert.deepEqual(placeholdersOf(3), []);
 * ```
 */
export function placeholdersOf(value: unknown): string[] {
  if (typeof value !== "string") return [];
  return [...value.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
}

/**
 * Check the `transforms` of stream `at` (a label such as
 * `connector "gh": stream "issues"`): each one an object with exactly one of
 * `add`, `rename`, `drop`, `keep`, of the right shape, and every placeholder
 * one the run can fill: `{parent.<path>}` on a dependent stream, `{<name>}`
 * for a connector option or the parent placeholder. Throws
 * {@linkcode ConfigError} naming the transform and field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTransforms } from "./check_transforms.ts";
 * import { ConfigError } from "./errors.ts";
 * const stream = { path: "/x", primaryKey: "id", transforms: [{ rename: { _id: "id" } }] };
 * checkTransforms("s", stream, {});
 * assert.throws(
 *   () => checkTransforms("s", { ...stream, transforms: [{ add: { repo: "{parent.name}" } }] }, {}),
 *   ConfigError,
 * );
 * ```
 */
export function checkTransforms(
  at: string,
  stream: Pick<StreamDef, "transforms" | "parent">,
  options: ConnectorDef["options"] & object | Record<string, never>,
): void {
  const list = stream.transforms;
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    throw new ConfigError(`${at}: transforms must be a list`);
  }
  list.forEach((t: Transform, i) => {
    const here = `${at}: transforms[${i}]`;
    const keys = typeof t === "object" && t !== null ? Object.keys(t) : [];
    if (keys.length !== 1 || !KINDS.includes(keys[0] as typeof KINDS[0])) {
      throw new ConfigError(
        `${here} must be an object with exactly one of ${
          KINDS.join(", ")
        }; got ${keys.length ? keys.join(", ") : JSON.stringify(t)}`,
      );
    }
    checkOne(`${here}.${keys[0]}`, t, stream, options);
  });
}

function checkOne(
  at: string,
  t: Transform,
  stream: Pick<StreamDef, "parent">,
  options: Record<string, unknown>,
): void {
  const fail = (m: string): never => {
    throw new ConfigError(`${at} ${m}`);
  };
  const isRecord = (v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) &&
    Object.keys(v).length > 0;
  if ("add" in t) {
    if (!isRecord(t.add)) fail("must be an object of fields to set");
    for (const [k, v] of Object.entries(t.add)) {
      if (!FIELD.test(k)) fail(`names a bad field ${JSON.stringify(k)}`);
      if (!SCALAR(v)) fail(`.${k} must be a string, number, boolean or null`);
      for (const p of placeholdersOf(v)) checkPlaceholder(`${at}.${k}`, p);
    }
  } else if ("rename" in t) {
    if (!isRecord(t.rename)) fail("must be an object of old: new names");
    for (const [k, v] of Object.entries(t.rename)) {
      if (typeof v !== "string" || !FIELD.test(v) || !FIELD.test(k)) {
        fail(`.${k} must be a new field name; got ${JSON.stringify(v)}`);
      }
    }
  } else if ("drop" in t) {
    if (
      !Array.isArray(t.drop) || t.drop.length === 0 ||
      t.drop.some((f) => typeof f !== "string" || !FIELD.test(f))
    ) fail("must be a list of field names");
  } else {
    const k = t.keep as Record<string, unknown>;
    const tests = ["equals", "notEquals"].filter((n) => Object.hasOwn(k, n));
    if (
      typeof k !== "object" || k === null || typeof k.field !== "string" ||
      !isDotPath(k.field) || tests.length !== 1 ||
      Object.keys(k).length !== 2 || !SCALAR(k[tests[0]!])
    ) {
      fail(
        `must be { field, equals } or { field, notEquals } with a dot path and a string, number, boolean or null; got ${
          JSON.stringify(k)
        }`,
      );
    }
  }

  function checkPlaceholder(where: string, p: string): void {
    if (p.startsWith("parent.")) {
      if (!stream.parent) {
        fail(
          `uses {${p}} but the stream has no parent (only a dependent stream has a parent record)`,
        );
      }
      if (!isDotPath(p.slice(7))) fail(`has a bad placeholder {${p}}`);
      return;
    }
    const as = stream.parent ? stream.parent.as ?? stream.parent.field : "";
    if (p !== as && !Object.hasOwn(options, p)) {
      throw new ConfigError(
        `${where} uses {${p}}, which is neither {parent.<field>} nor a connector option${
          as ? ` nor the parent placeholder {${as}}` : ""
        }`,
      );
    }
  }
}
