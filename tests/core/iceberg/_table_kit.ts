/**
 * Helpers for the Iceberg tests: write Parquet data files with field ids,
 * and read a table back with icebird, an independent Iceberg reader.
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { icebergRead } from "icebird";
import {
  icebergSchemaKeyValue,
  type IcebergTable,
  parquetSchema,
  type TableFile,
} from "../../../core/iceberg/mod.ts";
import type { IcebergSchema } from "../../../core/iceberg/types.ts";

/** Write `columns` (name → values) as the data file `path` of `table`. */
export async function writeDataFile(
  table: IcebergTable,
  schema: IcebergSchema,
  path: string,
  columns: Record<string, unknown[]>,
): Promise<TableFile> {
  const names = Object.keys(columns);
  const fields = schema.fields.filter((f) => names.includes(f.name));
  const bytes = new Uint8Array(parquetWriteBuffer({
    columnData: fields.map((f) => ({ name: f.name, data: columns[f.name]! })),
    schema: parquetSchema({ fields }),
    kvMetadata: [icebergSchemaKeyValue({ ...schema, fields })],
  }));
  await table.storage.put(`${table.path}/${path}`, bytes);
  return {
    path,
    recordCount: columns[names[0]!]!.length,
    sizeBytes: bytes.length,
  };
}

/** Every row of the table's current snapshot, as icebird reads it. */
export function readWithIcebird(
  table: IcebergTable,
): Promise<Record<string, unknown>[]> {
  return icebergRead({ tableUrl: table.location });
}
