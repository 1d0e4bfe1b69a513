/**
 * The SQL text a Postgres source reads with: how a relation is quoted and selected, how a column's type
 * becomes an import type, and how values come back (as the server's own text). The source, its explorer
 * and its range planner all build their statements from these.
 */
import pg from 'pg';
import type { ValueType } from '../../domain/importSpec';
import type { Relation, SourceColumn } from '../source';
import { fromClause as sharedFromClause } from '../common/fromClause';
import { assertPostgresSelect } from './postgresSqlGuard';

/** Every value as the server's text: timestamps keep microseconds, numerics keep every digit. */
export const rawTypes = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

const TIME_TYPES = new Set(['timestamp with time zone', 'timestamp without time zone', 'date']);
const NUMBER_TYPES = new Set(['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision']);

export function importTypeOf(sourceType: string): ValueType | null {
  if (sourceType.startsWith('timestamp')) return 'timestamp';
  if (sourceType === 'date') return 'date';
  if (NUMBER_TYPES.has(sourceType) || sourceType.startsWith('numeric')) return 'number';
  if (sourceType === 'boolean') return 'boolean';
  if (sourceType === 'json' || sourceType === 'jsonb' || sourceType.endsWith('[]')) return 'json';
  if (/^(text|character|character varying|uuid|citext|name|inet|cidr)/.test(sourceType)) return 'string';
  if (sourceType === 'bytea' || sourceType.startsWith('time ') || sourceType === 'interval') return null;
  return 'string';
}

export function columnOf(name: string, sourceType: string): SourceColumn {
  return {
    name,
    sourceType,
    importType: importTypeOf(sourceType),
    cursorKind: TIME_TYPES.has(sourceType) ? 'time' : NUMBER_TYPES.has(sourceType) ? 'number' : 'other',
  };
}

/** Array types whose items may be NaN or ±Infinity, which to_json would quote into strings. */
const FLOAT_ARRAYS = new Set(['real[]', 'double precision[]', 'numeric[]']);

/**
 * The select expression of a column, as the mapping will type it. An array mapped as json is read as JSON
 * (Postgres prints it as {a,b}, which is not JSON: '{}' would have been an empty object). Elsewhere it keeps
 * Postgres's text, which segment arrays read. A float array holding NaN or Infinity keeps its text too:
 * JSON cannot write them (to_json quotes them, a silent change to strings), so the row is rejected instead.
 */
export function selectExpr(column: SourceColumn, asJson: boolean): string {
  const c = `src.${pg.escapeIdentifier(column.name)}`;
  if (!asJson || !column.sourceType.endsWith('[]')) return c;
  if (!FLOAT_ARRAYS.has(column.sourceType)) return `to_json(${c})::text`;
  return `CASE WHEN ${c}::text ~ '[{,]-?(NaN|Infinity)[,}]' THEN ${c}::text ELSE to_json(${c})::text END`;
}

/** Quote a possibly schema-qualified table name. */
export function quoteTable(table: string): string {
  return table
    .split('.')
    .map((p) => pg.escapeIdentifier(p))
    .join('.');
}

export const fromClause = (relation: Relation): string =>
  sharedFromClause('postgres', relation, quoteTable, 'src', assertPostgresSelect);
