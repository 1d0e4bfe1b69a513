/**
 * The fields every import spec is made of: names, the source, the cursor, identifier options, the common
 * fields of every data type and the pieces their mappings are built from. Each data type's own spec
 * (dataTypes/<type>/spec.ts) builds on these; domain/importSpec.ts joins them into the one schema.
 */
import { z } from 'zod';
import { checkQueryShape } from './sqlGuard';

/** A SQL identifier as users may name it: letters, digits, underscore, dollar; optionally schema-qualified. */
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
export const columnName = z
  .string()
  .regex(IDENT, 'must be a plain column name (letters, digits, _ and $; no quotes, spaces or SQL)');
export const tableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62}){0,2}$/,
    'must be a table name, optionally qualified as schema.table (no quotes, spaces or SQL)',
  );

export const importId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 characters of a-z, 0-9, _ and -, starting with a letter or digit');

export const valueTypes = ['string', 'number', 'boolean', 'timestamp', 'date', 'json'] as const;
export const valueType = z.enum(valueTypes);
export type ValueType = z.infer<typeof valueType>;

/** A value taken from a column, or a constant for every row (for example an id type or an event name). */
export const columnOrConstant = z.union(
  [z.object({ column: columnName }).strict(), z.object({ value: z.string().min(1).max(1024) }).strict()],
  {
    error: (issue) =>
      issue.input === undefined
        ? 'required: give {"column": "<source column>"} or {"value": "<constant>"}'
        : 'expected {"column": "<source column>"} or {"value": "<constant>"}',
  },
);
export type ColumnOrConstant = z.infer<typeof columnOrConstant>;

/** One mapped attribute or event property: source column → property of a declared type. */
export const propertyMapping = z
  .object({
    column: columnName,
    property: z.string().min(1).max(255).optional(),
    type: valueType.default('string'),
    /** For timestamp and date columns: a pattern such as `dd/MM/yyyy HH:mm:ss`, `epoch_s` or `epoch_ms`. */
    format: z.string().min(1).max(64).optional(),
  })
  .strict();
export type PropertyMapping = z.infer<typeof propertyMapping>;

export const timestampColumn = z.object({ column: columnName, format: z.string().min(1).max(64).optional() }).strict();

/**
 * The longest lag: 30 days. A time cursor's lag is in seconds (MAX_TIME_LAG_SECONDS, checked once the
 * cursor's kind is known, against the source's columns); a number cursor's is in its own units, and the
 * finest clock a number cursor commonly holds is epoch microseconds, so the schema allows 30 days of those.
 * Beyond, the source's own arithmetic fails (`interval out of range`, `timestamp out of range`) on every run.
 */
export const MAX_TIME_LAG_SECONDS = 30 * 86_400;
export const MAX_LAG = MAX_TIME_LAG_SECONDS * 1_000_000;

/** The problem with a lag for a cursor of this kind, or null. */
export function lagProblem(lag: number, cursorKind: 'time' | 'number' | 'other'): string | null {
  if (cursorKind === 'time' && lag > MAX_TIME_LAG_SECONDS) {
    return `is ${lag} seconds behind a time cursor; at most ${MAX_TIME_LAG_SECONDS} (30 days)`;
  }
  return null;
}

/** The cursor: a growing column, a unique tie-breaker key, and a lag behind the source's clock. */
export const cursorSpec = z
  .object({
    column: columnName,
    /** A unique column (or the primary key) that orders rows sharing one cursor value. */
    key: columnName,
    /**
     * How far behind the source's clock (timestamp cursors, in seconds) or its maximum
     * (sequence cursors, in units) each run stops. Rows committed late within the lag are not lost.
     */
    lag: z.number().nonnegative().max(MAX_LAG).default(0),
  })
  .strict();

export const identifierOptions = z
  .object({
    trim: z.boolean().default(true),
    lowerCase: z.boolean().default(false),
    reserved: z.array(z.string().max(1024)).max(1000).default(['null', 'undefined', 'none', 'nan', 'test']),
    maxLength: z.number().int().min(1).max(1024).default(1024),
  })
  .strict();
export type IdentifierOptions = z.infer<typeof identifierOptions>;

/** Text encodings a CSV, NDJSON or XML file may be in. */
export const fileEncodings = [
  'utf-8',
  'utf-16',
  'utf-16le',
  'utf-16be',
  'latin1',
  'iso-8859-1',
  'iso-8859-2',
  'iso-8859-15',
  'windows-1250',
  'windows-1251',
  'windows-1252',
  'windows-1253',
  'windows-1254',
  'windows-1255',
  'windows-1256',
  'windows-1257',
  'windows-1258',
] as const;

/** Named delimiters, beside any single character. */
export const DELIMITERS: Record<string, string> = {
  comma: ',',
  tab: '\t',
  semicolon: ';',
  pipe: '|',
  colon: ':',
  space: ' ',
  caret: '^',
  tilde: '~',
};

/**
 * A file's format and how to read it. Limits are enforced before (file size) or while (columns) a file is
 * read, with a message naming the file, the figure and the limit.
 */
