/**
 * Snowflake types → import types, the select expression that renders a column as exact text, and the
 * typed expression a bound value is compared with. Timestamps are rendered by the server with an explicit
 * format, so the session's output formats cannot change them:
 *   TIMESTAMP_NTZ: wall-clock time without a zone (the import's time zone applies);
 *   TIMESTAMP_LTZ and TIMESTAMP_TZ: instants, written with their offset (TZ keeps its own, LTZ the session's).
 * FF6 keeps microseconds (Snowflake holds nanoseconds; the import keeps microseconds).
 */
import type { ValueType } from '../../domain/importSpec';
import type { SourceColumn } from '../source';

export const NTZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF6';
export const TZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF6TZH:TZM';

/** Canonical type names as INFORMATION_SCHEMA.COLUMNS.DATA_TYPE spells them; result metadata uses other words. */
const CANONICAL: Record<string, string> = {
  FIXED: 'NUMBER',
  REAL: 'FLOAT',
  DECIMAL: 'NUMBER',
  NUMERIC: 'NUMBER',
  INT: 'NUMBER',
  INTEGER: 'NUMBER',
  BIGINT: 'NUMBER',
  DOUBLE: 'FLOAT',
  VARCHAR: 'TEXT',
  STRING: 'TEXT',
  CHAR: 'TEXT',
  DATETIME: 'TIMESTAMP_NTZ',
};

export function canonicalType(type: string): string {
  const t = type.toUpperCase().replace(/\(.*$/, '').trim();
  return CANONICAL[t] ?? t;
}

export function importTypeOf(type: string): ValueType | null {
  switch (canonicalType(type)) {
    case 'NUMBER':
    case 'FLOAT':
      return 'number';
    case 'TEXT':
      return 'string';
    case 'BOOLEAN':
      return 'boolean';
    case 'DATE':
      return 'date';
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return 'timestamp';
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
    case 'MAP':
      return 'json';
    // BINARY, TIME (a duration of day), GEOGRAPHY, GEOMETRY, VECTOR: no import type holds them faithfully.
    default:
      return null;
  }
}

/**
 * Names: Snowflake stores unquoted identifiers upper-cased. A name that is all upper case is reported in
 * lower case (so mappings read naturally: `user_id`) and written back upper-cased and quoted; any other
 * name was created quoted and is used exactly.
 */
export const reportName = (name: string): string => (/^[A-Z_][A-Z0-9_$]*$/.test(name) ? name.toLowerCase() : name);
export const quoteIdent = (name: string): string =>
  `"${(/^[a-z_][a-z0-9_$]*$/.test(name) ? name.toUpperCase() : name).replace(/"/g, '""')}"`;
export const quoteTable = (table: string): string => table.split('.').map(quoteIdent).join('.');

export function columnOf(name: string, type: string, scale?: number | null): SourceColumn {
  const canonical = canonicalType(type);
  const importType = importTypeOf(canonical);
  return {
    name: reportName(name),
    sourceType: canonical === 'NUMBER' ? `NUMBER(38,${scale ?? 0})` : canonical,
    importType,
    cursorKind:
      importType === 'timestamp' || importType === 'date' ? 'time' : importType === 'number' ? 'number' : 'other',
  };
}

/** The expression that renders a column as exact text (timestamps and dates formatted by the server). */
export function textExpr(expr: string, column: SourceColumn): string {
  switch (column.sourceType) {
    case 'TIMESTAMP_NTZ':
      return `TO_VARCHAR(${expr}, '${NTZ_FORMAT}')`;
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return `TO_VARCHAR(${expr}, '${TZ_FORMAT}')`;
    case 'DATE':
      return `TO_VARCHAR(${expr}, 'YYYY-MM-DD')`;
    // Semi-structured values as JSON text rendered by the server (the SDK would parse and re-render them).
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
    case 'MAP':
      return `TO_JSON(${expr})`;
    default:
      return expr;
  }
}

/** A bind placeholder converted to the column's type, so comparisons are exact and never textual. */
export function typedBind(column: SourceColumn): string {
  const scale = /^NUMBER\(38,(\d+)\)$/.exec(column.sourceType)?.[1];
  if (scale !== undefined) return `TO_NUMBER(?, 38, ${scale})`;
  switch (column.sourceType) {
    case 'FLOAT':
      return 'TO_DOUBLE(?)';
    case 'TIMESTAMP_NTZ':
      return `TO_TIMESTAMP_NTZ(?, '${NTZ_FORMAT}')`;
    case 'TIMESTAMP_LTZ':
      return `TO_TIMESTAMP_LTZ(?, '${TZ_FORMAT}')`;
    case 'TIMESTAMP_TZ':
      return `TO_TIMESTAMP_TZ(?, '${TZ_FORMAT}')`;
    case 'DATE':
      return "TO_DATE(?, 'YYYY-MM-DD')";
    default:
      return '?';
  }
}

/** Bound and position text → the form the typed bind parses (a `Z` or `T` from other renderings is accepted). */
export function bindText(column: SourceColumn, value: string): string {
  if (column.sourceType === 'TIMESTAMP_NTZ') return value.replace('T', ' ').replace(/Z$/, '');
  if (column.sourceType === 'TIMESTAMP_LTZ' || column.sourceType === 'TIMESTAMP_TZ')
    return value.replace('T', ' ').replace(/Z$/, '+00:00');
  return value;
}
