// A pull and the demo in a real terminal (tmux, 80 columns), read off the
// screen: every progress line fits (none wraps, none left stale by a
// redraw, after a resize too), the Ctrl-C notice stays visible, and the
// cursor is shown again after the exit (130).
import assert from "node:assert/strict";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { ROOT } from "../../_cli.ts";
import { withTempDir } from "../../_lake.ts";
import {
  hasTmux,
  type PtySession,
  type Screen,
  startTmux,
} from "../../_tmux.ts";
import { hasScript, startScript } from "../../_script_pty.ts";

// tmux where it is installed, else util-linux `script` read through
// xterm.js (no resize there); INLET_TEST_PTY=script picks `script`.
const forced = Deno.env.get("INLET_TEST_PTY");
const PTY = forced !== "script" && await hasTmux()
  ? "tmux"
  : await hasScript()
  ? "script"
  : undefined;
if (!PTY) {
  console.warn(
    "terminal_test: skipped: neither tmux nor script (util-linux) is installed: apt-get install -y tmux",
  );
}
const startPty = (
  command: string,
  options: { columns: number; rows: number; env: Record<string, string> },
): Promise<PtySession> =>
  PTY === "tmux" ? startTmux(command, options) : startScript(command, options);

// Ctrl-C reaches the whole foreground group, `sh` too: a trap keeps it
// waiting for the command's exit code, as an interactive shell does (the
// command itself gets the default disposition back).
const SHELL_WAITS = "trap true INT;";
const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const DENO = q(Deno.execPath());
const PROGRESS =
  /^demo\/items {2}[\d,]+ records {2}[\d,]+ pages {2}[\d,]+ rec\/s {2}in flight \d+, limit \d+( \(draining\))?( {2}retries \d+)?( {2}429s \d+)?$/;
const NOTICE =
  "SIGINT: stopping; in-flight pages land and are committed (again to abort)";

/** The screen holds exactly one whole progress line (cut to `columns`). */
function oneLiveLine(screen: Screen, columns: number): boolean {
  const live = screen.lines.filter((l) => l.startsWith("demo/"));
  return live.length === 1 && live[0]!.length < columns;
}

/** What a frame may show: the task banner, lines of its own, progress. */
function assertFrame(screen: Screen, columns: number, own: RegExp): void {
  const text = screen.lines.join("\n");
  for (const line of screen.lines) {
    if (line === "" || own.test(line)) continue;
    assert.ok(line.length < columns, `wrapped at ${columns}:\n${text}`);
    const whole = PROGRESS.test(line) ||
      (line.startsWith("demo/items  ") && line.endsWith("…"));
    assert.ok(
      whole,
      `a stale or broken line ${JSON.stringify(line)}:\n${text}`,
    );
  }
  assert.equal(
    screen.lines.filter((l) => l.startsWith("demo/")).length,
    1,
    `one progress line:\n${text}`,
  );
}

/** After Ctrl-C: the notice, a table that fits, exit 130, the cursor back. */
function assertStopped(screen: Screen): void {
  const text = screen.lines.join("\n");
  assert.ok(screen.lines.includes(NOTICE), `the stop notice:\n${text}`);
  assert.ok(
    screen.lines.includes("exit=130"),
    `exit 130 on its own row:\n${text}`,
  );
  assert.ok(screen.cursorVisible, `cursor hidden after exit:\n${text}`);
  const at = screen.lines.findIndex((l) => /^stream\s+records\s/.test(l));
  assert.ok(
    at > screen.lines.indexOf(NOTICE),
    `table below the notice:\n${text}`,
  );
  const end = screen.lines.findIndex((l, i) =>
    i > at && !/^\S+(\s{2,}[\d,.]+)+$/.test(l)
  );
  assert.ok(end > at + 1, `a row per stream:\n${text}`);
  for (const l of screen.lines.slice(at, end)) {
    assert.ok(l.length <= 80, `the table wraps at 80:\n${text}`);
  }
}

Deno.test({
  name:
    "terminal: a pull at 80 columns fits, survives a resize, and Ctrl-C leaves the notice, the table and the cursor",
  ignore: !PTY,
  async fn() {
    await using api = await startApiServer({
      records: 1_000_000,
      latencyMs: 20,
      capacity: 32,
    });
    await withTempDir("inlet-terminal-", async (lake) => {
      const term = await startPty(
        `${SHELL_WAITS} cd ${q(ROOT)} && ${DENO} task pull demo --base-url ${
          q(api.url)
        } --lake ${q(lake)}; echo exit=$?; sleep 120`,
        { columns: 80, rows: 40, env: { NO_COLOR: "1" } },
      );
      try {
        // Deno's task banner is not the CLI's; all else on screen is.
        const banner = /^Task pull /;
        let screen = await term.waitFor(
          "a progress line",
          (s) => oneLiveLine(s, 80),
        );
        assertFrame(screen, 80, banner);
        // A few redraws later: still one whole line, nothing left behind.
        screen = await term.waitFor("a later redraw", (s) => {
          const line = s.lines.find((l) => l.startsWith("demo/"));
          return line !== undefined &&
            line !== screen.lines.find((l) => l.startsWith("demo/"));
        });
        assertFrame(screen, 80, banner);
        if (term.resize) {
          await term.resize(60);
          screen = await term.waitFor(
            "the line cut to 60 columns",
            // Not the line drawn at 80 before the resize, which may end in
            // "…" too when the status is long.
            (s) =>
              s.lines.some((l) =>
                l.startsWith("demo/") && l.endsWith("…") && l.length < 60
              ),
          );
          assertFrame(screen, 60, banner);
          await term.resize(80);
          screen = await term.waitFor(
            "the line at 80 columns again",
            (s) => s.lines.some((l) => PROGRESS.test(l)),
          );
          assertFrame(screen, 80, banner);
        }
        await term.keys("C-c");
        screen = await term.waitFor(
          "the exit",
          (s) => s.lines.some((l) => l.startsWith("exit=")),
        );
        assertStopped(screen);
      } finally {
        await term.close();
      }
    });
  },
});

Deno.test({
  name:
    "terminal: Ctrl-C during the demo stops it gracefully: the notice, exit 130, the cursor and a prompt on a fresh row",
  ignore: !PTY,
  async fn() {
    await withTempDir("inlet-terminal-demo-", async (cwd) => {
      const term = await startPty(
        `${SHELL_WAITS} cd ${q(cwd)} && ${DENO} run --config ${
          q(`${ROOT}/deno.json`)
        } --allow-net=127.0.0.1 --allow-env --allow-read --allow-write --allow-run --allow-sys ${
          q(`${ROOT}/core/cli/demo.ts`)
        }; echo exit=$?; sleep 120`,
        { columns: 80, rows: 40, env: { NO_COLOR: "1" } },
      );
      try {
        const own = /^sample API on /;
        const screen = await term.waitFor(
          "a progress line",
          (s) => oneLiveLine(s, 80),
        );
        assertFrame(screen, 80, own);
        await term.keys("C-c");
        assertStopped(
          await term.waitFor(
            "the exit",
            (s) => s.lines.some((l) => l.startsWith("exit=")),
          ),
        );
      } finally {
        await term.close();
      }
    });
  },
});
