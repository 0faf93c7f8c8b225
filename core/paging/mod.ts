/**
 * Pure paginators (the last response in, the next request(s) out) and
 * `paginate()`, the page loop that drives them through the HTTP client.
 *
 * @module
 */
export * from "./paginate.ts";
export * from "./paginators.ts";
