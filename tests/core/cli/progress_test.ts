// The live lines' escape sequences, with the width and clock injected: cut to
// the width, the redraw moves up over the rows the last frame takes at
// today's width, a note stays above the frame, and the cursor comes back.
import assert from "node:assert/strict";
import { Progress, summaryTable } from "../../../core/cli/progress.ts";
import { newStreamStats } from "../../../core/paging/paginate.ts";
import type { RunSummary } from "../../../core/run/pull.ts";

function live(columns: { n: number }) {
  let out = "";
  const p = new Progress({
    write: (t) => out += t,
    terminal: true,
    // No tick during the test: each note() redraws at once.
    intervalMs: 1e9,
    now: () => 1000,
    columns: () => columns.n,
  });
  const stats = newStreamStats();
  stats.records = 123_456;
  stats.pages = 2_469;
  stats.inFlight = 40;
  p.attach({
    runId: "r",
    streams: new Map([["a_rather_long_stream_name", stats]]),
    limits: () => ({ "127.0.0.1:8787": 16 }),
    traces: () => ({}),
  }, "connector");
  return { p, take: () => [out, out = ""][0]! };
}

Deno.test("progress: lines fit the width, a narrower terminal is redrawn from the right row, a note stays above", () => {
  const columns = { n: 80 };
  const { p, take } = live(columns);
  p.start();
  assert.equal(take(), "\x1b[?25l");
  p.note("first\n");
  const frame = take();
  assert.ok(frame.startsWith("first\x1b[K\n"), "nothing to move up over yet");
  const line = frame.split("\n")[1]!.replace("\x1b[K", "");
  assert.ok(line.startsWith("connector/a_rather_long_stream_name  123,456"));
  assert.equal([...line].length, 79, "cut to the width less one");
  assert.ok(line.endsWith("…"));
  columns.n = 40; // the terminal narrowed: its 79-column row now takes 2
  p.note("SIGINT: stopping\n");
  const next = take();
  assert.ok(next.startsWith("\x1b[2FSIGINT: stopping\x1b[K\n"), next);
  assert.equal([...next.split("\n")[1]!.replace("\x1b[K", "")].length, 39);
  assert.ok(next.endsWith("\x1b[K\n\x1b[J"), "clears what is left below");
  assert.ok(!next.includes("\x1b[2J"));
  p.stop();
  const end = take();
  assert.ok(end.startsWith("\x1b[1F"), "the note is not redrawn over");
  assert.ok(end.endsWith("\x1b[?25h"));
  p.stop();
  assert.equal(take(), "", "stop twice is safe");
});

Deno.test("progress: in flight above a lowered limit says draining", () => {
  const { p } = live({ n: 200 });
  assert.match(p.lines()[0]!, /in flight 40, limit 16 \(draining\)$/);
});

Deno.test("progress: the cursor comes back when the process exits mid-run", () => {
  const { p, take } = live({ n: 80 });
  p.start();
  take();
  globalThis.dispatchEvent(new Event("unload"));
  assert.equal(take(), "\x1b[?25h");
  p.stop();
});

Deno.test("progress: the summary table fits 80 columns whatever the stream's name", () => {
  const stream = {
    stream: "pull_request_review_comments_of_every_repository",
    records: 12_345_678,
    pages: 123_457,
    requests: 123_500,
    retries: 43,
    throttled: 12,
    bytes: 9_876_543_210,
    bytesWritten: 1,
    files: 250,
    durationMs: 3_600_000,
    maxInFlight: 256,
    complete: true,
  };
  const summary: RunSummary = {
    runId: "r",
    connector: "github",
    status: "ok",
    startedAt: "",
    durationMs: 3_600_000,
    records: stream.records,
    pages: stream.pages,
    requests: stream.requests,
    retries: stream.retries,
    bytes: stream.bytes,
    limits: {},
    limitTrace: {},
    errors: [],
    warnings: [],
    streams: [stream, { ...stream, stream: "issues" }],
  };
  const lines = summaryTable(summary).split("\n");
  for (const l of lines) assert.ok(l.length <= 80, `${l.length}: ${l}`);
  assert.match(lines[1]!, /^pull_\S*… {2}12,345,678/);
  assert.match(lines[2]!, /^issues\s+12,345,678/);
});
