/**
 * What ClickHouse's JSON output changes, and how each column's value is read back exactly:
 *   - 64-bit (and wider) integers are printed as strings (output_format_json_quote_64bit_integers, on by
 *     default). At the top level the text is the same; inside an array, tuple or map they would become
 *     JSON strings, so they are turned back into numbers by walking the value with the column's type. A
 *     setting cannot do it: a read-only user (readonly=1) may not change settings.
 *   - NaN and ±Infinity floats are printed as null (output_format_json_quote_denormals off), the same as
 *     NULL: a NaN would have been loaded as NULL. For each column holding floats the query also selects the
 *     column's own text when a value is not finite; that text (nan, [1.5,inf]) is then the value, and the
 *     mapping rejects it as it rejects any other non-number, or non-JSON, text.
 */
import { type LosslessValue, RawNumber } from '../common/losslessJson';
import { textExpr, toText } from './clickhouseTypes';
import type { SourceColumn } from '../source';

/** A ClickHouse type as a tree: Array(Nullable(Int64)) → Array [Nullable [Int64]]; tuple elements may be named. */
export interface ChType {
  name: string;
  args: ChType[];
  /** Element names of a Tuple or Nested (null where unnamed). */
  names: (string | null)[];
}

const COMPOSITE = new Set(['Array', 'Tuple', 'Map', 'Nested', 'Nullable', 'LowCardinality']);

/** Split at the commas that are not inside parentheses or quotes. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(s.slice(from));
  return parts.map((p) => p.trim());
}

/** An element of a Tuple or Nested: `Int64`, `a Int64` or `` `a b` Int64 ``. */
function element(part: string): { name: string | null; type: ChType } {
  const m = /^(`(?:[^`\\]|\\.)*`|[A-Za-z_]\w*)\s+(\S[\s\S]*)$/.exec(part);
  if (!m) return { name: null, type: parseType(part) };
  return { name: m[1]!.startsWith('`') ? m[1]!.slice(1, -1) : m[1]!, type: parseType(m[2]!) };
}

export function parseType(type: string): ChType {
  const t = type.trim();
  const m = /^(\w+)\(([\s\S]*)\)$/.exec(t);
  if (!m || !COMPOSITE.has(m[1]!)) return { name: m ? m[1]! : t, args: [], names: [] };
  const elements = splitTop(m[2]!).map(
    m[1] === 'Tuple' || m[1] === 'Nested' ? element : (p) => ({ name: null, type: parseType(p) }),
  );
  return { name: m[1]!, args: elements.map((e) => e.type), names: elements.map((e) => e.name) };
}

const FLOAT = /^Float(32|64)$/;
const WIDE_INT = /^U?Int(64|128|256)$/;

/** Whether the type holds, anywhere, a type matching `leaf`. */
function holds(t: ChType, leaf: RegExp): boolean {
  return leaf.test(t.name) || t.args.some((a) => holds(a, leaf));
}

/**
 * SQL true when the value `expr` of type `t` holds a NaN or an infinite float, at any depth; null when the
 * type holds no float. Lambda variables are named by depth so they shadow neither columns nor each other.
 */
export function nonFiniteCheck(expr: string, t: ChType, depth = 0): string | null {
  if (!holds(t, FLOAT)) return null;
  const v = `__tributary_v${depth}`;
  const inner = (e: string, at: ChType) => nonFiniteCheck(e, at, depth + 1);
  switch (t.name) {
    case 'Nullable':
      return `ifNull(${nonFiniteCheck(expr, t.args[0]!, depth)}, 0)`;
    case 'LowCardinality':
      return nonFiniteCheck(expr, t.args[0]!, depth);
    case 'Array':
      return `arrayExists(${v} -> ${inner(v, t.args[0]!)}, ${expr})`;
    case 'Map':
      return `arrayExists(${v} -> ${inner(v, t.args[1]!)}, mapValues(${expr}))`;
    case 'Nested':
      return nonFiniteCheck(expr, { name: 'Array', args: [{ ...t, name: 'Tuple' }], names: [] }, depth);
    case 'Tuple': {
      const checks = t.args
        .map((a, i) => nonFiniteCheck(`tupleElement(${expr}, ${i + 1})`, a, depth))
        .filter((c) => c !== null);
      return `(${checks.join(' OR ')})`;
    }
    default:
      return `(isNaN(${expr}) OR isInfinite(${expr}))`;
  }
}

/** The value with every wide integer the server quoted (inside arrays, tuples, maps) a number again. */
export function exactInts(v: LosslessValue, t: ChType): LosslessValue {
  if (v === null) return v;
  switch (t.name) {
    case 'Nullable':
    case 'LowCardinality':
      return exactInts(v, t.args[0]!);
    case 'Nested':
      return exactInts(v, { name: 'Array', args: [{ ...t, name: 'Tuple' }], names: [] });
    case 'Array':
      return Array.isArray(v) ? v.map((x) => exactInts(x, t.args[0]!)) : v;
    case 'Map':
      return mapObject(v, () => t.args[1]);
    case 'Tuple':
      // Positional (an array, as 18.16 prints every tuple) or by name (newer servers print named tuples as objects).
      if (Array.isArray(v))
        return v.map((x, i) => {
          const at = t.args[i];
          return at ? exactInts(x, at) : x;
        });
      return mapObject(v, (key) => t.args[t.names.indexOf(key)]);
    default:
      return WIDE_INT.test(t.name) && typeof v === 'string' && /^-?\d+$/.test(v) ? new RawNumber(v) : v;
  }
}

/** An object's members, each converted with the type `typeOf` gives its key (left as it is without one). */
function mapObject(v: LosslessValue, typeOf: (key: string) => ChType | undefined): LosslessValue {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof RawNumber) return v;
  const out = Object.create(null) as { [key: string]: LosslessValue };
  for (const [k, x] of Object.entries(v)) {
    const t = typeOf(k);
    out[k] = t ? exactInts(x, t) : x;
  }
  return out;
}

/** One column of a read: what it adds to the select list, and its text from a parsed JSONEachRow row. */
export interface ColumnReader {
  select: string;
  text(row: Record<string, LosslessValue>): string | null;
}

/** `alias` names the column in the output (it must shadow no source column); `expr` is the quoted column. */
export function columnReader(column: SourceColumn, expr: string, alias: string): ColumnReader {
  const t = parseType(column.sourceType);
  const check = nonFiniteCheck(expr, t);
  const flag = `${alias}_nonfinite`;
  const composite = t.args.length > 0 && holds(t, WIDE_INT);
  const select =
    `${textExpr(expr, column.sourceType)} AS ${alias}` +
    (check ? `, if(${check}, toString(${expr}), '') AS ${flag}` : '');
  return {
    select,
    text(row) {
      const own = check ? row[flag] : undefined;
      if (typeof own === 'string' && own !== '') return own;
      const v = row[alias];
      return toText(composite && v !== undefined ? exactInts(v, t) : v);
    },
  };
}
