/** Test helper: write a file into a temp folder and read it through the real file session. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fileSession } from '../../connectors/files/fileSource';
import { localTransport } from '../../connectors/files/transports/local';
import { testPolicy } from '../helpers/testPolicy';
import type { Position, SourceSession } from '../../connectors/source';
import { fileSource, type FileSource } from '../../domain/importSpec';

export interface ReadOut {
  columns: string[];
  /** Rows as objects of the file's columns (virtual ones left out); a row the source rejected is { error }. */
  rows: Record<string, string | null>[];
  /** Each row's position (cursor _line, key _source). */
  positions: Position[];
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'tributary-files-'));
}

export async function readFileRows(
  content: Buffer | string,
  options: Partial<Omit<FileSource, 'path'>> & { format?: FileSource['format'] },
  read: { after?: Position | null; limit?: number; name?: string } = {},
): Promise<ReadOut> {
  const dir = await tempDir();
  const name = read.name ?? `data.${options.format ?? 'csv'}`;
  await writeFile(path.join(dir, name), content);
  const session = fileSession(localTransport(pathToFileURL(dir).toString(), testPolicy()));
  try {
    return await readWith(session, fileSource.parse({ format: 'csv', ...options, path: name }), read);
  } finally {
    await session.close();
  }
}

export async function readWith(
  session: SourceSession,
  file: FileSource,
  read: { after?: Position | null; limit?: number } = {},
): Promise<ReadOut> {
  const relation = { file };
  const cols = (await session.columns(relation)).map((c) => c.name);
  const data = cols.filter((c) => c !== '_line' && c !== '_source');
  const upper = await session.upperBound(
    relation,
    { name: '_line', sourceType: '', importType: 'number', cursorKind: 'number' },
    0,
    'UTC',
  );
  const out: ReadOut = { columns: data, rows: [], positions: [] };
  if (upper === null) return out;
  const requested = ['_line', '_source', ...data];
  for await (const row of session.read(relation, requested, {
    cursor: '_line',
    key: '_source',
    after: read.after ?? null,
    upperBound: upper,
    limit: read.limit ?? 1_000_000,
  })) {
    const err = (row as { sourceError?: { reason: string } }).sourceError;
    out.positions.push({ cursor: row[0]!, key: row[1]! });
    out.rows.push(err ? { error: err.reason } : Object.fromEntries(data.map((c, i) => [c, row[i + 2] ?? null])));
  }
  return out;
}
