/**
 * The exit codes of the `inlet` command line.
 *
 * @module
 */

/** Exit codes of the CLI. */
export const ExitCode = {
  /** The run did what was asked. */
  Ok: 0,
  /** The run failed (an error is printed). */
  Failed: 1,
  /** Bad usage: unknown flag or connector, bad value. */
  Usage: 2,
  /** Stopped by SIGINT after committing what landed. */
  Interrupted: 130,
  /** Stopped by SIGTERM after committing what landed. */
  Terminated: 143,
} as const;
