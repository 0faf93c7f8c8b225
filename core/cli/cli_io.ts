/**
 * What the `inlet` command line is given: its standard streams and
 * environment, and how a pull is stopped and sandboxed.
 *
 * @module
 */

import type { ConnectorInfo } from "./connector_info.ts";

/** Where the CLI writes and what it reads; injected in tests. */
export interface CliIO {
  /** Standard output. */
  out: (text: string) => void;
  /** Standard error. */
  err: (text: string) => void;
  /** Whether stderr is a terminal (live progress lines). */
  terminal: boolean;
  /** Environment variables. */
  env: (name: string) => string | undefined;
}

/** How a pull is stopped and sandboxed; the real program wires signals and a child process. */
export interface CliRuntime {
  /** Graceful stop (SIGINT/SIGTERM): in-flight pages land and are committed. */
  stop?: AbortSignal;
  /** Abort at once (a second signal). */
  abort?: AbortSignal;
  /** The exit code of a graceful stop (130 for SIGINT, 143 for SIGTERM). */
  stopCode?: () => number;
  /**
   * Run the pull in a child process allowed only the connector's hosts and
   * secrets; resolves its exit code. Absent: the pull runs in this process.
   */
  sandbox?: (
    connector: ConnectorInfo,
    name: string,
    argv: string[],
    opts: SandboxRequest,
  ) => Promise<number>;
  /**
   * Install the signal handlers (only a pull running in this process needs
   * them); `notice` prints what a signal does, above live progress lines.
   */
  listen?: (notice: (text: string) => void) => void;
}

/** What the sandbox needs to know about a pull. */
export interface SandboxRequest {
  /** The lake (folder or `s3://`). */
  lake: string;
  /** A `--base-url` override. */
  baseUrl?: string;
  /** Extra files the child reads (`--spec`). */
  read: string[];
}
