/**
 * Concurrency helpers with no I/O of their own: `pooledMap()`, backoff,
 * a mutex, a work queue and a demand gate.
 *
 * @module
 */
export * from "./backoff.ts";
export * from "./demand_gate.ts";
export * from "./mutex.ts";
export * from "./pool.ts";
export * from "./work_queue.ts";
