/**
 * A terminal for tests where tmux is missing: the command runs under
 * util-linux `script` (a pseudo-terminal, sized with `stty`), and what it
 * writes is read through xterm.js's headless terminal (`@xterm/headless`)
 * to get the screen. Ctrl-C is the byte 0x03 written to the pty, which its
 * line discipline turns into SIGINT for the foreground group, as a
 * terminal does. No resize: `stty` runs only before the command.
 *
 * @module
 */

import type { PtySession, Screen } from "./_tmux.ts";
import { canRun, waitForScreen } from "./_tmux.ts";

/** Whether util-linux `script` is installed. */
export function hasScript(): Promise<boolean> {
  return canRun("script", "--version");
}

/** Start `command` (run by `sh -c`) under `script`, `columns` x `rows`. */
export async function startScript(
  command: string,
  { columns = 80, rows = 40, env = {} }: {
    columns?: number;
    rows?: number;
    env?: Record<string, string>;
  } = {},
): Promise<PtySession> {
  const { Terminal } = (await import("@xterm/headless")).default;
  const term = new Terminal({
    cols: columns,
    rows,
    scrollback: 10_000,
    allowProposedApi: true,
  });
  const child = new Deno.Command("script", {
    args: [
      "-q",
      "-f",
      "-e",
      "-c",
      `stty cols ${columns} rows ${rows}; ${command}`,
      "/dev/null",
    ],
    env: { ...env, TERM: "xterm-256color" },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stdin = child.stdin.getWriter();
  let cursorVisible = true;
  let tail = "";
  let written = Promise.resolve();
  const dec = new TextDecoder();
  const pump = (async () => {
    for await (const chunk of child.stdout) {
      const text = dec.decode(chunk, { stream: true });
      // The last cursor mode the program set wins (one may span chunks).
      const seen = tail + text;
      tail = seen.slice(-5);
      const shown = seen.lastIndexOf("\x1b[?25h");
      const hidden = seen.lastIndexOf("\x1b[?25l");
      if (shown !== hidden) cursorVisible = shown > hidden;
      written = written.then(() =>
        new Promise<void>((r) => term.write(text, r))
      );
    }
  })();
  const screen = async (): Promise<Screen> => {
    await written;
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i)!;
      const text = line.translateToString(true);
      if (line.isWrapped && lines.length) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    const trimmed = lines.map((l) => l.trimEnd());
    while (trimmed.length && trimmed.at(-1) === "") trimmed.pop();
    return { lines: trimmed, cursorVisible };
  };
  return {
    screen,
    async keys(...keys) {
      for (const key of keys) {
        if (key !== "C-c") {
          throw new TypeError(`Cannot send ${key}: only C-c under script`);
        }
        await stdin.write(new Uint8Array([3]));
      }
    },
    waitFor: (what, done, timeoutMs) =>
      waitForScreen(screen, what, done, timeoutMs),
    async close() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
      await stdin.close().catch(() => {});
      await pump.catch(() => {});
      term.dispose();
    },
  };
}
