/**
 * Mapping and validation: one source row (text values in select-list order) becomes zero or more
 * staged lines in COPY text format, or a row error naming the column, the value and the reason.
 * Compiled once per batch, so the per-row path is plain array indexing.
 */
import { createHash } from 'node:crypto';
import type { ColumnOrConstant, ImportSpec, PropertyMapping } from '../spec/importSpec';
import { mappedColumns } from '../spec/importSpec';
import { identifierNormaliser } from '../spec/identifiers';
import { formatInstant, parseTimestamp } from '../spec/timestamps';
import { clip, jsonString, toJson } from '../spec/values';

export interface RowError {
  column: string | null;
  value: string | null;
  reason: string;
}

export type MapResult =
  | { ok: true; lines: string[]; /** identity of the row for in-batch dedup (events) */ dedup?: string }
  | ({ ok: false } & RowError);

export interface CompiledMapping {
  /** The columns to select, cursor and key first. */
  columns: string[];
  cursorIndex: number;
  keyIndex: number;
  map(row: (string | null)[], seq: number): MapResult;
}

/** COPY text-format field: \N for NULL; backslash, tab, newline and carriage return escaped. */
export function copyField(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : v;
}

const fail = (column: string | null, value: string | null, reason: string): MapResult => ({
  ok: false,
  column,
  value: value === null ? null : clip(value, 500),
  reason,
});

const NUL = /\u0000/;

