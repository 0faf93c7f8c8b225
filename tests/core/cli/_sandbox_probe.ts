/**
 * A stand-in for the CLI in sandbox tests: `pull probe --base-url <url>
 * --lake <dir> [--env-var NAME] --no-sandbox` pulls a GitHub-style issue list
 * (Link header pages) and, with `--env-var`, sends the variable's value in a
 * header, so a test can show what the sandbox lets through.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type Connector,
  defineConnector,
} from "../../../core/connector/connector.ts";
import { linkHeaderPaginator } from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";

/** The probe connector; `envVar` is read when the connector is defined. */
export function probeConnector(
  opts: { hosts: string[]; secrets?: string[]; envVar?: string },
): Connector {
  return defineConnector({
    name: "probe",
    baseUrl: "http://127.0.0.1:9",
    hosts: opts.hosts,
    secrets: opts.secrets ?? [],
    ...(opts.envVar
      ? { headers: { "x-probe": Deno.env.get(opts.envVar) ?? "unset" } }
      : {}),
    streams: {
      issues: {
        path: "/repos/octo/hello/issues",
        params: { state: "all", per_page: 50 },
        primaryKey: "id",
        paginator: linkHeaderPaginator(),
      },
    },
  });
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      "base-url": { type: "string" },
      lake: { type: "string" },
      "env-var": { type: "string" },
      "no-sandbox": { type: "boolean" },
    },
    allowPositionals: true,
  });
  try {
    if (positionals.join(" ") !== "pull probe" || !values["no-sandbox"]) {
      throw new Error(
        `expected "pull probe ... --no-sandbox", got ${Deno.args.join(" ")}`,
      );
    }
    const connector = probeConnector({
      hosts: ["127.0.0.1:9"],
      ...(values["env-var"] ? { envVar: values["env-var"] } : {}),
    });
    const summary = await pull(connector, {
      lake: values.lake!,
      baseUrl: values["base-url"]!,
      concurrency: 2,
    });
    console.log(
      JSON.stringify({
        status: summary.status,
        records: summary.records,
        errors: summary.errors,
      }),
    );
    Deno.exit(summary.status === "ok" ? 0 : 1);
  } catch (err) {
    console.error(`error: ${(err as Error).name}: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
