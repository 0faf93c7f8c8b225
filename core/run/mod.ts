/**
 * One run: `pull()` and a stream's run (lanes, checkpoints, resume).
 *
 * @module
 */
export * from "./pull.ts";
export * from "./stream_run.ts";
