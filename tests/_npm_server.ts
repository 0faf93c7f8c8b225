/**
 * Servers nobody here wrote (json-server, s3rver), started from their pinned
 * npm packages as children on 127.0.0.1: the engine is tested against real
 * behaviour, not our idea of it. Each is stopped through its own handle.
 *
 * @module
 */

/** A running child server. */
export interface NpmServer extends AsyncDisposable {
  /** The match of the ready pattern in the child's stdout. */
  ready: RegExpMatchArray;
  /** Stop the child and wait for it. */
  close(): Promise<void>;
}

/**
 * Run `npm:<pkg> args...` and wait until its stdout matches `ready`; the
 * child is killed when it is not ready within `timeoutMs` or exits first.
 *
 * @example
 * ```ts ignore
 * import { startNpmServer } from "./_npm_server.ts";
 * await using s3 = await startNpmServer(["npm:s3rver@3.7.1", "-d", "/tmp/x", "-a", "127.0.0.1", "-p", "0"], /listening on [\d.]+:(\d+)/);
 * ```
 */
export async function startNpmServer(
  args: readonly string[],
  ready: RegExp,
  timeoutMs = 120_000,
): Promise<NpmServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", FORCE_COLOR: "0" },
  }).spawn();
  const errText = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let out = "";
  let match: RegExpMatchArray | null = null;
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    while (!match) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
      match = ready.exec(out);
    }
  } finally {
    clearTimeout(timer);
  }
  // Drain the rest so a chatty server never blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const close = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await drained.catch(() => {});
    await errText.catch(() => "");
  };
  if (!match) {
    await close();
    throw new Error(
      `Cannot start ${
        args[0]
      }: not ready within ${timeoutMs} ms\n${out}\n${await errText}`,
    );
  }
  return { ready: match, close, [Symbol.asyncDispose]: close };
}

/**
 * A port free on 127.0.0.1 now (for servers that cannot pick their own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { freePort } from "./_npm_server.ts";
 * assert(freePort() > 0);
 * ```
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
