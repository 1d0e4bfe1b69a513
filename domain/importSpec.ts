/**
 * The import specification: the single source of truth for what an import is.
 * API validation, CLI input checks and the workflow's types all derive from this schema.
 * It never holds a secret: a source names a connection, which the worker resolves itself.
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

const timestampColumn = z
  .object({ column: columnName, format: z.string().min(1).max(64).optional() })
  .strict();

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
    reserved: z
      .array(z.string().max(1024))
      .max(1000)
      .default(['null', 'undefined', 'none', 'nan', 'test']),
    maxLength: z.number().int().min(1).max(1024).default(1024),
  })
  .strict();
export type IdentifierOptions = z.infer<typeof identifierOptions>;

/** Text encodings a CSV, NDJSON or XML file may be in. */
export const fileEncodings = [
  'utf-8', 'utf-16', 'utf-16le', 'utf-16be', 'latin1', 'iso-8859-1', 'iso-8859-2', 'iso-8859-15',
  'windows-1250', 'windows-1251', 'windows-1252', 'windows-1253', 'windows-1254', 'windows-1255',
  'windows-1256', 'windows-1257', 'windows-1258',
] as const;

/** Named delimiters, beside any single character. */
export const DELIMITERS: Record<string, string> = { comma: ',', tab: '\t', semicolon: ';', pipe: '|', colon: ':', space: ' ', caret: '^', tilde: '~' };

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
    .refine((d) => (d.length === 1 && d !== '\n' && d !== '\r') || d in DELIMITERS, `must be one character (not a newline) or one of ${Object.keys(DELIMITERS).join(', ')}`)
    .default(','),
  /** CSV: the quote character; a quote inside a quoted field is written twice (RFC 4180). */
  quote: z.string().length(1).default('"'),
  /** CSV: whether the first record names the columns (else they are col_1, col_2, ...). */
  header: z.boolean().default(true),
  encoding: z.enum(fileEncodings).default('utf-8'),
  /** XML: the element path of one record, e.g. `orders/order` (names separated by /). */
  recordPath: z.string().regex(/^[A-Za-z_][\w.:-]*(\/[A-Za-z_][\w.:-]*)*$/, 'must be element names separated by /').optional(),
  limits: z
    .object({
      /** Largest file accepted, in bytes (default 10 GiB, at most 1 TiB). */
      maxBytes: z.number().int().min(1).max(1024 ** 4).default(10 * 1024 ** 3),
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
  .refine((f) => f.format !== 'xml' || f.recordPath !== undefined, { message: 'XML files need recordPath', path: ['recordPath'] });
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
export const timeZoneName = z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Paris');

const common = {
  id: importId,
  name: z.string().min(1).max(200),
  source: sourceSpec,
  cursor: cursorSpec,
  identifiers: identifierOptions.default({ trim: true, lowerCase: false, reserved: ['null', 'undefined', 'none', 'nan', 'test'], maxLength: 1024 }),
  /** Zone-less timestamps are read in this IANA time zone. */
  timeZone: timeZoneName.default('UTC'),
  // Large by default: per-batch overhead dominates small batches (docs/performance.md); memory is bounded
  // by the load chunk, not the batch.
  batchSize: z.number().int().min(1).max(200_000).default(100_000),
};

const userRef = {
  userId: z.object({ column: columnName }).strict(),
  idType: columnOrConstant.default({ value: 'external_id' }),
};

export const profileMapping = z
  .object({
    ...userRef,
    attributes: z.array(propertyMapping).max(500).default([]),
  })
  .strict();

export const activityMapping = z
  .object({
    ...userRef,
    eventType: columnOrConstant,
    timestamp: timestampColumn,
    properties: z.array(propertyMapping).max(500).default([]),
  })
  .strict();

export const segmentsMapping = z
  .object({
    ...userRef,
    /** A column holding one segment name, or an array of names (a Postgres array or a JSON array). */
    segment: z.object({ column: columnName, array: z.boolean().default(false) }).strict(),
    /** A boolean column: true removes the membership instead of adding it. */
    removed: z.object({ column: columnName }).strict().optional(),
  })
  .strict();

export const identityMapping = z
  .object({
    left: z.object({ idType: columnOrConstant, value: z.object({ column: columnName }).strict() }).strict(),
    right: z.object({ idType: columnOrConstant, value: z.object({ column: columnName }).strict() }).strict(),
  })
  .strict();

export const groupMapping = z
  .object({
    ...userRef,
    groupId: z.object({ column: columnName }).strict(),
    groupType: columnOrConstant,
    role: z.object({ column: columnName }).strict().optional(),
    removed: z.object({ column: columnName }).strict().optional(),
  })
  .strict();

export const profileImport = z
  .object({
    ...common,
    dataType: z.literal('profile'),
    mode: z.enum(['upsert', 'insert-only', 'update-only']).default('upsert'),
    mapping: profileMapping,
  })
  .strict();

export const activityImport = z
  .object({
    ...common,
    dataType: z.literal('activity'),
    /** How long an event is remembered for deduplication, renewed each time it is seen again. */
    dedupWindowDays: z.number().int().min(0).max(3650).default(90),
    mapping: activityMapping,
  })
  .strict();

/**
 * How a segments import treats memberships its rows do not mention. incremental: each run reads the rows after
 * the last loaded position; only a removal column removes. snapshot: each run reads the whole current table or
 * query (up to its upper bound), and a run that read everything, rejected no row and read at least one row
 * then removes, in one transaction, every membership of this import that it did not see.
 */
export const segmentSyncModes = ['incremental', 'snapshot'] as const;

export const segmentsImport = z
  .object({
    ...common,
    dataType: z.literal('segments'),
    sync: z.enum(segmentSyncModes).default('incremental'),
    mapping: segmentsMapping,
  })
  .strict()
  .superRefine((s, ctx) => {
    // A drop folder imports each file once, on its own: there is no "whole current source" to compare with.
    if (s.sync === 'snapshot' && s.source.folder !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sync'],
        message: 'sync "snapshot" reads the whole source each run: give source.table, source.query or source.file, not source.folder',
      });
    }
  });

