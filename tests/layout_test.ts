/**
 * The house rules of `core/`, read from the code itself: packages import
 * only downward in the order the README draws, a package's `_private.ts`
 * files are its own, no two files import each other (nor close a larger
 * loop), and no file or function grows past what one can hold in mind.
 *
 * Imports inside JSDoc examples are left out: an example is a test, and may
 * use a test server from a package above.
 */
import assert from "node:assert/strict";
import { ROOT } from "./_cli.ts";

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

/**
 * Files and functions still over a limit, each with the size it may not
 * grow past. Every entry is a debt to pay, not a licence: the test fails
 * when one grows, and when one fits, so that its entry goes.
 */
const OVERSIZE: Record<string, number> = {};

interface Source {
  /** Relative to the project, e.g. `core/http/http.ts`. */
  path: string;
  text: string;
}

async function sources(dir: string): Promise<Source[]> {
  const out: Source[] = [];
  for await (const e of Deno.readDir(`${ROOT}/${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await sources(path));
    else if (e.name.endsWith(".ts")) {
      out.push({ path, text: await Deno.readTextFile(`${ROOT}/${path}`) });
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The packages the README draws, from the top down. */
async function readmeOrder(): Promise<string[]> {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const block = readme.split("<!-- packages -->")[1];
  assert(block, 'README.md has no "<!-- packages -->" picture');
  const body = block.split("```")[1] ?? "";
  return [...body.matchAll(/^(\w+)\/\s/gm)].map((m) => m[1]!);
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)|(?:^|[\s;])import\s*["'](\.[^"']+)["']/g;

/** Relative module specifiers of `text`, comments (and so JSDoc) left out. */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(
    /^\s*\/\/.*$/gm,
    "",
  );
  return [...code.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

function resolve(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/** `core/http/http.ts` → `http`; `core/mod.ts` → undefined. */
function packageOf(path: string): string | undefined {
  const parts = path.split("/");
  return parts[0] === "core" && parts.length > 2 ? parts[1] : undefined;
}

async function graph() {
  const files = await sources("core");
  const edges = new Map<string, string[]>();
  for (const f of files) {
    edges.set(f.path, importsOf(f.text).map((s) => resolve(f.path, s)));
  }
  return { files, edges };
}

Deno.test("layout: core/ holds only mod.ts and package folders", async () => {
  const top = [];
  for await (const e of Deno.readDir(`${ROOT}/core`)) {
    if (e.isFile) top.push(e.name);
  }
  assert.deepEqual(top, ["mod.ts"]);
});

Deno.test("layout: the README draws every package, and each has a mod.ts", async () => {
  const order = await readmeOrder();
  const dirs: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/core`)) {
    if (e.isDirectory) dirs.push(e.name);
  }
  assert.deepEqual([...order].sort(), dirs.sort());
  for (const p of dirs) {
    const mod = await Deno.stat(`${ROOT}/core/${p}/mod.ts`).catch(() => null);
    assert(mod?.isFile, `core/${p}/ has no mod.ts`);
  }
});

Deno.test("layout: packages import only themselves and the packages below them", async () => {
  const order = await readmeOrder(); // top first
  const rank = (p: string) => order.length - order.indexOf(p);
  const { edges } = await graph();
  const wrong: string[] = [];
  for (const [from, tos] of edges) {
    const pf = packageOf(from);
    for (const to of tos) {
      const pt = packageOf(to);
      // Outside core/: the version from deno.json, and for the program
      // (cli/, the top) the connectors it runs.
      if (to === "deno.json") continue;
      if (!to.startsWith("core/")) {
        if (pf !== "cli" || !to.startsWith("connectors/")) {
          wrong.push(`${from} imports ${to}, outside core/`);
        }
        continue;
      }
      if (pf === undefined || pt === undefined || pf === pt) continue;
      if (rank(pt) > rank(pf)) {
        wrong.push(`${from} (${pf}) imports ${to} (${pt}), above it`);
      }
      if (to.split("/").at(-1)!.startsWith("_")) {
        wrong.push(`${from} imports ${to}, private to core/${pt}/`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("layout: no import cycle between files", async () => {
  const { edges } = await graph();
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") {
      cycles.push([...path.slice(path.indexOf(f)), f].join(" → "));
      return;
    }
    state.set(f, "open");
    for (const to of edges.get(f) ?? []) visit(to, [...path, f]);
    state.set(f, "done");
  };
  for (const f of edges.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

const NOT_FUNCTIONS = new Set([
  "if",
  "for",
  "while",
  "switch",
  "catch",
  "return",
  "typeof",
  "super",
  "await",
  "new",
  "throw",
  "yield",
]);

/**
 * Functions of `text` with their length in lines. The code is `deno fmt`ed,
 * so a body that opens at the end of a declaration indented n spaces closes
 * on the first later line that starts with n spaces and `}`.
 */
function functionLengths(text: string): [string, number][] {
  const lines = text.split("\n");
  const out: [string, number][] = [];
  const start =
    /^(\s*)(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?\s*(\w+)|(?:(?:static|private|public|protected|readonly|override|get|set)\s+)*(?:async\s+)?\*?(#?\w+)\s*(?:<[^>]*>)?\(|(?:const|let)\s+(\w+)\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)?\s*(?::[^=]*)?=>)/;
  for (let i = 0; i < lines.length; i++) {
    const m = start.exec(lines[i]!);
    if (!m) continue;
    const name = m[2] ?? m[3] ?? m[4];
    if (!name || NOT_FUNCTIONS.has(name)) continue;
    const indent = m[1]!;
    // A signature either fits on its line, which then ends with `{`, or
    // ends its line with `(` and closes on a line of its own indent that
    // starts with `)` and ends with `{`.
    let open = i;
    if (/\(\s*$/.test(lines[i]!)) {
      open = lines.findIndex((l, j) => j > i && l.startsWith(`${indent})`));
      if (open < 0) continue;
    }
    if (!/\{\s*$/.test(lines[open]!)) continue;
    const close = lines.findIndex((l, j) =>
      j > open && l.startsWith(`${indent}}`)
    );
    if (close < 0) continue;
    out.push([name, close - i + 1]);
  }
  return out;
}

Deno.test("layout: function lengths are read from formatted code", () => {
  const text = [
    "function a() {",
    "  return 1;",
    "}",
    "export async function b(",
    "  x: number,",
    "): Promise<void> {",
    "  await x;",
    "}",
    "class C {",
    "  #m(y: number): number {",
    "    if (y) {",
    "      return y;",
    "    }",
    "    return 0;",
    "  }",
    "}",
  ].join("\n");
  assert.deepEqual(functionLengths(text), [["a", 3], ["b", 5], ["#m", 6]]);
});

Deno.test("layout: no file over 400 lines, no function over 80, none past its recorded size", async () => {
  const { files } = await graph();
  const over: string[] = [];
  const seen = new Set<string>();
  const check = (key: string, size: number, limit: number) => {
    const cap = OVERSIZE[key];
    if (cap !== undefined) seen.add(key);
    if (size > (cap ?? limit)) {
      over.push(`${key}: ${size} lines (at most ${cap ?? limit})`);
    } else if (cap !== undefined && size <= limit) {
      over.push(`${key}: ${size} lines now fits: remove its OVERSIZE entry`);
    }
  };
  for (const f of files) {
    // The test servers are test code: tests aside, as for tests/.
    if (f.path.startsWith("core/testing/")) continue;
    check(f.path, f.text.split("\n").length, MAX_FILE_LINES);
    for (const [name, len] of functionLengths(f.text)) {
      check(`${f.path}:${name}`, len, MAX_FUNCTION_LINES);
    }
  }
  for (const key of Object.keys(OVERSIZE)) {
    if (!seen.has(key)) over.push(`${key}: gone: remove its OVERSIZE entry`);
  }
  assert.deepEqual(over, []);
});
