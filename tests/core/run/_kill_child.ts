/**
 * Kill a CLI pull at a point of its progress, not of the clock: the child
 * runs with `--log-format json` and `INLET_CRASH_HOLD` (see
 * `_crash_hold.ts`), and the test reads its stderr events and SIGKILLs it,
 * by its handle, once every stream holds at that point or has finished.
 *
 * @module
 */
import { spawnCli } from "../../_cli.ts";

/** A hold point of `_crash_hold.ts`. */
export type KillPoint =
  | "open"
  | `between:${number}`
  | `staged:${number}`
  | `hinting:${number}`;

/** How one child ended. */
export interface ChildEnd {
  /** It died by our SIGKILL with every stream at its point or finished. */
  killed: boolean;
  /** Its exit code (137 when killed). */
  code: number;
  /** Its stderr: one JSON event per line. */
  stderr: string;
  /** Streams that held at the point when it was killed. */
  held: Set<string>;
  /** Streams whose sweep completed in this run (they hold nowhere). */
  completed: Set<string>;
  /** Some stream got neither far within the time bound (then it was killed). */
  timedOut: boolean;
}

/** Parse one stderr line; a line that is not JSON (a panic) is kept as text. */
function event(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line);
  } catch {
    return { type: "text", line };
  }
}

/**
 * Run the CLI (`entry`, `args` plus `--log-format json`) holding at `point`
 * and SIGKILL it once each of `streams` (`connector/stream`) holds there or
 * has completed its sweep; it may also end by itself. The kill waits on the
 * child's own events only; `timeoutMs` bounds a child that never gets there.
 */
export async function runToKill(
  args: readonly string[],
  entry: string,
  point: KillPoint,
  streams: readonly string[],
  timeoutMs = 60_000,
): Promise<ChildEnd> {
  const child = spawnCli([...args, "--log-format", "json"], {
    entry,
    env: { INLET_CRASH_HOLD: point },
  });
  let why: "point" | "timeout" | undefined;
  const kill = (reason: "point" | "timeout") => {
    if (why) return;
    why = reason;
    try {
      child.kill("SIGKILL");
    } catch {
      // It ended on its own just now: the status says so.
    }
  };
  const timer = setTimeout(() => kill("timeout"), timeoutMs);
  const held = new Set<string>();
  const completed = new Set<string>();
  let stderr = "";
  let rest = "";
  try {
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      stderr += chunk;
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const e of lines.filter((l) => l !== "").map(event)) {
        if (e.type === "crash_hold") held.add(String(e.stream));
        if (e.type === "commit" && e.sweep === "complete") {
          completed.add(String(e.stream));
        }
      }
      // Not when every stream completed: that run is over, and a restart
      // would be a new one.
      if (
        held.size > 0 && streams.every((s) => held.has(s) || completed.has(s))
      ) {
        kill("point");
      }
    }
  } finally {
    clearTimeout(timer);
  }
  const status = await child.status;
  return {
    killed: status.signal === "SIGKILL" && why === "point",
    code: status.code,
    stderr,
    held,
    completed,
    timedOut: why === "timeout",
  };
}
