/**
 * ClickHouse types → import types, and the two renderings that keep values exact: the select expression
 * that makes the server print a column as text (numbers and decimals as strings, DateTime as UTC with a
 * `Z`), and the typed literal a position is compared with. Works on 18.16 (DateTime in seconds, no
 * DateTime64, no query parameters) and on current servers (DateTime64 keeps its fraction).
 */
import type { ValueType } from '../../domain/importSpec';
import { ConfigurationError, type SourceColumn } from '../source';
import { type LosslessValue, RawNumber, stringifyLossless } from '../common/losslessJson';

/** Nullable(T) and LowCardinality(T) are storage details: the value is a T. */
export function baseType(type: string): string {
  const m = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(type.trim());
  return m ? baseType(m[1]!) : type.trim();
}

const NUMBER = /^(U?Int(8|16|32|64|128|256)|Float(32|64)|Decimal(32|64|128|256)?\(.*\))$/;

export function importTypeOf(type: string): ValueType | null {
  const t = baseType(type);
  if (NUMBER.test(t)) return 'number';
  if (t === 'Bool' || t === 'Boolean') return 'boolean';
  if (/^DateTime(64)?(\(.*\))?$/.test(t)) return 'timestamp';
  if (t === 'Date' || t === 'Date32') return 'date';
  if (/^(Array|Tuple|Map|Nested)\(/.test(t) || t === 'JSON' || /^Object\(/.test(t)) return 'json';
  if (/^(String|FixedString\(\d+\)|UUID|Enum(8|16)?\(.*\)|IPv4|IPv6)$/.test(t)) return 'string';
  // AggregateFunction states, Nothing, intervals: nothing an import can hold.
  return null;
}

export function columnOf(name: string, type: string): SourceColumn {
  const importType = importTypeOf(type);
  return {
    name,
    sourceType: type,
    importType,
    cursorKind:
      importType === 'timestamp' || importType === 'date' ? 'time' : importType === 'number' ? 'number' : 'other',
  };
}

export const quoteIdent = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
export const quoteString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export function quoteTable(table: string): string {
  const parts = table.split('.');
  // ClickHouse names a table by table or database.table: a third part is a syntax error it reports untyped.
  if (parts.length > 2)
    throw new ConfigurationError(
      `clickhouse: table ${table} has ${parts.length} parts; ClickHouse names a table as table or database.table`,
    );
  return parts.map(quoteIdent).join('.');
}

/**
 * The expression that renders `expr` (a column of `type`) as exact text in JSONEachRow: date-times in UTC
 * marked `Z`. Numbers stay as the server prints them and are read losslessly (toString(Decimal128) is
 * broken on 18.16: it prints NUL bytes for values beyond 20 digits).
 */
export function textExpr(expr: string, type: string): string {
  const t = baseType(type);
  if (importTypeOf(type) === 'timestamp') return `concat(toString(${expr}, 'UTC'), 'Z')`;
  if (t === 'UUID' || t === 'IPv4' || t === 'IPv6') return `toString(${expr})`;
  return expr;
}

/** A literal of the column's type for comparing with a position or bound given as text. */
export function typedLiteral(column: SourceColumn, value: string): string {
  const t = baseType(column.sourceType);
  if (column.importType === 'timestamp') {
    const text = value.replace(/Z$/, '').replace('T', ' ');
    const p64 = /^DateTime64\((\d+)/.exec(t);
    // DateTime holds whole seconds: a bound's fraction is dropped (values of the column have none).
    return p64
      ? `toDateTime64(${quoteString(text)}, ${p64[1]}, 'UTC')`
      : `toDateTime(${quoteString(text.replace(/\.\d*$/, ''))}, 'UTC')`;
  }
  if (column.importType === 'date') return `toDate(${quoteString(value)})`;
  if (column.importType === 'number') return `CAST(${quoteString(value)} AS ${t})`;
  return quoteString(value);
}

/** A JSONEachRow value (parsed losslessly) → the text that crosses the connector interface. */
export function toText(v: LosslessValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (v instanceof RawNumber) return v.text;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return stringifyLossless(v);
}