export function compileMapping(spec: ImportSpec): CompiledMapping {
  const columns: string[] = [];
  for (const { column } of mappedColumns(spec)) if (!columns.includes(column)) columns.push(column);
  const idx = (c: string) => columns.indexOf(c);
  const ident = identifierNormaliser(spec.identifiers);
  const tz = spec.timeZone;

  /** A column-or-constant that must be a non-empty identifier-like string (id type, event type…). */
  const ref = (c: ColumnOrConstant, what: string) => {
    if ('value' in c) {
      const v = c.value.trim();
      return (): { ok: true; value: string } | { ok: false; err: MapResult } => ({ ok: true, value: v });
    }
    const i = idx(c.column);
    return (row: (string | null)[]): { ok: true; value: string } | { ok: false; err: MapResult } => {
      const raw = row[i] ?? null;
      const v = raw?.trim() ?? '';
      if (v === '') return { ok: false, err: fail(c.column, raw, `${what} is empty`) };
      if (NUL.test(v)) return { ok: false, err: fail(c.column, raw, `${what} contains a NUL character`) };
      return { ok: true, value: v };
    };
  };
  const user = (column: string, idType: ColumnOrConstant) => {
    const i = idx(column);
    const type = ref(idType, 'id type');
    return (row: (string | null)[]): { ok: true; line: string } | { ok: false; err: MapResult } => {
      const t = type(row);
      if (!t.ok) return t;
      const raw = row[i] ?? null;
      const id = ident(raw);
      if (!id.ok) return { ok: false, err: fail(column, raw, id.reason) };
      if (NUL.test(id.value)) return { ok: false, err: fail(column, raw, 'identifier contains a NUL character') };
      return { ok: true, line: `${copyField(t.value)}\t${copyField(id.value)}` };
    };
  };
  /** Properties rendered as canonical JSON: keys sorted once here, values typed per row. */
  const props = (list: PropertyMapping[]) => {
    const sorted = list
      .map((p) => ({ ...p, key: p.property ?? p.column, i: idx(p.column) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const keys = sorted.map((p) => jsonString(p.key));
    return (row: (string | null)[]): { ok: true; json: string } | { ok: false; err: MapResult } => {
      let json = '{';
      for (let k = 0; k < sorted.length; k++) {
        const p = sorted[k]!;
        const raw = row[p.i] ?? null;
        if (raw !== null && NUL.test(raw)) return { ok: false, err: fail(p.column, raw, 'value contains a NUL character') };
        const r = toJson(raw, p.type, p.format, tz);
        if (!r.ok) return { ok: false, err: fail(p.column, raw, r.reason) };
        json += `${k ? ',' : ''}${keys[k]}:${r.json}`;
      }
      return { ok: true, json: `${json}}` };
    };
  };
  const bool = (column: string | undefined) => {
    if (!column) return () => ({ ok: true as const, value: false });
    const i = idx(column);
    return (row: (string | null)[]): { ok: true; value: boolean } | { ok: false; err: MapResult } => {
      const raw = row[i] ?? null;
      if (raw === null) return { ok: true, value: false };
      const r = toJson(raw, 'boolean', undefined, tz);
      if (!r.ok) return { ok: false, err: fail(column, raw, r.reason) };
      return { ok: true, value: r.json === 'true' };
    };
  };

  let map: CompiledMapping['map'];
  switch (spec.dataType) {
    case 'profile': {
      const u = user(spec.mapping.userId.column, spec.mapping.idType);
      const p = props(spec.mapping.attributes);
      map = (row, seq) => {
        const a = u(row);
        if (!a.ok) return a.err;
        const b = p(row);
        if (!b.ok) return b.err;
        return { ok: true, lines: [`${seq}\t${a.line}\t${copyField(b.json)}`] };
      };
      break;
    }
    case 'activity': {
      const m = spec.mapping;
      const u = user(m.userId.column, m.idType);
      const ev = ref(m.eventType, 'event type');
      const p = props(m.properties);
      const ti = idx(m.timestamp.column);
      map = (row, seq) => {
        const a = u(row);
        if (!a.ok) return a.err;
        const e = ev(row);
        if (!e.ok) return e.err;
        const rawTs = row[ti] ?? null;
        if (rawTs === null) return fail(m.timestamp.column, null, 'timestamp is missing (NULL)');
        const t = parseTimestamp(rawTs, m.timestamp.format, tz);
        if (!t) return fail(m.timestamp.column, rawTs, `unparseable timestamp${m.timestamp.format ? ` (expected ${m.timestamp.format})` : ''}`);
        const b = p(row);
        if (!b.ok) return b.err;
        const at = formatInstant(t);
        // Same user, event type, microsecond timestamp and typed properties: the same event (brief §3).
        const key = createHash('md5').update(`${e.value}\u001f${at}\u001f${b.json}`).digest('hex');
        return {
          ok: true,
          dedup: `${a.line}\t${key}`,
          lines: [`${seq}\t${a.line}\t${copyField(e.value)}\t${at}\t${copyField(b.json)}\t${key}`],
        };
      };
      break;
    }
    case 'segments': {
      const m = spec.mapping;
      const u = user(m.userId.column, m.idType);
      const si = idx(m.segment.column);
      const removed = bool(m.removed?.column);
      map = (row, seq) => {
        const a = u(row);
        if (!a.ok) return a.err;
        const r = removed(row);
        if (!r.ok) return r.err;
        const raw = row[si] ?? null;
        if (raw === null) return fail(m.segment.column, null, 'segment is missing (NULL)');
        let names: string[];
        if (m.segment.array) {
          const parsed = parseArray(raw);
          if (!parsed) return fail(m.segment.column, raw, 'expected an array of segment names');
          names = parsed;
        } else names = [raw];
        names = [...new Set(names.map((n) => n.trim()))];
        if (names.some((n) => n === '')) return fail(m.segment.column, raw, 'segment name is empty');
        if (names.some((n) => NUL.test(n))) return fail(m.segment.column, raw, 'segment name contains a NUL character');
        return { ok: true, lines: names.map((n) => `${seq}\t${a.line}\t${copyField(n)}\t${r.value ? 't' : 'f'}`) };
      };
      break;
    }
    case 'identity': {
      const m = spec.mapping;
      const l = user(m.left.value.column, m.left.idType);
      const r = user(m.right.value.column, m.right.idType);
      map = (row, seq) => {
        const a = l(row);
        if (!a.ok) return a.err;
        const b = r(row);
        if (!b.ok) return b.err;
        if (a.line === b.line) return fail(m.right.value.column, row[idx(m.right.value.column)] ?? null, 'a link joins an identifier to itself');
        return { ok: true, lines: [`${seq}\t${a.line}\t${b.line}`] };
      };
      break;
    }
    case 'group': {
      const m = spec.mapping;
      const u = user(m.userId.column, m.idType);
      const gt = ref(m.groupType, 'group type');
      const gi = ref({ column: m.groupId.column }, 'group id');
      const ri = m.role ? idx(m.role.column) : -1;
      const removed = bool(m.removed?.column);
      map = (row, seq) => {
        const a = u(row);
        if (!a.ok) return a.err;
        const t = gt(row);
        if (!t.ok) return t.err;
        const g = gi(row);
        if (!g.ok) return g.err;
        const r = removed(row);
        if (!r.ok) return r.err;
        const role = ri >= 0 ? (row[ri] ?? null) : null;
        return {
          ok: true,
          lines: [`${seq}\t${a.line}\t${copyField(t.value)}\t${copyField(g.value)}\t${copyField(role)}\t${r.value ? 't' : 'f'}`],
        };
      };
      break;
    }
  }
  return { columns, cursorIndex: idx(spec.cursor.column), keyIndex: idx(spec.cursor.key), map };
}

/** A Postgres array literal ({a,"b c"}) or a JSON array of strings. */
export function parseArray(raw: string): string[] | null {
  const s = raw.trim();
  if (s.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(s);
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
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
      while (i < s.length - 1 && s[i] !== ',') item += s[i++];
      if (item === 'NULL') return null;
    }
    out.push(item);
    if (s[i] === ',') i++;
  }
  return out;
}