export const identityImport = z
  .object({ ...common, dataType: z.literal('identity'), mapping: identityMapping })
  .strict();

export const groupImport = z.object({ ...common, dataType: z.literal('group'), mapping: groupMapping }).strict();

export const importSpec = z.discriminatedUnion('dataType', [
  profileImport,
  activityImport,
  segmentsImport,
  identityImport,
  groupImport,
]);

/** What callers write (defaults optional). */
export type ImportSpecInput = z.input<typeof importSpec>;
/** What the engine runs (defaults filled in). */
export type ImportSpec = z.infer<typeof importSpec>;
export type DataType = ImportSpec['dataType'];
export type ProfileImport = z.infer<typeof profileImport>;
export type ActivityImport = z.infer<typeof activityImport>;
export type SegmentsImport = z.infer<typeof segmentsImport>;
export type IdentityImport = z.infer<typeof identityImport>;
export type GroupImport = z.infer<typeof groupImport>;
export type SegmentSyncMode = (typeof segmentSyncModes)[number];

/** True for a segments import in snapshot mode (each run reads everything and removes what it did not see). */
export const isSnapshot = (spec: ImportSpec): boolean => spec.dataType === 'segments' && spec.sync === 'snapshot';

/** Parse and fill defaults; throws an Error whose message names every offending field. */
export function parseImportSpec(input: unknown): ImportSpec {
  const result = importSpec.safeParse(input);
  if (!result.success) throw new InvalidSpecError(result.error);
  return result.data;
}

export class InvalidSpecError extends Error {
  readonly issues: { path: string; message: string }[];
  constructor(error: z.ZodError) {
    const issues = error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
    super(`invalid import spec: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidSpecError';
    this.issues = issues;
  }
}

/** Every source column the mapping reads, with the field of the spec that names it. */
export function mappedColumns(spec: ImportSpec): { column: string; field: string }[] {
  const out: { column: string; field: string }[] = [
    { column: spec.cursor.column, field: 'cursor.column' },
    { column: spec.cursor.key, field: 'cursor.key' },
  ];
  const ref = (c: ColumnOrConstant | undefined, field: string) => {
    if (c && 'column' in c) out.push({ column: c.column, field });
  };
  const m = spec.mapping;
  if ('userId' in m) {
    out.push({ column: m.userId.column, field: 'mapping.userId' });
    ref(m.idType, 'mapping.idType');
  }
  switch (spec.dataType) {
    case 'profile':
      spec.mapping.attributes.forEach((a, i) => out.push({ column: a.column, field: `mapping.attributes.${i}` }));
      break;
    case 'activity':
      ref(spec.mapping.eventType, 'mapping.eventType');
      out.push({ column: spec.mapping.timestamp.column, field: 'mapping.timestamp' });
      spec.mapping.properties.forEach((a, i) => out.push({ column: a.column, field: `mapping.properties.${i}` }));
      break;
    case 'segments':
      out.push({ column: spec.mapping.segment.column, field: 'mapping.segment' });
      if (spec.mapping.removed) out.push({ column: spec.mapping.removed.column, field: 'mapping.removed' });
      break;
    case 'identity':
      ref(spec.mapping.left.idType, 'mapping.left.idType');
      out.push({ column: spec.mapping.left.value.column, field: 'mapping.left.value' });
      ref(spec.mapping.right.idType, 'mapping.right.idType');
      out.push({ column: spec.mapping.right.value.column, field: 'mapping.right.value' });
      break;
    case 'group':
      out.push({ column: spec.mapping.groupId.column, field: 'mapping.groupId' });
      ref(spec.mapping.groupType, 'mapping.groupType');
      if (spec.mapping.role) out.push({ column: spec.mapping.role.column, field: 'mapping.role' });
      if (spec.mapping.removed) out.push({ column: spec.mapping.removed.column, field: 'mapping.removed' });
      break;
  }
  return out;
}

/**
 * The columns mapped as JSON (attributes or properties of type json). A source whose own text of a type is
 * not JSON (a Postgres array prints as {a,b}) renders these columns as JSON instead; see ReadOptions.
 */
export function jsonColumns(spec: ImportSpec): string[] {
  const m = spec.mapping;
  const typed = 'attributes' in m ? m.attributes : 'properties' in m ? m.properties : [];
  return [...new Set(typed.filter((p) => p.type === 'json').map((p) => p.column))];
}
