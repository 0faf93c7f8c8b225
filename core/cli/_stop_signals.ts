/**
 * How a run counts its stop signals: the first SIGINT or SIGTERM stops
 * gracefully, the second aborts. A sandboxed pull's child shares its
 * parent's process group, so one Ctrl-C reaches it twice: from the
 * terminal, and forwarded by the parent (which cannot tell that signal
 * from one sent to it alone). Counting each source apart and acting on the
 * larger count makes that one press one stop. `deno task` passes its own
 * SIGINT on to the CLI as well, so a process can get one press twice from
 * two sources; the kernel merges them when they arrive together, but not
 * always: signals of one source closer than `sameWithinMs` count once.
 *
 * @module
 */

/** A stop signal. */
export type StopSignal = "SIGINT" | "SIGTERM";

/**
 * What the user reads when a signal arrives (the JSON log says it as an
 * event instead).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stopNotice } from "./_stop_signals.ts";
 * assert.match(stopNotice("SIGINT", "stop"), /^SIGINT: stopping; /);
 * ```
 */
export function stopNotice(
  signal: StopSignal,
  action: "stop" | "abort",
): string {
  return action === "stop"
    ? `${signal}: stopping; in-flight pages land and are committed (again to abort)\n`
    : `${signal} again: aborting\n`;
}

/**
 * The stop and abort signals of a run, raised by counted signals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StopSignals } from "./_stop_signals.ts";
 * let now = 0;
 * const s = new StopSignals(() => {}, { now: () => now });
 * s.received("SIGINT");
 * s.forwarded("SIGINT"); // the same Ctrl-C, passed on by the parent
 * s.received("SIGINT"); // the same Ctrl-C again, passed on by `deno task`
 * assert.ok(s.stop.signal.aborted && !s.abort.signal.aborted);
 * now += 1000;
 * s.received("SIGINT"); // a second press
 * assert.ok(s.abort.signal.aborted);
 * ```
 */
export class StopSignals {
  /** Aborted by the first signal: stop gracefully. */
  readonly stop: AbortController = new AbortController();
  /** Aborted by the second signal: abort at once. */
  readonly abort: AbortController = new AbortController();
  /** The exit code of the graceful stop: 130 (SIGINT) or 143 (SIGTERM). */
  code = 130;
  #own = 0;
  #forwarded = 0;
  #level = 0;
  #lastOwn = -Infinity;
  #lastForwarded = -Infinity;
  #notify: (signal: StopSignal, action: "stop" | "abort") => void;
  #now: () => number;
  #sameWithinMs: number;

  /** `notify` tells the user what a signal does, before it is done. */
  constructor(
    notify: (signal: StopSignal, action: "stop" | "abort") => void,
    options: {
      /** Clock in milliseconds. @default {performance.now} */
      now?: () => number;
      /** Signals of one source this close together are one press. @default {300} */
      sameWithinMs?: number;
    } = {},
  ) {
    this.#notify = notify;
    this.#now = options.now ?? (() => performance.now());
    this.#sameWithinMs = options.sameWithinMs ?? 300;
  }

  /** A signal delivered to this process. */
  received(signal: StopSignal): void {
    const now = this.#now();
    if (now - this.#lastOwn >= this.#sameWithinMs) this.#own++;
    this.#lastOwn = now;
    this.#raise(signal);
  }

  /** A signal the parent received and passed on (maybe one we got too). */
  forwarded(signal: StopSignal): void {
    const now = this.#now();
    if (now - this.#lastForwarded >= this.#sameWithinMs) this.#forwarded++;
    this.#lastForwarded = now;
    this.#raise(signal);
  }

  #raise(signal: StopSignal): void {
    const level = Math.max(this.#own, this.#forwarded);
    if (level <= this.#level) return;
    this.#level = level;
    if (level >= 2) {
      if (!this.abort.signal.aborted) this.#notify(signal, "abort");
      this.abort.abort(new Error(`${signal} received twice: aborting`));
      return;
    }
    this.code = signal === "SIGINT" ? 130 : 143;
    this.#notify(signal, "stop");
    this.stop.abort(new Error(signal));
  }
}

/**
 * In a sandboxed pull's child: the parent passes its signals on as lines
 * on our stdin, and holds it open while it lives. End of input means it
 * died (even by SIGKILL): `exit` at once, as if killed with it, since a
 * pull left running alone would race the run that replaces it.
 *
 * @example
 * ```ts ignore
 * import { StopSignals, watchParent } from "./_stop_signals.ts";
 * watchParent(new StopSignals(() => {}), () => Deno.exit(1));
 * ```
 */
export function watchParent(
  signals: StopSignals,
  exit: () => void,
  input: ReadableStream<Uint8Array> = Deno.stdin.readable,
): void {
  (async () => {
    const dec = new TextDecoder();
    let pending = "";
    for await (const chunk of input) {
      pending += dec.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === "SIGINT" || line === "SIGTERM") signals.forwarded(line);
      }
    }
    exit();
  })();
}
