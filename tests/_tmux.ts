/**
 * A real terminal for tests (see also `_script_pty.ts`, where tmux is
 * missing): a command run in a detached tmux session of a
 * given size, its screen read with `capture-pane`, keys sent with
 * `send-keys`. Each session lives on a tmux server of its own (`-L`, a
 * unique socket name) that `close()` kills, so a test never touches a
 * developer's tmux.
 *
 * @module
 */

/** Whether `command` runs (`arg` being its version flag). */
export async function canRun(command: string, arg: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args: [arg],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** Whether tmux is installed. */
export function hasTmux(): Promise<boolean> {
  return canRun("tmux", "-V");
}

/** What the terminal shows. */
export interface Screen {
  /**
   * The lines of the screen and of the history above it (where a resize
   * pushes rows), a line the terminal wrapped joined again (so a wrapped
   * line is one entry longer than the width), trailing blanks cut.
   */
  lines: string[];
  /** Whether the cursor is shown. */
  cursorVisible: boolean;
}

/** A command running in a terminal. */
export interface PtySession {
  /** The screen now. */
  screen(): Promise<Screen>;
  /** Send keys (`C-c` is Ctrl-C), as `tmux send-keys` names them. */
  keys(...keys: string[]): Promise<void>;
  /** Resize the window to `columns` wide; absent where the terminal cannot. */
  resize?: (columns: number) => Promise<void>;
  /**
   * Poll the screen until `done` says so, every 100 ms for at most
   * `timeoutMs`; throws with the last screen otherwise.
   */
  waitFor(
    what: string,
    done: (screen: Screen) => boolean,
    timeoutMs?: number,
  ): Promise<Screen>;
  /** Kill the session and its tmux server. */
  close(): Promise<void>;
}

/**
 * Poll `screen` until `done` says so, every 100 ms for at most `timeoutMs`;
 * throws with the last screen otherwise.
 */
export async function waitForScreen(
  screen: () => Promise<Screen>,
  what: string,
  done: (screen: Screen) => boolean,
  timeoutMs = 60_000,
): Promise<Screen> {
  let last: Screen = { lines: [], cursorVisible: true };
  for (let waited = 0; waited <= timeoutMs; waited += 100) {
    last = await screen();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `Cannot see ${what} on the terminal within ${timeoutMs} ms; it shows:\n${
      last.lines.join("\n")
    }`,
  );
}

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `Cannot run tmux ${args.join(" ")}: ${dec.decode(out.stderr)}`,
    );
  }
  return dec.decode(out.stdout);
}

/**
 * Start `command` (run by `sh -c`) in a new detached tmux session
 * `columns` x `rows`; the pane stays after the command ends, so its last
 * screen can be read.
 */
export async function startTmux(
  command: string,
  { columns = 80, rows = 40, env = {} }: {
    columns?: number;
    rows?: number;
    env?: Record<string, string>;
  } = {},
): Promise<PtySession> {
  const id = `inlet-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const base = ["-L", id, "-f", "/dev/null"];
  const exports = Object.entries(env).map(([k, v]) =>
    `export ${k}='${v.replaceAll("'", "'\\''")}';`
  ).join(" ");
  await run([
    ...base,
    "new-session",
    "-d",
    "-s",
    id,
    "-x",
    String(columns),
    "-y",
    String(rows),
    "sh",
    "-c",
    `${exports} ${command}`,
  ]);
  await run([...base, "set-option", "-t", id, "remain-on-exit", "on"]);
  const session: PtySession = {
    async screen() {
      const text = await run([
        ...base,
        "capture-pane",
        "-p",
        "-J",
        "-S",
        "-",
        "-t",
        id,
      ]);
      const flag = await run([
        ...base,
        "display-message",
        "-p",
        "-t",
        id,
        "#{cursor_flag}",
      ]);
      const lines = text.split("\n").map((l) => l.trimEnd());
      while (lines.length && lines.at(-1) === "") lines.pop();
      return { lines, cursorVisible: flag.trim() === "1" };
    },
    async keys(...keys) {
      await run([...base, "send-keys", "-t", id, ...keys]);
    },
    async resize(columns) {
      await run([
        ...base,
        "resize-window",
        "-t",
        id,
        "-x",
        String(columns),
      ]);
    },
    waitFor: (what, done, timeoutMs) =>
      waitForScreen(() => session.screen(), what, done, timeoutMs),
    async close() {
      await run([...base, "kill-session", "-t", id]).catch(() => {});
      await run([...base, "kill-server"]).catch(() => {});
    },
  };
  return session;
}
