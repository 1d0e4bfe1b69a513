/**
 * Mapping and validation, the shared part: one source row (text values in select-list order) becomes zero
 * or more staged lines in COPY text format, or a row error naming the column, the value and the reason.
 * Each data type maps its rows (dataTypes/<type>/<type>.ts) with the steps compiled here (mappingKit).
 * Compiled once per batch, so the per-row path is plain array indexing. This is the import's hottest
 * code: one call per source row, so it avoids regular expressions and needless allocations.
 */
import type { ColumnOrConstant, ImportSpec, PropertyMapping } from '../domain/importSpec';
import { mappedColumns } from '../domain/importSpec';
import { identifierNormaliser } from '../domain/identifiers';
import { unstorable } from '../domain/storableText';
import { clip, jsonString, plainJsonString, toJson } from '../domain/values';

export interface RowError {
  column: string | null;
  value: string | null;
  reason: string;
}

export type MapResult =
  | {
      ok: true;
      /** The staged lines in COPY text format, each ending with a newline (empty: nothing to stage). */
      text: string;
      /** Events: the event's key in the dedup memory (dataTypes/activity/eventKey.ts), for in-chunk dedup. */
      dedup?: string;
      /** Loaders that COPY rows straight into their table (events): the row's line for that table. */
      row?: string;
    }
  | ({ ok: false } & RowError);

export interface CompiledMapping {
  /** The columns to select, cursor and key first. */
  columns: string[];
  cursorIndex: number;
  keyIndex: number;
  map: MapRow;
}

/** One source row (its place in the batch: seq) to its stage lines, or a row error. */
export type MapRow = (row: (string | null)[], seq: number) => MapResult;

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/**
 * Whether a value holds a character COPY text must escape. A long value (a JSON document) is searched for
 * each character in turn: four native searches cost a fraction of one pass of the regular expression.
 */
const needsEscape = (v: string): boolean =>
  v.length < 32 ? NEEDS_ESCAPE.test(v) : v.includes('\\') || v.includes('\t') || v.includes('\n') || v.includes('\r');

/** COPY text-format field: \N for NULL; backslash, tab, newline and carriage return escaped. */
export function copyField(v: string | null): string {
  if (v === null) return '\\N';
  return needsEscape(v)
    ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : v;
}

export const fail = (column: string | null, value: string | null, reason: string): MapResult => ({
  ok: false,
  column,
  value: value === null ? null : clip(value, 500),
  reason,
});

export type Step<T> = { ok: true; value: T } | { ok: false; err: MapResult };
/**
 * value: `id_type<TAB>id_value` escaped for COPY; type and id: the id type and the identifier themselves
 * (an event's dedup memory key is made of them); key: the user within the scope of userScopeOf (the bare
 * value when the id type is a constant: a flat string, cheap to hash).
 */
export type UserStep =
  { ok: true; value: string; type: string; id: string; key: string } | { ok: false; err: MapResult };

export interface MappingHooks {
  /**
   * Events: whether the user must be staged, to be checked against the identities index (true when
   * unsure): only on its first row in the batch, and not at all when the store is known to hold it.
   * `user` is unique within the scope of userScopeOf(spec).
   */
  firstUse?(user: string): boolean;
  /**
   * Profiles, segments and groups: the COPY field of a row's source order (engine/sourceOrder.ts), staged
   * last on each of its lines so the store never lets an older row overwrite a newer one. Default: \N.
   */
  sourceOrder?(cursor: string | null): string;
}

/**
 * What a data type's mapping is compiled from (dataTypes/<type>/<type>.ts): the batch's select list and the
 * shared steps, each compiled once per batch for a column and run once per row.
 */
export interface MappingKit {
  spec: ImportSpec;
  /** The columns to select, cursor and key first. */
  columns: string[];
  /** A mapped column's place in a row. */
  idx(column: string): number;
  cursorIndex: number;
  keyIndex: number;
  /** The import's time zone, for zone-less timestamps. */
  tz: string;
  hooks: MappingHooks;
  /** The COPY field of a row's source order (MappingHooks.sourceOrder). */
  orderOf(cursor: string | null): string;
  ref(c: ColumnOrConstant, what: string): (row: (string | null)[]) => Step<string>;
  user(column: string, idType: ColumnOrConstant): (row: (string | null)[]) => UserStep;
  props(list: PropertyMapping[]): (row: (string | null)[]) => Step<string> & { key?: string };
  bool(column: string | undefined): (row: (string | null)[]) => Step<boolean>;
}

