/**
 * Values converted to a declared column type, exactly or not at all: each
 * converter returns what the column's Parquet type stores, or throws an
 * `Error` saying why the value does not fit (never a rounded or truncated
 * value, never a null in its place).
 *
 * @module
 */
import { decimalOf } from "../connector/column_type.ts";
import { exactJson } from "../connector/exact_json.ts";
import { parseTimestamp } from "./parse_timestamp.ts";

/** A value as its column stores it, or an `Error` saying why it cannot be. */
export type Converter = (value: unknown) => unknown;

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;
const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const DAY_MS = 86_400_000;

const show = (v: unknown) => {
  const s = typeof v === "string" ? JSON.stringify(v) : exactJson(v);
  return s === undefined
    ? String(v)
    : s.length > 60
    ? `${s.slice(0, 57)}...`
    : s;
};

function fail(value: unknown, why: string): never {
  throw new Error(`${show(value)} ${why}`);
}

/** A number, bigint or numeric string as decimal text (no exponent lost). */
function numericText(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(value, "is not a finite number");
    return String(value);
  }
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  return fail(value, "is not a number");
}

/**
 * `value` times 10^scale as an exact integer; a value with more fraction
 * digits than `scale` (other than trailing zeros) is an error, not rounded.
 */
export function scaled(value: unknown, scale: number, what: string): bigint {
  const m = NUMBER.exec(numericText(value));
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) {
    return fail(value, "is not a number");
  }
  const exp = Number(m[4] ?? 0) + scale;
  let digits = `${m[2]}${m[3] ?? ""}`;
  let point = m[2]!.length + exp; // where the point falls in `digits`
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  const whole = digits.slice(0, point).padEnd(point, "0");
  const rest = digits.slice(point);
  if (/[1-9]/.test(rest)) {
    fail(value, `has more digits after the point than ${what} keeps`);
  }
  const n = BigInt(whole === "" ? "0" : whole);
  return m[1] === "-" ? -n : n;
}

function integer(value: unknown, min: bigint, max: bigint, what: string) {
  if (typeof value === "boolean") return fail(value, "is not an integer");
  if (typeof value === "string" && !/^\s*[+-]?\d+\s*$/.test(value)) {
    return fail(value, "is not an integer");
  }
  if (typeof value === "number" && !Number.isInteger(value)) {
    return fail(value, "is not an integer");
  }
  const n = scaled(value, 0, what);
  if (n < min || n > max) fail(value, `is out of range for ${what}`);
  return n;
}

function float(value: unknown, max: number, what: string): number {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "bigint") {
    n = Number(value);
    if (BigInt(n) !== value) fail(value, `is not exact as a ${what}`);
  } else if (typeof value === "string" && NUMBER.test(value.trim())) {
    n = Number(value);
  } else return fail(value, "is not a number");
  if (!Number.isFinite(n) || Math.abs(n) > max) {
    fail(value, `is out of range for ${what}`);
  }
  return n;
}

/** Epoch seconds (`scale` 6) or milliseconds (3) as exact microseconds. */
function micros(value: unknown, scale: number, what: string): bigint {
  if (typeof value === "boolean") return fail(value, "is not a number");
  const n = scaled(value, scale, what);
  if (n < INT64_MIN || n > INT64_MAX) {
    fail(value, `is out of range for ${what}`);
  }
  return n;
}

function date(value: unknown): number {
  const m = typeof value === "string"
    ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
    : null;
  if (m === null) return fail(value, "is not a date (YYYY-MM-DD)");
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== value) {
    fail(value, "is not a date (YYYY-MM-DD)");
  }
  return ms / DAY_MS;
}

function text(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "bigint":
    case "boolean":
      return String(value);
  }
  if (value instanceof Date) return value.toISOString();
  return fail(value, 'is not a scalar (declare the column "json")');
}

function timestamp(value: unknown): bigint {
  if (value instanceof Date) return BigInt(value.getTime()) * 1000n;
  const us = typeof value === "string" ? parseTimestamp(value) : undefined;
  if (us === undefined) {
    fail(
      value,
      'is not an ISO-8601 date-time (declare "timestamp_s" or "timestamp_ms" for epoch numbers)',
    );
  }
  return us;
}

/**
 * The converter of a declared type (`"long"`, `"decimal(18,2)"`, ...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { declaredConverter } from "./_declared_convert.ts";
 * assert.equal(declaredConverter("decimal(18,2)")("12.5"), 1250n);
 * assert.equal(declaredConverter("timestamp_s")(1.5), 1_500_000n);
 * assert.equal(declaredConverter("timestamp_ms")("1700000000123"), 1_700_000_000_123_000n);
 * assert.throws(() => declaredConverter("decimal(18,2)")(0.125), /more digits after the point/);
 * assert.throws(() => declaredConverter("long")("12a"), /is not an integer/);
 * ```
 */
export function declaredConverter(type: string): Converter {
  const d = decimalOf(type);
  if (d !== undefined) {
    const limit = 10n ** BigInt(d.precision);
    return (v) => {
      if (typeof v === "boolean") return fail(v, "is not a number");
      const n = scaled(v, d.scale, type);
      if (n >= limit || n <= -limit) {
        fail(v, `has more digits than ${type} holds`);
      }
      return n;
    };
  }
  switch (type) {
    case "long":
      return (v) => integer(v, INT64_MIN, INT64_MAX, "long");
    case "int":
      return (v) => Number(integer(v, -(2n ** 31n), 2n ** 31n - 1n, "int"));
    case "double":
      return (v) => float(v, Number.MAX_VALUE, "double");
    case "float":
      return (v) => float(v, FLOAT_MAX, "float");
    case "boolean":
      return (v) =>
        typeof v === "boolean"
          ? v
          : v === "true" || v === "false"
          ? v === "true"
          : fail(v, "is not a boolean");
    case "string":
      return text;
    case "timestamp":
      return timestamp;
    case "timestamp_s":
      return (v) => micros(v, 6, "timestamp_s (microseconds)");
    case "timestamp_ms":
      return (v) => micros(v, 3, "timestamp_ms (microseconds)");
    case "date":
      return date;
    case "json":
      return (v) => v; // The JSON column writes its text.
  }
  throw new TypeError(`Cannot convert to the unknown column type ${type}`);
}
