/**
 * The bench's test API, in a process of its own so that its work does not
 * share an event loop with the pull being measured.
 *
 * @module
 */

import type { ServerStats } from "../core/testing/api_server.ts";

const SERVER = new URL("../core/testing/api_server.ts", import.meta.url);

/** A running `api_server.ts` child process. */
export interface ServerProcess extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The child's pid (its CPU time is in `/proc/<pid>/stat`). */
  readonly pid: number;
  /** Send a control line (`capacity 16`) and wait for its answer. */
  command(line: string): Promise<string>;
  /** The server's counters. */
  stats(): Promise<ServerStats>;
  /** Kill the child and wait for it to exit. Safe to call twice. */
  close(): Promise<void>;
}

/** Every server still running, so a failing bench still kills them. */
const running = new Set<ServerProcess>();

/**
 * Start `api_server.ts` with `args` (its CLI flags) and `--stdin`, and
 * wait for the URL it prints.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startServerProcess } from "./_bench_server.ts";
 * await using server = await startServerProcess(["--records", "10"]);
 * assert((await server.stats()).requests === 0);
 * assert(await server.command("capacity 4") === "ok");
 * ```
 */
export async function startServerProcess(
  args: string[],
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", SERVER.pathname, "--stdin", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(splitLines())
    .getReader();
  const stdin = child.stdin.getWriter();
  const encoder = new TextEncoder();
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    closed ??= (async () => {
      running.delete(server);
      await stdin.close().catch(() => {});
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
      await lines.cancel().catch(() => {});
    })();
  const first = await lines.read();
  if (first.done || !first.value.startsWith("http://")) {
    await close();
    throw new Error(
      `api_server.ts ${args.join(" ")} did not start: ${first.value ?? "EOF"}`,
    );
  }
  const url = first.value.trim();
  let queue: Promise<unknown> = Promise.resolve();
  const server: ServerProcess = {
    url,
    pid: child.pid,
    command(line: string): Promise<string> {
      // One command at a time: answers come back in order.
      const answer = queue.then(async () => {
        await stdin.write(encoder.encode(line + "\n"));
        const r = await lines.read();
        if (r.done) throw new Error("api_server.ts exited");
        return r.value;
      });
      queue = answer.catch(() => {});
      return answer;
    },
    async stats(): Promise<ServerStats> {
      const res = await fetch(`${url}/stats`);
      return await res.json();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  running.add(server);
  return server;
}

/** Kill every server this module started that is still running. */
export async function closeAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.close()));
}

/** CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name, which may contain spaces.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf("\n")) >= 0) {
        controller.enqueue(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}