export const fileFormat = {
  format: z.enum(['csv', 'ndjson', 'parquet', 'xml']),
  /** CSV: one character, or comma, tab, semicolon, pipe, colon, space, caret, tilde. */
  delimiter: z
    .string()
    .min(1)
    .max(16)
    .refine(
      (d) => (d.length === 1 && d !== '\n' && d !== '\r') || d in DELIMITERS,
      `must be one character (not a newline) or one of ${Object.keys(DELIMITERS).join(', ')}`,
    )
    .default(','),
  /** CSV: the quote character; a quote inside a quoted field is written twice (RFC 4180). */
  quote: z.string().length(1).default('"'),
  /** CSV: whether the first record names the columns (else they are col_1, col_2, ...). */
  header: z.boolean().default(true),
  encoding: z.enum(fileEncodings).default('utf-8'),
  /** XML: the element path of one record, e.g. `orders/order` (names separated by /). */
  recordPath: z
    .string()
    .regex(/^[A-Za-z_][\w.:-]*(\/[A-Za-z_][\w.:-]*)*$/, 'must be element names separated by /')
    .optional(),
  limits: z
    .object({
      /** Largest file accepted, in bytes (default 10 GiB, at most 1 TiB). */
      maxBytes: z
        .number()
        .int()
        .min(1)
        .max(1024 ** 4)
        .default(10 * 1024 ** 3),
      /** Most columns a file may have (default 1,000). */
      maxColumns: z.number().int().min(1).max(10_000).default(1000),
    })
    .strict()
    .default({ maxBytes: 10 * 1024 ** 3, maxColumns: 1000 }),
};

/** A path inside a connection's base: relative, '/'-separated, never climbing out with '..'. */
const relativePath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.split('/').includes('..') && !p.includes('\0'), 'must stay inside the connection (no .. segments)');

/** One file: its path under the connection (a folder, URL prefix, bucket or SFTP directory) and its format. */
export const fileSource = z
  .object({ path: relativePath, ...fileFormat })
  .strict()
  .refine((f) => f.format !== 'xml' || f.recordPath !== undefined, {
    message: 'XML files need recordPath',
    path: ['recordPath'],
  });
export type FileSource = z.infer<typeof fileSource>;

/**
 * A drop folder: data files matching `pattern` under `path`; each is imported once its manifest
 * (`<data file><manifestSuffix>`) is there, unless `requireManifest` is false (then every match is imported).
 */
export const folderSource = z
  .object({
    path: relativePath.or(z.literal('')).default(''),
    /** A glob on the file name: * and ? (e.g. `orders-*.csv`). */
    pattern: z.string().min(1).max(256).default('*'),
    manifestSuffix: z.string().min(1).max(64).default('.manifest.json'),
    requireManifest: z.boolean().default(true),
    ...fileFormat,
  })
  .strict();
export type FolderSource = z.infer<typeof folderSource>;

/** The virtual columns of a file: where each record starts (its line, or row for Parquet) and how to resume after it. */
export const FILE_CURSOR = { column: '_line', key: '_source' } as const;

export const sourceSpec = z
  .object({
    /** The name of a connection configured on the worker (or stored by the API). Never credentials. */
    connection: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a connection name (letters, digits, _ and -)'),
    table: tableName.optional(),
    /**
     * A single SELECT, run read-only; the cursor bounds are applied around it as parameters. Only its
     * shape is checked here; the connector checks it in its own dialect.
     */
    query: z
      .string()
      .min(1)
      .max(100_000)
      .superRefine((sql, ctx) => {
        try {
          checkQueryShape(sql);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .optional(),
    file: fileSource.optional(),
    folder: folderSource.optional(),
  })
  .strict()
  .refine((s) => [s.table, s.query, s.file, s.folder].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of table, query, file or folder',
    path: ['table'],
  });

/** A zone the runtime knows: an unknown one would fail every timestamp of every run instead of the spec once. */
function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name (an import's timeZone, a schedule's zone). */
export const timeZoneName = z
  .string()
  .min(1)
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Paris');

export const common = {
  id: importId,
  name: z.string().min(1).max(200),
  source: sourceSpec,
  cursor: cursorSpec,
  identifiers: identifierOptions.default({
    trim: true,
    lowerCase: false,
    reserved: ['null', 'undefined', 'none', 'nan', 'test'],
    maxLength: 1024,
  }),
  /** Zone-less timestamps are read in this IANA time zone. */
  timeZone: timeZoneName.default('UTC'),
  // Large by default: per-batch overhead dominates small batches (docs/performance.md); memory is bounded
  // by the load chunk, not the batch.
  batchSize: z.number().int().min(1).max(200_000).default(100_000),
};

export const userRef = {
  userId: z.object({ column: columnName }).strict(),
  idType: columnOrConstant.default({ value: 'external_id' }),
};

/** One source column a mapping reads, the spec field naming it, and the value type it is declared as. */
export interface MappedColumn {
  column: string;
  field: string;
  /** The declared type, checked against the column's own (attributes, properties, an event's timestamp). */
  type?: ValueType;
}

/** The user's columns (userId and a column id type), first among a mapping's columns. */
export function userColumns(m: { userId: { column: string }; idType: ColumnOrConstant }): MappedColumn[] {
  const out: MappedColumn[] = [{ column: m.userId.column, field: 'mapping.userId' }];
  refColumn(out, m.idType, 'mapping.idType');
  return out;
}

/** A column-or-constant's column, when it names one. */
export function refColumn(out: MappedColumn[], c: ColumnOrConstant | undefined, field: string): void {
  if (c && 'column' in c) out.push({ column: c.column, field });
}

/** A list of attributes or properties: each column with its declared type. */
export function typedColumns(out: MappedColumn[], list: PropertyMapping[], field: string): void {
  list.forEach((a, i) => out.push({ column: a.column, field: `${field}.${i}`, type: a.type }));
}

/**
 * What a data type declares on the spec side (free of Node built-ins and of the store: the workflow
 * bundle imports it): its spec variant, and the source columns its mapping reads, in select-list order.
 */
export interface DataTypeSpec<S extends z.ZodType<{ dataType: string; mapping: unknown }>> {
  schema: S;
  columns(mapping: z.infer<S>['mapping']): MappedColumn[];
}
