// README commands work exactly as written, in order, on a fresh copy of the
// repository (#16.7): every line of every ```sh block runs in one bash
// session (so `&`, `kill %1` and `export` behave as in a terminal), except
// lines whose comment ends "needs the internet", the line that runs this
// very test suite, and the block run in a user's own repository (which
// tests/template_test.ts runs there).
import assert from "node:assert/strict";
import { ROOT } from "./_cli.ts";
import { withTempDir } from "./_lake.ts";

interface Line {
  text: string;
  skip?: string;
}

/** Each line of each `sh` block, in order, and why it is skipped. */
export function readmeLines(readme: string): Line[] {
  const lines: Line[] = [];
  const blocks = readme.matchAll(
    /(<!--[^\n]*-->\s*\n)?( *)```sh\n([\s\S]*?)\n\s*```/g,
  );
  for (const m of blocks) {
    const elsewhere = /<!-- sh: in your repository/.test(m[1] ?? "");
    for (const raw of m[3]!.split("\n")) {
      const text = raw.trim();
      if (text === "") continue;
      const skip = elsewhere
        ? "runs in a user's repository (tests/template_test.ts)"
        : /#.*needs the internet\s*$/.test(text)
        ? "needs the internet"
        : /\btask test\b/.test(text)
        ? "the whole test suite, this test among them"
        : undefined;
      lines.push(skip ? { text, skip } : { text });
    }
  }
  return lines;
}

/** The working copy as a fresh clone would hold it: tracked and new files, none ignored. */
async function copyRepository(to: string): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assert(out.success, "git ls-files failed");
  const files = new TextDecoder().decode(out.stdout).split("\0").filter(
    Boolean,
  );
  for (const f of files) {
    const from = `${ROOT}/${f}`;
    if (!(await Deno.stat(from).catch(() => null))?.isFile) continue;
    await Deno.mkdir(`${to}/${f}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.copyFile(from, `${to}/${f}`);
  }
}

/** One bash script: each line, then a status marker (a background line has none). */
function script(lines: Line[]): string {
  const body = lines.flatMap((l, i) =>
    l.skip
      ? []
      : /&\s*(#.*)?$/.test(l.text)
      ? [`echo "@@run ${i}"`, l.text]
      : [`echo "@@run ${i}"`, l.text, `echo "@@status ${i} $?"`]
  );
  // A line that fails before its `kill %1` leaves no server behind.
  const trap = "trap 'kill $(jobs -p) 2>/dev/null' EXIT";
  return ["exec 2>&1", trap, ...body, 'echo "@@end"'].join("\n");
}

Deno.test("README: every sh line that needs no internet runs as written, in order, in a fresh copy", async () => {
  const lines = readmeLines(await Deno.readTextFile(`${ROOT}/README.md`));
  const run = lines.filter((l) => !l.skip);
  // The check is not vacuous: the quick start, the pulls, the scaffold.
  for (
    const expected of [
      /task demo/,
      /task list/,
      /task pull demo/,
      /task new books/,
    ]
  ) {
    assert(run.some((l) => expected.test(l.text)), `no line runs ${expected}`);
  }
  await withTempDir("inlet-readme-", async (dir) => {
    await copyRepository(dir);
    const child = new Deno.Command("bash", {
      args: ["-c", script(lines)],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Bounded: the demo, a local pull and the scaffold take well under this.
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    let out: string;
    try {
      out = new TextDecoder().decode((await child.output()).stdout);
    } finally {
      clearTimeout(timer);
    }
    assert.match(out, /@@end/, `the script did not finish:\n${out}`);
    const failed = [...out.matchAll(/^@@status (\d+) (\d+)$/gm)]
      .filter((m) => m[2] !== "0")
      .map((m) => `${lines[Number(m[1])]!.text} (exit ${m[2]})`);
    assert.deepEqual(failed, [], out);
    const ran = [...out.matchAll(/^@@status (\d+) /gm)].length;
    assert.equal(ran, run.filter((l) => !/&\s*(#.*)?$/.test(l.text)).length);
    // What the lines say they do, they did.
    assert.match(out, /records in [\d.]+ s -> \.\/lake\/demo\//);
    assert(await Deno.stat(`${dir}/connectors/books.ts`).catch(() => null));
  });
});
