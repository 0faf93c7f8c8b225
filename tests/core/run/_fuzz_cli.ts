/**
 * The inlet CLI with one extra connector, `fuzz`, for the fuzz test's kill
 * cases: its paging scheme and page size come from `INLET_FUZZ_STREAM`
 * (JSON of a {@linkcode FuzzStreamSpec}). Run it like `core/cli/cli.ts`:
 * `deno run -A tests/core/run/_fuzz_cli.ts pull fuzz --no-sandbox --base-url <url> --lake <dir>`.
 *
 * @module
 */
import { main } from "../../../core/cli/cli.ts";
import { fuzzConnector, type FuzzStreamSpec } from "./_fuzz_connector.ts";

if (import.meta.main) {
  const spec = JSON.parse(
    Deno.env.get("INLET_FUZZ_STREAM") ?? "{}",
  ) as FuzzStreamSpec;
  await main([fuzzConnector(spec)], { sandbox: false });
}
