/**
 * The unit of data: {@linkcode Row}.
 *
 * @module
 */

/**
 * One record as it lands in the lake: a flat-ish JSON object.
 *
 * @example
 * ```ts
 * import type { Row } from "./row.ts";
 * const row: Row = { id: 1, name: "a" };
 * ```
 */
export type Row = Record<string, unknown>;
