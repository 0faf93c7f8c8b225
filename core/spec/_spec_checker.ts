/**
 * The checks every field of a spec goes through, each failing with a
 * {@linkcode ConfigError} that names the spec and the field's path.
 *
 * @module
 */
import { closest, ConfigError } from "../connector/mod.ts";

/** What a field's value must be. */
export type Kind =
  | "name"
  | "text"
  | "int0"
  | "int1"
  | "number"
  | "bool"
  | "scalar"
  | readonly string[];

/** Checks the fields of one spec, whose errors name it by `source`. */
export class SpecChecker {
  /** The connector's name, once checked: messages about a stream name it. */
  connector: string | undefined;

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

/** The path of `key` inside `path` (the top when `path` is empty). */
export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** A value as an error shows it: JSON, cut short past 60 characters. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
