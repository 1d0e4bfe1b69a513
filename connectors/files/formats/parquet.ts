/**
 * Parquet, read with hyparquet over ranged reads of the transport: the footer first, then only the
 * column chunks of the rows asked for. A row's position is its ordinal, and hyparquet starts a read at
 * any row (skipping whole row groups), so a resumed read does not re-read what was loaded.
 */
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { Transport } from '../transports/transport';

export interface ParquetFile {
  metadata: FileMetaData;
  /** Top-level column names in file order. */
  columns: string[];
  rowCount: number;
  /** Rows [start, end) (0-based) as objects of top-level column → value. */
  rows(start: number, end: number, columns: string[]): Promise<Record<string, unknown>[]>;
}

export async function openParquet(transport: Transport, path: string, size: number, version: string): Promise<ParquetFile> {
  const file: AsyncBuffer = {
    byteLength: size,
    slice: async (start, end) => {
      const parts: Buffer[] = [];
      for await (const c of await transport.read(path, start, end ?? size, version)) parts.push(c as Buffer);
      const b = Buffer.concat(parts);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
    },
  };
  const metadata = await parquetMetadataAsync(file);
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  return {
    metadata,
    columns,
    rowCount: Number(metadata.num_rows),
    rows: (start, end, wanted) =>
      new Promise((resolve, reject) => {
        parquetRead({ file, metadata, rowStart: start, rowEnd: end, columns: wanted, rowFormat: 'object', onComplete: resolve }).catch(reject);
      }),
  };
}

/** A Parquet value as text that keeps its precision: 64-bit integers whole, timestamps in ISO 8601. */
export function parquetValueText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x));
}
