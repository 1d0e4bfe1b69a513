/**
 * The import specification: the single source of truth for what an import is.
 * API validation, CLI input checks and the workflow's types all derive from this schema: one variant per
 * data type, taken from the data types' spec registry (dataTypes/specs.ts), built of the fields in
 * domain/specFields.ts. It never holds a secret: a source names a connection, which the worker resolves itself.
 */
import { z } from 'zod';
import { dataTypeSpecs, specSchemas } from '../dataTypes/specs';
import type { DataTypeSpec, MappedColumn } from './specFields';

export * from './specFields';
export { type ProfileImport, profileImport, profileMapping } from '../dataTypes/profile/spec';
export { type ActivityImport, activityImport, activityMapping } from '../dataTypes/activity/spec';
export {
  type SegmentsImport,
  type SegmentSyncMode,
  segmentSyncModes,
  segmentsImport,
  segmentsMapping,
} from '../dataTypes/segments/spec';
export { type IdentityImport, identityImport, identityMapping } from '../dataTypes/identity/spec';
export { type GroupImport, groupImport, groupMapping } from '../dataTypes/group/spec';

export const importSpec = z.discriminatedUnion('dataType', specSchemas);

/** What callers write (defaults optional). */
export type ImportSpecInput = z.input<typeof importSpec>;
/** What the engine runs (defaults filled in). */
export type ImportSpec = z.infer<typeof importSpec>;
export type DataType = ImportSpec['dataType'];

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

/** The spec side of a data type: its variant's schema and its mapped columns. */
const specOf = (dataType: DataType): DataTypeSpec<(typeof specSchemas)[number]> =>
  dataTypeSpecs.find((s) => s.schema.shape.dataType.value === dataType) as unknown as DataTypeSpec<
    (typeof specSchemas)[number]
  >;

/** Every source column the mapping reads, with the field of the spec that names it (and its declared type). */
export function mappedColumns(spec: ImportSpec): MappedColumn[] {
  return [
    { column: spec.cursor.column, field: 'cursor.column' },
    { column: spec.cursor.key, field: 'cursor.key' },
    ...specOf(spec.dataType).columns(spec.mapping),
  ];
}

/**
 * The columns mapped as JSON (attributes or properties of type json). A source whose own text of a type is
 * not JSON (a Postgres array prints as {a,b}) renders these columns as JSON instead; see ReadOptions.
 */
export function jsonColumns(spec: ImportSpec): string[] {
  return [
    ...new Set(
      mappedColumns(spec)
        .filter((p) => p.type === 'json')
        .map((p) => p.column),
    ),
  ];
}
