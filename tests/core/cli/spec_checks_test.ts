/**
 * Specs that are valid but wrong, against json-server 0.17.4: each run
 * completes, and each used to land partial or unusable data without a word.
 * Now each warns on stderr and in the run summary, naming the connector and
 * stream, and `--strict` fails the stream (exit 1) naming field or page.
 */
import assert from "node:assert/strict";
import { defineConnector } from "../../../core/connector/connector.ts";
import {
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  singlePaginator,
} from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import type { RunSummary } from "../../../core/run/run_summary.ts";
import { runCliChild } from "../../_cli.ts";
import { withJsonServer as serveJson } from "../../_json_server.ts";

const COUNT = 300;

async function withJsonServer(
  fn: (url: string, dir: string) => Promise<void>,
): Promise<void> {
  const items = Array.from({ length: COUNT }, (_, i) => ({
    id: i + 1,
    updated_at: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
  }));
  await serveJson({ items }, fn);
}

// json-server pages by `_start`/`_limit` (or `_page`), and sends a `Link`
// header only with `_page`.
const jsOffset = { limit: 100, limitParam: "_limit", offsetParam: "_start" };

/** Each wrong spec, and what its warning must say. */
const WRONG: Record<
  string,
  { stream: Record<string, unknown>; says: RegExp; fails: string }
> = {
  cursor: {
    stream: {
      path: "/items",
      primaryKey: "id",
      incremental: { cursorField: "updatedAt", param: "updated_at_gte" },
      paginator: { type: "single" },
    },
    says:
      /"js\/cursor": incremental cursorField "updatedAt" is in none of the 300 records landed \(did you mean "updated_at"\?\)/,
    fails: 'cursorField "updatedAt" is in none',
  },
  key: {
    stream: {
      path: "/items",
      primaryKey: "ID",
      allowMissingKey: true,
      paginator: { type: "single" },
    },
    says:
      /"js\/key": primary key field "ID" is missing from all 300 records landed \(did you mean "id"\?\)/,
    fails: 'primary key field "ID" is missing',
  },
  nexturl: {
    stream: {
      path: "/items",
      params: { _limit: 100 },
      primaryKey: "id",
      paginator: { type: "next_url" },
    },
    says:
      /"js\/nexturl": page 1 is the only one: the next_url paginator found no next link after it, though it held 100 records, as many as _limit=100 asks/,
    fails: 'page 1 of "js/nexturl": is the only one',
  },
  link: {
    stream: {
      path: "/items",
      params: { _limit: 100 },
      primaryKey: "id",
      paginator: { type: "link" },
    },
    says:
      /"js\/link": page 1 is the only one: the link_header paginator found no next link/,
    fails: 'page 1 of "js/link": is the only one',
  },
  window: {
    stream: {
      path: "/items",
      primaryKey: "id",
      paginator: { type: "offset", ...jsOffset },
    },
    says:
      /"js\/window": page 4 was empty, which ended the offset paginator's pages with no total to confirm the end/,
    fails: 'page 4 of "js/window": was empty',
  },
};

function spec(url: string): unknown {
  return {
    name: "js",
    baseUrl: url,
    hosts: [new URL(url).host],
    streams: {
      ...Object.fromEntries(
        Object.entries(WRONG).map(([n, w]) => [n, w.stream]),
      ),
      // The right spec for links: no warning.
      link_ok: {
        path: "/items",
        params: { _page: 1, _limit: 100 },
        primaryKey: "id",
        paginator: { type: "link" },
      },
    },
  };
}

async function runSummary(lake: string): Promise<RunSummary> {
  const runs = [...Deno.readDirSync(`${lake}/js/_runs`)];
  assert.equal(runs.length, 1);
  return JSON.parse(
    await Deno.readTextFile(`${lake}/js/_runs/${runs[0]!.name}`),
  );
}