/** The shared steps of a mapping, compiled for this spec's columns; the data type's mapping uses them. */
export function mappingKit(spec: ImportSpec, hooks: MappingHooks = {}): MappingKit {
  const columns: string[] = [];
  for (const { column } of mappedColumns(spec)) if (!columns.includes(column)) columns.push(column);
  const idx = (c: string) => columns.indexOf(c);
  const ident = identifierNormaliser(spec.identifiers);
  const tz = spec.timeZone;
  const cursorIndex = idx(spec.cursor.column);
  const orderOf = hooks.sourceOrder ?? (() => '\\N');

  /** A column-or-constant that must be a non-empty identifier-like string (id type, event type…). */
  const ref = (c: ColumnOrConstant, what: string): ((row: (string | null)[]) => Step<string>) => {
    if ('value' in c) {
      const constant: Step<string> = { ok: true, value: c.value.trim() };
      return () => constant;
    }
    const i = idx(c.column);
    return (row) => {
      const raw = row[i] ?? null;
      const v = raw?.trim() ?? '';
      if (v === '') return { ok: false, err: fail(c.column, raw, `${what} is empty`) };
      const bad = unstorable(v);
      if (bad) return { ok: false, err: fail(c.column, raw, `${what} contains ${bad}`) };
      return { ok: true, value: v };
    };
  };
  /**
   * The user: `id_type<TAB>id_value`, escaped for COPY, the id type and the identifier unescaped, and its
   * key within the scope of userScopeOf.
   */
  const user = (column: string, idType: ColumnOrConstant): ((row: (string | null)[]) => UserStep) => {
    const i = idx(column);
    const type = ref(idType, 'id type');
    const constant = 'value' in idType ? idType.value.trim() : null;
    const constantPrefix = constant === null ? null : `${copyField(constant)}\t`;
    return (row) => {
      let typeText = constant;
      let prefix = constantPrefix;
      if (typeText === null || prefix === null) {
        const t = type(row);
        if (!t.ok) return t;
        typeText = t.value;
        prefix = `${copyField(t.value)}\t`;
      }
      const raw = row[i] ?? null;
      const id = ident(raw);
      if (!id.ok) return { ok: false, err: fail(column, raw, id.reason) };
      const bad = unstorable(id.value);
      if (bad) return { ok: false, err: fail(column, raw, `identifier contains ${bad}`) };
      return {
        ok: true,
        value: prefix + copyField(id.value),
        type: typeText,
        id: id.value,
        key: constant === null ? `${typeText}\u001f${id.value}` : id.value,
      };
    };
  };
  /**
   * Properties rendered as canonical JSON: keys sorted once here, values typed per row. `key`: the text
   * the event's dedup key is computed from, when a JSON value's differs from what is stored (JsonResult).
   */
  const props = (list: PropertyMapping[]): ((row: (string | null)[]) => Step<string> & { key?: string }) => {
    const sorted = list
      .map((p) => ({ ...p, key: p.property ?? p.column, i: idx(p.column) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const n = sorted.length;
    const prefixes = sorted.map((p, k) => `${k ? ',' : '{'}${jsonString(p.key)}:`);
    return (row) => {
      if (n === 0) return EMPTY_OBJECT;
      let json = '';
      // Only built once a value's key text differs from its stored text (rare).
      let key: string | null = null;
      for (let k = 0; k < n; k++) {
        const p = sorted[k]!;
        const raw = row[p.i] ?? null;
        let value: string;
        let valueKey: string | undefined;
        // A plain string (the common case) is storable, and its literal is its text in quotes.
        const plain = raw !== null && p.type === 'string' ? plainJsonString(raw) : null;
        if (raw === null) {
          value = 'null';
        } else if (plain !== null) {
          value = plain;
        } else {
          const bad = unstorable(raw);
          if (bad) return { ok: false, err: fail(p.column, raw, `value contains ${bad}`) };
          if (p.type === 'string') {
            value = JSON.stringify(raw);
          } else {
            const r = toJson(raw, p.type, p.format, tz);
            if (!r.ok) return { ok: false, err: fail(p.column, raw, r.reason) };
            value = r.json;
            valueKey = r.key;
          }
        }
        if (valueKey !== undefined && key === null) key = json;
        json += prefixes[k]! + value;
        if (key !== null) key += prefixes[k]! + (valueKey ?? value);
      }
      return key === null ? { ok: true, value: `${json}}` } : { ok: true, value: `${json}}`, key: `${key}}` };
    };
  };
  const bool = (column: string | undefined): ((row: (string | null)[]) => Step<boolean>) => {
    if (!column) return () => FALSE_STEP;
    const i = idx(column);
    return (row) => {
      const raw = row[i] ?? null;
      if (raw === null) return FALSE_STEP;
      const r = toJson(raw, 'boolean', undefined, tz);
      if (!r.ok) return { ok: false, err: fail(column, raw, r.reason) };
      return r.json === 'true' ? TRUE_STEP : FALSE_STEP;
    };
  };

  return {
    spec,
    columns,
    idx,
    cursorIndex,
    keyIndex: idx(spec.cursor.key),
    tz,
    hooks,
    orderOf,
    ref,
    user,
    props,
    bool,
  };
}

/** The scope (userScopeOf) of mappings whose id type comes from a column: their users' keys carry the type. */
export const MIXED_ID_TYPES = '\u001f';

/** The scope users' keys are unique in: the constant id type, or MIXED_ID_TYPES. */
export function userScopeOf(spec: ImportSpec): string {
  const idType = 'idType' in spec.mapping ? spec.mapping.idType : null;
  return idType && 'value' in idType ? idType.value.trim() : MIXED_ID_TYPES;
}

const EMPTY_OBJECT: Step<string> = Object.freeze({ ok: true, value: '{}' });
const TRUE_STEP: Step<boolean> = Object.freeze({ ok: true, value: true });
const FALSE_STEP: Step<boolean> = Object.freeze({ ok: true, value: false });

/** A Postgres array literal ({a,"b c"}) or a JSON array of strings. */
export function parseArray(raw: string): string[] | null {
  const s = raw.trim();
  if (s.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(s);
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
    } catch {
      return null;
    }
  }
  if (!s.startsWith('{') || !s.endsWith('}')) return null;
  const out: string[] = [];
  let i = 1;
  while (i < s.length - 1) {
    let item = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i++;
        item += s[i];
        i++;
      }
      i++;
    } else {
      // A nested array ({{a,b},{c,d}}) is not a list of names.
      if (s[i] === '{') return null;
      while (i < s.length - 1 && s[i] !== ',') item += s[i++];
      if (item === 'NULL') return null;
    }
    out.push(item);
    if (s[i] === ',') i++;
  }
  return out;
}
