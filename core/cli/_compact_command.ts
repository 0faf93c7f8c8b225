import { type Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../connector/errors.ts";
import type { Registry } from "../connector/registry.ts";
import { loadTable } from "../iceberg/table.ts";
import type { CompactReport } from "../lake/compact_table.ts";
import type { ExpireTableReport } from "../lake/expire_table.ts";
import type { Storage } from "../lake/storage.ts";
import type { ConnectorInfo, ConnectorSource } from "./connector_info.ts";
import { type LakeStreamOptions, lakeStreams } from "./_lake_streams.ts";
import type { CliIO } from "./cli_io.ts";
import { collect } from "./_pull_flags.ts";
import { parseDuration } from "./parse_duration.ts";

/**
 * An age such as `7d`, `36h` or `1d12h`, in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAge } from "./_compact_command.ts";
 * assert.equal(parseAge("7d", "--older-than"), 7 * 86_400_000);
 * assert.equal(parseAge("1d12h", "--older-than"), 36 * 3_600_000);
 * assert.throws(() => parseAge("7 days", "--older-than"), /must look like 7d/);
 * ```
 */
export function parseAge(value: string, flag: string): number {
  const m = /^(?:(\d+)d)?(.*)$/.exec(value)!;
  const days = Number(m[1] ?? 0) * 86_400_000;
  if (m[2] === "" && m[1] !== undefined) return days;
  try {
    return days + parseDuration(m[2]!, flag);
  } catch {
    throw new InvalidArgumentError(
      `${flag} must look like 7d, 36h, 1d12h or 90m, got "${value}"`,
    );
  }
}

function positiveMiB(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(
      `--target-size must be a positive number of MiB, got "${value}"`,
    );
  }
  return n;
}

type Opts = LakeStreamOptions;

/** The lake and the stream tables a maintenance command works on. */
async function tablesOf(
  registry: Registry<ConnectorInfo>,
  source: ConnectorSource,
  io: CliIO,
  name: string,
  opts: Opts,
): Promise<{ storage: Storage; tables: string[] }> {
  const { connector, storage, streams } = await lakeStreams(
    registry,
    source,
    io,
    name,
    opts,
  );
  const tables: string[] = [];
  for (const s of streams) {
    const prefix = `${connector.name}/${s}`;
    if ((await loadTable(storage, prefix)).metadata !== undefined) {
      tables.push(prefix);
    } else if (opts.stream.length) {
      throw new ConfigError(
        `Cannot maintain stream "${prefix}": it has no table in ${opts.lake}; pull it first`,
      );
    }
  }
  return { storage, tables };
}

function compacted(r: CompactReport): string {
  if (r.filesRead + r.deleteFilesRemoved === 0) {
    return `${r.stream}  nothing to compact\n`;
  }
  return `${r.stream}  ${r.filesRead} data file(s) and ${r.deleteFilesRemoved} delete file(s) -> ${r.filesWritten} file(s): ${r.rowsRead} rows read, ${r.rowsDeleted} deleted, ${r.rowsWritten} written (version ${r.version}${
    r.attempts > 1 ? `, ${r.attempts} tries` : ""
  })\n`;
}

function expired(r: ExpireTableReport): string {
  return `${r.stream}  ${r.expired} snapshot(s) expired, ${r.kept} kept, ${r.deletedFiles} file(s) deleted\n`;
}

/** The arguments and options both maintenance commands take. */
const common = (c: Command) =>
  c.argument("<connector>", "connector name")
    .option(
      "-s, --stream <name>",
      "only this stream (repeatable)",
      collect,
      [],
    )
    .option("--lake <dir|s3://bucket/prefix>", "the lake", "./lake")
    .option(
      "--spec <file>",
      "a JSON spec file: its connector (named rest or by its name)",
    );

/** Add `compact` and `expire` to `program`: a stream table's maintenance. */
export function compactCommand(
  program: Command,
  registry: Registry<ConnectorInfo>,
  io: CliIO,
  source: ConnectorSource,
): void {
  common(
    program.command("compact").description(
      "rewrite each stream table's small files into larger ones with its deletes applied (a replace snapshot: same rows, same state); safe while a pull runs",
    ),
  ).option(
    "--target-size <MiB>",
    "the size files are rewritten up to, in MiB",
    positiveMiB,
    128,
  ).option(
    "--expire-older-than <age>",
    "then expire snapshots older than this (7d, 36h) and delete the files only they held",
    (v: string) => parseAge(v, "--expire-older-than"),
  ).action(
    async (
      name: string,
      opts: Opts & { targetSize: number; expireOlderThan?: number },
    ) => {
      const { storage, tables } = await tablesOf(
        registry,
        source,
        io,
        name,
        opts,
      );
      const { compactTable } = await import("../lake/compact_table.ts");
      const { expireTable } = await import("../lake/expire_table.ts");
      for (const t of tables) {
        io.out(compacted(
          await compactTable(storage, t, {
            targetFileBytes: opts.targetSize * 1024 * 1024,
          }),
        ));
        if (opts.expireOlderThan !== undefined) {
          io.out(expired(
            await expireTable(storage, t, {
              olderThanMs: opts.expireOlderThan,
            }),
          ));
        }
      }
    },
  );
  expireCommand(program, registry, io, source);
}

/** Add `expire` to `program`. */
function expireCommand(
  program: Command,
  registry: Registry<ConnectorInfo>,
  io: CliIO,
  source: ConnectorSource,
): void {
  common(
    program.command("expire").description(
      "expire each stream table's snapshots older than --older-than (keeping the current one and what pulls resume from) and delete the files only they held",
    ),
  ).option(
    "--older-than <age>",
    "the age snapshots expire at (7d, 36h, 1d12h)",
    (v: string) => parseAge(v, "--older-than"),
    7 * 86_400_000,
  ).action(async (name: string, opts: Opts & { olderThan: number }) => {
    const { storage, tables } = await tablesOf(
      registry,
      source,
      io,
      name,
      opts,
    );
    const { expireTable } = await import("../lake/expire_table.ts");
    for (const t of tables) {
      io.out(expired(
        await expireTable(storage, t, { olderThanMs: opts.olderThan }),
      ));
    }
  });
}