Deno.test("spec checks: each wrong spec warns on stderr and in the run summary; --strict fails each stream naming it (json-server)", async () => {
  await withJsonServer(async (url, dir) => {
    const file = `${dir}/js.json`;
    await Deno.writeTextFile(file, JSON.stringify(spec(url)));
    const pullArgs = (lake: string, ...extra: string[]) => [
      "pull",
      "rest",
      "--spec",
      file,
      "--no-sandbox",
      "--lake",
      lake,
      ...extra,
    ];

    const lax = await runCliChild(pullArgs(`${dir}/lake`));
    assert.equal(lax.code, 0, lax.stderr);
    const summary = await runSummary(`${dir}/lake`);
    assert.equal(summary.status, "ok");
    assert.equal(summary.warnings.length, Object.keys(WRONG).length);
    for (const [name, w] of Object.entries(WRONG)) {
      assert.match(lax.stderr, new RegExp(`warning: ${w.says.source}`));
      // Its row of the final table is marked.
      assert.match(lax.stderr, new RegExp(`^${name} !\\s`, "m"));
      const s = summary.streams.find((s) => s.stream === name)!;
      assert.equal(s.warnings?.length, 1, name);
      assert.match(s.warnings![0]!, w.says);
    }
    const records = (n: string) =>
      summary.streams.find((s) => s.stream === n)!.records;
    // What landed silently before: a first page only, or everything.
    assert.equal(records("nexturl"), 100);
    assert.equal(records("link"), 100);
    assert.equal(records("window"), COUNT);
    assert.equal(records("link_ok"), COUNT);
    assert.match(lax.stderr, /^link_ok\s+300\s/m);
    assert.equal(
      summary.streams.find((s) => s.stream === "link_ok")!.warnings,
      undefined,
    );

    const strict = await runCliChild(pullArgs(`${dir}/strict`, "--strict"));
    assert.equal(strict.code, 1, strict.stderr);
    const failed = await runSummary(`${dir}/strict`);
    assert.equal(failed.status, "failed");
    assert.deepEqual(failed.warnings, []);
    for (const [name, w] of Object.entries(WRONG)) {
      const s = failed.streams.find((s) => s.stream === name)!;
      assert.match(s.error ?? "", /\(--strict\)/, name);
      assert.match(s.error ?? "", new RegExp(`"js/${name}"`));
      assert.match(strict.stderr, new RegExp(`error: .*"js/${name}"`));
      // The error says what the warning said, naming the field or page.
      assert((s.error ?? "").includes(w.fails), `${name}: ${s.error}`);
    }
    assert.equal(
      failed.streams.find((s) => s.stream === "link_ok")!.error,
      undefined,
    );
  });
});

Deno.test("spec checks: a TypeScript plugin with the same wrong streams warns through pull(), and strict: true fails them", async () => {
  await withJsonServer(async (url, dir) => {
    const plugin = defineConnector({
      name: "js",
      baseUrl: url,
      hosts: [new URL(url).host],
      streams: {
        cursor: {
          path: "/items",
          primaryKey: "id",
          incremental: { cursorField: "updatedAt", param: "updated_at_gte" },
          paginator: singlePaginator(),
        },
        nexturl: {
          path: "/items",
          params: { _limit: 100 },
          primaryKey: "id",
          paginator: nextUrlPaginator(),
        },
        link: {
          path: "/items",
          params: { _limit: 100 },
          primaryKey: "id",
          paginator: linkHeaderPaginator(),
        },
        window: {
          path: "/items",
          primaryKey: "id",
          paginator: offsetPaginator(jsOffset),
        },
      },
    });
    const lax = await pull(plugin, { lake: `${dir}/lake` });
    assert.equal(lax.status, "ok", lax.errors.join("\n"));
    assert.equal(lax.warnings.length, 4, lax.warnings.join("\n"));
    for (const name of ["cursor", "nexturl", "link", "window"]) {
      assert(lax.warnings.some((w) => w.startsWith(`"js/${name}": `)), name);
    }
    const strict = await pull(plugin, { lake: `${dir}/strict`, strict: true });
    assert.equal(strict.status, "failed");
    assert.equal(strict.errors.length, 4, strict.errors.join("\n"));
    for (const e of strict.errors) assert.match(e, /"js\/\w+".*\(--strict\)/);

    // Without allowMissingKey, a wrong-case key fails, naming the field the
    // records have.
    const key = await pull(
      defineConnector({
        name: "js",
        baseUrl: url,
        hosts: [new URL(url).host],
        streams: {
          key: {
            path: "/items",
            primaryKey: "ID",
            paginator: singlePaginator(),
          },
        },
      }),
      { lake: `${dir}/key` },
    );
    assert.equal(key.status, "failed");
    assert.match(
      key.errors[0]!,
      /"js\/key": record 1 has no primary key field "ID" \(found no such field; did you mean "id"\?\)/,
    );
  });
});
