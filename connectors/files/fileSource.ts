/**
 * Files as a source: the SourceSession of every file connection (local, HTTP(S), SFTP, S3), so the
 * exactly-once batch activity loads files unchanged. A file has two virtual columns:
 *   _line   where a record starts: its line (CSV, NDJSON, XML) or its row number (Parquet); the cursor.
 *   _source `<path>@<byte offset>` of the record's start (CSV, NDJSON) or `<path>#<ordinal>` (Parquet,
 *           XML); the key. A resumed read seeks to the offset (or skips to the ordinal), so the committed
 *           position is the exact place in the file: a crash mid-file resumes at the next record.
 * A run's upper bound pins the file (`<size>|<version>`): if the file changes between batches, the run
 * fails with a message instead of mixing two versions.
 *
 * ROW ERRORS never quote a file that is not of its declared format. A record the reader cannot take as
 * one (a CSV record of the wrong width or with a broken quote, an NDJSON line that is not a JSON object,
 * XML that is not well-formed, bytes that are not text in the encoding) is reported by file, line and
 * reason, with no value: otherwise any text file a connection names could be read back, line by line,
 * through a dry run's errors. Values appear only once a record has been read as the declared format,
 * where the mapping names a column whose value it cannot take (mapValidate). A missing column lists the
 * file's columns by their names (each header cell reduced to letters, digits and _, at most 63
 * characters), and only from a header that parsed as a record.
 */
import type { Readable } from 'node:stream';
import { DELIMITERS, FILE_CURSOR, type FileSource } from '../../domain/importSpec';
import {
  ConfigurationError,
  type ConnectionConfig,
  type ReadRange,
  type Relation,
  type SourceColumn,
  type SourceConnector,
  type SourceRowError,
  type SourceSession,
} from '../source';
import { headerNames, MemberNames } from './columnNames';
import { chunkDecoder, detectDecoding, InvalidTextError, type TextDecoding } from './decoding';
import { CsvParser, type CsvRecord } from './formats/csv';
import { NdjsonParser, type NdjsonRecord } from './formats/ndjson';
import { loadOptional } from '../common/optionalPackages';
import { XmlRecords, type XmlRecord } from './formats/xml';
import { type FileReach, openTransport } from './transports/open';
import type { FileInfo, Transport } from './transports/transport';
import type { ParquetFile } from './formats/parquet';

/** Parquet's reader (hyparquet) is an optional package, loaded by the first Parquet file read. */
const openParquet = async (transport: Transport, path: string, size: number, version: string): Promise<ParquetFile> =>
  (await loadOptional('parquet', () => import('./formats/parquet'))).openParquet(transport, path, size, version);

type Row = (string | null)[] & { sourceError?: SourceRowError };

const VIRTUAL = [FILE_CURSOR.column, FILE_CURSOR.key] as const;
/** Records scanned to find the columns of NDJSON and XML files (their members can vary by record). */
const DISCOVERY_RECORDS = 1000;
/** Parquet rows read per request. */
const PARQUET_SLICE = 10_000;
const LINE = -2;
const KEY = -3;

export function createFileConnector(kind: string, reach: FileReach): SourceConnector {
  return {
    kind,
    // A file has no catalogue to list and no server to test: its columns come from reading it (columns()).
    discovery: null,
    open: async (config: ConnectionConfig) => fileSession(await openTransport(config, reach)),
  };
}

