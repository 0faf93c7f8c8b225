/**
 * Concurrency helpers with no I/O of their own: `pooledMap()`, backoff,
 * a mutex and a work queue.
 *
 * @module
 */
export * from "./backoff.ts";
export * from "./mutex.ts";
export * from "./pool.ts";
export * from "./work_queue.ts";
