/**
 * ClickHouse types → import types, and the two renderings that keep values exact: the select expression
 * that makes the server print a column as text (numbers and decimals as strings, DateTime as UTC with a
 * `Z`), and the typed literal a position is compared with. Works on 18.16 (DateTime in seconds, no
 * DateTime64, no query parameters) and on current servers (DateTime64 keeps its fraction).
 */
import type { ValueType } from '../../spec/importSpec';
import type { SourceColumn } from '../source';

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
    cursorKind: importType === 'timestamp' || importType === 'date' ? 'time' : importType === 'number' ? 'number' : 'other',
  };
}

export const quoteIdent = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
export const quoteString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const quoteTable = (table: string): string => table.split('.').map(quoteIdent).join('.');

/**
 * The expression that renders `expr` (a column of `type`) as exact text in JSONEachRow: numbers as
 * strings (no float rounding of Decimal or UInt64), date-times in UTC marked `Z`, arrays left as JSON.
 */
export function textExpr(expr: string, type: string): string {
  const t = baseType(type);
  const importType = importTypeOf(type);
  if (importType === 'timestamp') return `concat(toString(${expr}, 'UTC'), 'Z')`;
  if (importType === 'number' || importType === 'date' || t === 'UUID' || t === 'IPv4' || t === 'IPv6') return `toString(${expr})`;
  return expr;
}

/** A literal of the column's type for comparing with a position or bound given as text. */
export function typedLiteral(column: SourceColumn, value: string): string {
  const t = baseType(column.sourceType);
  if (column.importType === 'timestamp') {
    const v = quoteString(value.replace(/Z$/, '').replace('T', ' '));
    const p64 = /^DateTime64\((\d+)/.exec(t);
    return p64 ? `toDateTime64(${v}, ${p64[1]}, 'UTC')` : `toDateTime(${v}, 'UTC')`;
  }
  if (column.importType === 'date') return `toDate(${quoteString(value)})`;
  if (column.importType === 'number') return `CAST(${quoteString(value)} AS ${t})`;
  return quoteString(value);
}

/** A JSONEachRow value → the text that crosses the connector interface. */
export function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
