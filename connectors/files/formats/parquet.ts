/**
 * Parquet, read with hyparquet over ranged reads of the transport: the footer first, then only the
 * column chunks of the rows asked for. A row's position is its ordinal, and hyparquet starts a read at
 * any row (skipping whole row groups), so a resumed read does not re-read what was loaded.
 * Values come out as exact text (parquetValues.ts).
 */
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { ConfigurationError } from '../../source';
import type { Transport } from '../transports/transport';
import { columnText, PARSERS, rawMetadata } from './parquetValues';

export interface ParquetFile {
  metadata: FileMetaData;
  /** Top-level column names in file order. */
  columns: string[];
  rowCount: number;
  /** Rows [start, end) (0-based) as objects of top-level column → its value's text. */
  rows(start: number, end: number, columns: string[]): Promise<Record<string, string | null>[]>;
}

export async function openParquet(
  transport: Transport,
  path: string,
  size: number,
  version: string,
): Promise<ParquetFile> {
  const file: AsyncBuffer = {
    byteLength: size,
    slice: async (start, end) => {
      const parts: Buffer[] = [];
      for await (const c of await transport.read(path, start, end ?? size, version)) parts.push(c as Buffer);
      const b = Buffer.concat(parts);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
    },
  };
  const metadata = await parquetMetadataAsync(file).catch((err: unknown) => {
    throw notParquet(path, err);
  });
  const tree = parquetSchema(metadata);
  const columns = tree.children.map((c) => c.element.name);
  const texts = new Map(tree.children.map((c) => [c.element.name, columnText(c)]));
  const readWith = rawMetadata(metadata);
  const read = (start: number, end: number, wanted: string[]) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => {
      // utf8: false keeps an unannotated BYTE_ARRAY as bytes (a DECIMAL's, once rawMetadata has removed
      // its annotation); columnText decodes text columns itself.
      parquetRead({
        file,
        metadata: readWith,
        rowStart: start,
        rowEnd: end,
        columns: wanted,
        rowFormat: 'object',
        parsers: PARSERS,
        utf8: false,
        onComplete: resolve,
      }).catch(reject);
    });
  return {
    metadata,
    columns,
    rowCount: Number(metadata.num_rows),
    rows: async (start, end, wanted) => {
      const objects = await read(start, end, wanted);
      const render = wanted.map((c) => [c, texts.get(c)!] as const);
      return objects.map((o) => Object.fromEntries(render.map(([c, text]) => [c, text(o[c])])));
    },
  };
}

/**
 * A file whose footer does not parse is not Parquet. hyparquet's fixed messages are kept; others carry
 * numbers decoded from the file's bytes, so the file is only said not to be Parquet.
 */
function notParquet(path: string, err: unknown): Error {
  if (err instanceof ConfigurationError) return err;
  const message = (err as Error).message;
  const fixed = message === 'parquet file invalid (footer != PAR1)' || message === 'parquet file is too short';
  return new ConfigurationError(
    `file ${path} is not a Parquet file${fixed ? ` (${message.replace(/^parquet /, '')})` : ' (its footer does not parse)'}`,
  );
}
