/**
 * BigQuery types → import types, and the rendering of raw REST values (rows read with skipParsing, so the
 * client library never turns INT64 or NUMERIC into a float) as exact text:
 *   TIMESTAMP: an instant; on the wire microseconds since the epoch (formatOptions.useInt64Timestamp),
 *              written as ISO 8601 UTC with six digits and a Z;
 *   DATETIME:  civil time without a zone, written as BigQuery sends it (the import's time zone applies);
 *   REPEATED:  a JSON array (so arrays map to segment arrays); RECORD: a JSON object. A NaN or infinite
 *              FLOAT64 inside either has no JSON form: it is written bare, so the value is a row error.
 */
import type { ValueType } from '../../domain/importSpec';
import type { SourceColumn } from '../source';

export interface BqField {
  name: string;
  type: string;
  mode?: string;
  fields?: BqField[];
}

const NUMBER = new Set(['INTEGER', 'INT64', 'FLOAT', 'FLOAT64', 'NUMERIC', 'BIGNUMERIC', 'DECIMAL', 'BIGDECIMAL']);

export function importTypeOf(field: BqField): ValueType | null {
  if (field.mode === 'REPEATED') return 'json';
  const t = field.type.toUpperCase();
  if (NUMBER.has(t)) return 'number';
  if (t === 'STRING' || t === 'GEOGRAPHY') return 'string';
  if (t === 'BOOLEAN' || t === 'BOOL') return 'boolean';
  if (t === 'TIMESTAMP' || t === 'DATETIME') return 'timestamp';
  if (t === 'DATE') return 'date';
  if (t === 'RECORD' || t === 'STRUCT' || t === 'JSON') return 'json';
  // BYTES, TIME (a time of day), INTERVAL, RANGE: no import type holds them faithfully.
  return null;
}

export function columnOf(field: BqField): SourceColumn {
  const importType = importTypeOf(field);
  return {
    name: field.name,
    sourceType: field.mode === 'REPEATED' ? `ARRAY<${field.type.toUpperCase()}>` : field.type.toUpperCase(),
    importType,
    cursorKind:
      field.mode === 'REPEATED'
        ? 'other'
        : importType === 'timestamp' || importType === 'date'
          ? 'time'
          : importType === 'number'
            ? 'number'
            : 'other',
  };
}

/** Microseconds since the epoch (as decimal text) → `YYYY-MM-DDTHH:MM:SS.ffffffZ`, exactly. */
export function microsToIso(v: string): string {
  if (!/^-?\d+$/.test(v)) {
    // Float seconds (older wire format): as exact as the float allows.
    return microsToIso(String(Math.round(Number(v) * 1e6)));
  }
  const us = BigInt(v);
  let ms = us / 1000n;
  let rest = us % 1000n;
  if (rest < 0n) {
    rest += 1000n;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${rest.toString().padStart(3, '0')}Z`;
}

type Cell = { v?: unknown } | null | undefined;

/** A raw cell value as the text that crosses the connector interface. */
export function renderValue(v: unknown, field: BqField): string | null {
  if (v === null || v === undefined) return null;
  if (field.mode === 'REPEATED' || field.type === 'RECORD' || field.type === 'STRUCT') return jsonOf(v, field);
  if (field.type === 'TIMESTAMP') return microsToIso(String(v));
  return String(v);
}

/** A raw value as a JSON fragment (numbers written with their digits, not re-rounded). */
function jsonOf(v: unknown, field: BqField): string {
  if (v === null || v === undefined) return 'null';
  if (field.mode === 'REPEATED') {
    const item = { ...field, mode: 'NULLABLE' };
    return `[${(v as Cell[]).map((c) => jsonOf(c?.v, item)).join(',')}]`;
  }
  const t = field.type.toUpperCase();
  if (t === 'RECORD' || t === 'STRUCT') {
    const cells = (v as { f?: Cell[] }).f ?? [];
    return `{${(field.fields ?? []).map((f, i) => `${JSON.stringify(f.name)}:${jsonOf(cells[i]?.v, f)}`).join(',')}}`;
  }
  // Numbers as sent. A float JSON cannot write (NaN, Infinity, -Infinity) is left bare too, never quoted:
  // the value is then not JSON and a json-typed mapping rejects the row, as a number-typed mapping rejects
  // the same float outside an array. Quoted, it would have become a string silently.
  if (NUMBER.has(t)) return String(v);
  if (t === 'BOOLEAN' || t === 'BOOL') return String(v) === 'true' ? 'true' : 'false';
  if (t === 'JSON') return String(v);
  if (t === 'TIMESTAMP') return JSON.stringify(microsToIso(String(v)));
  return JSON.stringify(String(v));
}

export const quoteIdent = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;

/** The SQL that turns a STRING parameter into the column's type, so comparisons are exact. */
export function typedParam(column: SourceColumn, param: string): string {
  switch (column.sourceType) {
    case 'INTEGER':
    case 'INT64':
      return `CAST(${param} AS INT64)`;
    case 'FLOAT':
    case 'FLOAT64':
      return `CAST(${param} AS FLOAT64)`;
    case 'NUMERIC':
    case 'BIGNUMERIC':
    case 'DECIMAL':
    case 'BIGDECIMAL':
      return `CAST(${param} AS BIGNUMERIC)`;
    case 'TIMESTAMP':
      return `CAST(${param} AS TIMESTAMP)`;
    case 'DATETIME':
      return `CAST(${param} AS DATETIME)`;
    case 'DATE':
      return `CAST(${param} AS DATE)`;
    default:
      return param;
  }
}