export function fileSession(transport: Transport): SourceSession {
  const fileOf = (relation: Relation): FileSource => {
    if (!('file' in relation))
      throw new ConfigurationError('a file connection reads files: give source.file (not a table or query)');
    return relation.file;
  };

  /** The file's size and version, within the size limit. */
  const statChecked = async (file: FileSource): Promise<FileInfo> => {
    const info = await transport.stat(file.path);
    if (info.size > file.limits.maxBytes) {
      throw new ConfigurationError(
        `file ${file.path} is ${info.size.toLocaleString('en')} bytes, over the limit of ${file.limits.maxBytes.toLocaleString('en')} bytes (limits.maxBytes)`,
      );
    }
    return info;
  };

  const checkColumnCount = (file: FileSource, n: number): void => {
    if (n > file.limits.maxColumns) {
      throw new ConfigurationError(
        `file ${file.path} has ${n} columns, over the limit of ${file.limits.maxColumns} (limits.maxColumns)`,
      );
    }
  };

  const decodingOf = async (file: FileSource): Promise<TextDecoding> => {
    const head: Buffer[] = [];
    for await (const c of await transport.read(file.path, 0, 4)) head.push(c as Buffer);
    return detectDecoding(file.encoding, Buffer.concat(head));
  };

  /** Parsed records of a text file from a byte offset, in chunks (one per block of bytes read). */
  async function* textRecords<R>(
    file: FileSource,
    decoding: TextDecoding,
    start: { line: number; offset: number },
    parser: { push(text: string, out: R[]): void; end(out: R[]): void },
    version?: string,
  ): AsyncGenerator<R[]> {
    const stream: Readable = await transport.read(file.path, start.offset, undefined, version);
    const decoder = chunkDecoder(decoding);
    let at = start.offset;
    try {
      for await (const chunk of stream) {
        const out: R[] = [];
        parser.push(decoder.write(chunk as Buffer), out);
        at += (chunk as Buffer).length;
        if (out.length > 0) yield out;
      }
      const out: R[] = [];
      parser.push(decoder.end(), out);
      parser.end(out);
      if (out.length > 0) yield out;
    } catch (err) {
      if (err instanceof InvalidTextError)
        throw new ConfigurationError(`file ${file.path} ${err.message}, in the block of bytes from offset ${at}`);
      if (
        err instanceof Error &&
        !(err instanceof ConfigurationError) &&
        /^XML is not well-formed|^line \d+: a record longer/.test(err.message)
      ) {
        throw new ConfigurationError(`file ${file.path}: ${err.message}`);
      }
      throw err;
    } finally {
      stream.destroy();
    }
  }

  const csvParser = (file: FileSource, decoding: TextDecoding, start: { line: number; offset: number }) =>
    new CsvParser(
      { delimiter: DELIMITERS[file.delimiter] ?? file.delimiter, quote: file.quote, bytesOf: decoding.bytesOf },
      start,
    );

  /**
   * The CSV header (or col_1… from the first record's width when there is none), and a warning for each
   * header cell renamed because its name was taken (a repeated header): its values land in the new name.
   */
  const csvHeader = async (
    file: FileSource,
    decoding: TextDecoding,
  ): Promise<{ names: string[]; warnings: string[] }> => {
    for await (const records of textRecords<CsvRecord>(
      file,
      decoding,
      { line: 1, offset: decoding.bomBytes },
      csvParser(file, decoding, { line: 1, offset: decoding.bomBytes }),
    )) {
      const first = records[0]!;
      if (first.error) throw new ConfigurationError(`file ${file.path}: the header cannot be read: ${first.error}`);
      checkColumnCount(file, first.fields.length);
      if (!file.header) return { names: first.fields.map((_, i) => `col_${i + 1}`), warnings: [] };
      const warnings: string[] = [];
      const names = headerNames(first.fields, VIRTUAL, (cell, name) => {
        warnings.push(`file ${file.path}: header "${cell}" repeats a column name; that column is imported as ${name}`);
      });
      return { names, warnings };
    }
    return { names: [], warnings: [] };
  };

  /** NDJSON and XML: the union of members over the first records, named in first-seen order. */
  const scannedNames = async (file: FileSource, decoding: TextDecoding, version?: string): Promise<MemberNames> => {
    const members = new MemberNames(VIRTUAL);
    let n = 0;
    const parser =
      file.format === 'xml'
        ? new XmlRecords(file.recordPath!)
        : new NdjsonParser(decoding.bytesOf, { line: 1, offset: decoding.bomBytes });
    for await (const records of textRecords<NdjsonRecord | XmlRecord>(
      file,
      decoding,
      { line: 1, offset: decoding.bomBytes },
      parser,
      version,
    )) {
      for (const r of records) {
        for (const key of r.values.keys()) members.add(key);
        if (++n >= DISCOVERY_RECORDS) break;
      }
      if (n >= DISCOVERY_RECORDS) break;
    }
    checkColumnCount(file, members.names.length);
    return members;
  };

  // Each batch of a run reads the same pinned file: its scan is kept (one file at a time) instead of redone.
  let lastScan: { key: string; members: Promise<MemberNames> } | null = null;
  const membersOf = (file: FileSource, decoding: TextDecoding, info: FileInfo): Promise<MemberNames> => {
    const key = JSON.stringify([file.path, file.format, file.recordPath, file.encoding, pin(info)]);
    if (lastScan?.key !== key) {
      const members = scannedNames(file, decoding, info.version);
      members.catch(() => {
        if (lastScan?.members === members) lastScan = null;
      });
      lastScan = { key, members };
    }
    return lastScan.members;
  };

  const namesOf = async (file: FileSource, info: FileInfo): Promise<{ names: string[]; warnings: string[] }> => {
    if (file.format === 'parquet') {
      const pq = await openParquet(transport, file.path, info.size, info.version);
      checkColumnCount(file, pq.columns.length);
      return { names: pq.columns, warnings: [] };
    }
    const decoding = await decodingOf(file);
    if (file.format === 'csv') return csvHeader(file, decoding);
    return { names: (await membersOf(file, decoding, info)).names, warnings: [] };
  };

  const session: SourceSession = {
    async columns(relation) {
      const file = fileOf(relation);
      const info = await statChecked(file);
      const { names } = await namesOf(file, info);
      const cols: SourceColumn[] = names.map((name) => ({
        name,
        sourceType: `${file.format} field`,
        importType: 'string',
        cursorKind: 'other',
      }));
      cols.push({ name: FILE_CURSOR.column, sourceType: 'line number', importType: 'number', cursorKind: 'number' });
      cols.push({ name: FILE_CURSOR.key, sourceType: 'file position', importType: 'string', cursorKind: 'other' });
      return cols;
    },

    async warnings(relation) {
      const file = fileOf(relation);
      return (await namesOf(file, await statChecked(file))).warnings;
    },

    async upperBound(relation) {
      const file = fileOf(relation);
      const info = await statChecked(file);
      return info.size === 0 ? null : pin(info);
    },

    countNullCursor: async () => 0,

    read(relation, columns, range) {
      const file = fileOf(relation);
      const chunks = () => readChunks(file, columns, range);
      return {
        chunks,
        async *[Symbol.asyncIterator]() {
          for await (const c of chunks()) yield* c;
        },
      } as AsyncIterable<Row>;
    },

    close: () => transport.close(),
  };

  async function* readChunks(file: FileSource, columns: string[], range: ReadRange): AsyncGenerator<Row[]> {
    const info = await statChecked(file);
    if (pin(info) !== range.upperBound) {
      throw new ConfigurationError(
        `file ${file.path} changed while it was being imported (was ${describePin(range.upperBound)}, now ${describePin(pin(info))}); import it again as a new file`,
      );
    }
    const resume = range.after ? parseKey(file.path, range.after.key) : null;
    const resumeLine = range.after ? Number(range.after.cursor) : 0;
    let emitted = 0;
    const limit = range.limit;

    if (file.format === 'parquet') {
      const pq = await openParquet(transport, file.path, info.size, info.version);
      const wanted = columns.filter((c) => !VIRTUAL.includes(c as (typeof VIRTUAL)[number]));
      const missing = wanted.filter((c) => !pq.columns.includes(c));
      if (missing.length > 0) throw new ConfigurationError(`file ${file.path} has no column ${missing.join(', ')}`);
      let next = resume?.ordinal ?? 0;
      while (emitted < limit && next < pq.rowCount) {
        const end = Math.min(next + PARQUET_SLICE, next + (limit - emitted), pq.rowCount);
        const objects = await pq.rows(next, end, wanted);
        const rows: Row[] = objects.map((o, i) => {
          const n = next + i + 1;
          return columns.map((c) =>
            c === FILE_CURSOR.column ? String(n) : c === FILE_CURSOR.key ? `${file.path}#${n}` : (o[c] ?? null),
          );
        });
        emitted += rows.length;
        next = end;
        yield rows;
      }
      return;
    }

    const decoding = await decodingOf(file);
    if (file.format === 'csv') {
      const header = (await csvHeader(file, decoding)).names;
      // Where each requested column comes from: a field of the record, or LINE / KEY (the virtual columns).
      const slot = columns.map((c) =>
        c === FILE_CURSOR.column ? LINE : c === FILE_CURSOR.key ? KEY : header.indexOf(c),
      );
      const absent = columns.filter((_, i) => slot[i] === -1);
      if (absent.length > 0)
        throw new ConfigurationError(
          `file ${file.path} has no column ${absent.join(', ')}; its columns are ${header.join(', ')}`,
        );
      const start = resume ? { line: resumeLine, offset: resume.offset! } : { line: 1, offset: decoding.bomBytes };
      // The first record read is the last one loaded (resuming) or the header: it is skipped.
      let skip = resume || file.header ? 1 : 0;
      for await (const records of textRecords<CsvRecord>(
        file,
        decoding,
        start,
        csvParser(file, decoding, start),
        info.version,
      )) {
        const rows: Row[] = [];
        for (const rec of records) {
          if (skip > 0) {
            skip--;
            continue;
          }
          const row: Row = slot.map((s) =>
            s === LINE ? String(rec.line) : s === KEY ? `${file.path}@${rec.offset}` : (rec.fields[s] ?? null),
          );
          if (rec.error)
            row.sourceError = { column: null, value: null, reason: `${file.path} line ${rec.line}: ${rec.error}` };
          else if (rec.fields.length !== header.length) {
            // A record that does not fit the file's shape is not quoted (see ROW ERRORS above).
            row.sourceError = {
              column: null,
              value: null,
              reason: `${file.path} line ${rec.line}: ${rec.fields.length} field${rec.fields.length === 1 ? '' : 's'} where the header has ${header.length}`,
            };
          }
          rows.push(row);
          if (++emitted >= limit) break;
        }
        if (rows.length > 0) yield rows;
        if (emitted >= limit) return;
      }
      return;
    }

    // NDJSON and XML: records are member maps; a column absent from a record is NULL.
    const start =
      resume && file.format === 'ndjson'
        ? { line: resumeLine, offset: resume.offset! }
        : { line: 1, offset: decoding.bomBytes };
    let skip = resume ? (file.format === 'ndjson' ? 1 : resume.ordinal!) : 0;
    const parser = file.format === 'xml' ? new XmlRecords(file.recordPath!) : new NdjsonParser(decoding.bytesOf, start);
    // Members are named as the columns were (the same scan), so a resumed read names them alike.
    const members = await membersOf(file, decoding, info);
    for await (const records of textRecords<NdjsonRecord | XmlRecord>(file, decoding, start, parser, info.version)) {
      const rows: Row[] = [];
      for (const rec of records) {
        if (skip > 0) {
          skip--;
          continue;
        }
        const byName = recordColumns(members, rec.values);
        const key = 'ordinal' in rec ? `${file.path}#${rec.ordinal}` : `${file.path}@${rec.offset}`;
        const row: Row = columns.map((c) =>
          c === FILE_CURSOR.column ? String(rec.line) : c === FILE_CURSOR.key ? key : (byName.get(c) ?? null),
        );
        if (rec.error) row.sourceError = { column: null, value: null, reason: `${file.path} ${rec.error}` };
        rows.push(row);
        if (++emitted >= limit) break;
      }
      if (rows.length > 0) yield rows;
      if (emitted >= limit) return;
    }
  }

  return session;
}

const pin = (info: FileInfo): string => `${info.size}|${info.version}`;
const describePin = (p: string): string => {
  const [size, version] = p.split('|');
  return `${Number(size).toLocaleString('en')} bytes, version ${version}`;
};

/** The resume point in a `_source` key: a byte offset (path@n) or a record ordinal (path#n). */
function parseKey(path: string, key: string): { offset?: number; ordinal?: number } {
  const m = /([@#])(\d+)$/.exec(key);
  if (!m || key.slice(0, m.index) !== path) throw new Error(`position key ${key} is not a position in ${path}`);
  return m[1] === '@' ? { offset: Number(m[2]) } : { ordinal: Number(m[2]) };
}

/** A record's members by column name (see MemberNames). */
function recordColumns(members: MemberNames, values: Map<string, string | null>): Map<string, string | null> {
  const byName = new Map<string, string | null>();
  const unseen: string[] = [];
  for (const [k, v] of values) {
    const name = members.known(k);
    if (name === undefined) unseen.push(k);
    else byName.set(name, v);
  }
  if (unseen.length > 0) for (const [k, name] of members.unseen(unseen)) byName.set(name, values.get(k)!);
  return byName;
}
