/**
 * Typed values (brief §2): each mapped column declares a type, and a value of the wrong type is a row
 * error, never a silent coercion. Values are rendered straight to canonical JSON text, so numbers keep
 * every digit (Postgres jsonb stores them as numeric) and `1` and `"1"` stay different.
 */
import type { ValueType } from './importSpec';
import { parseDate, timestampText } from './timestamps';

export type JsonResult = { ok: true; json: string } | { ok: false; reason: string };

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', 't', '1', 'yes', 'y']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n']);
const TRUE_JSON: JsonResult = Object.freeze({ ok: true, json: 'true' });
const FALSE_JSON: JsonResult = Object.freeze({ ok: true, json: 'false' });

/** Render a string as a JSON string literal. */
export const jsonString = (s: string): string => JSON.stringify(s);

/** Convert the source's text value of a column to canonical JSON of the declared type. */
export function toJson(raw: string | null, type: ValueType, format: string | undefined, timeZone: string): JsonResult {
  if (raw === null) return { ok: true, json: 'null' };
  switch (type) {
    case 'string':
      return { ok: true, json: jsonString(raw) };
    case 'number': {
      const s = raw.trim();
      if (!NUMBER.test(s)) return { ok: false, reason: `expected a number, got "${clip(raw)}"` };
      return { ok: true, json: s };
    }
    case 'boolean': {
      // Databases print booleans as t/f or true/false.
      if (raw === 't' || raw === 'true') return TRUE_JSON;
      if (raw === 'f' || raw === 'false') return FALSE_JSON;
      const s = raw.trim().toLowerCase();
      if (TRUE.has(s)) return TRUE_JSON;
      if (FALSE.has(s)) return FALSE_JSON;
      return { ok: false, reason: `expected a boolean, got "${clip(raw)}"` };
    }
    case 'timestamp': {
      const t = timestampText(raw, format, timeZone);
      if (t === null) return { ok: false, reason: `expected a timestamp${format ? ` in format ${format}` : ''}, got "${clip(raw)}"` };
      return { ok: true, json: `"${t}"` };
    }
    case 'date': {
      const d = parseDate(raw, format);
      if (!d) return { ok: false, reason: `expected a date${format ? ` in format ${format}` : ''}, got "${clip(raw)}"` };
      return { ok: true, json: jsonString(d) };
    }
    case 'json': {
      try {
        return { ok: true, json: canonicalJson(JSON.parse(raw)) };
      } catch {
        return { ok: false, reason: `expected JSON, got "${clip(raw)}"` };
      }
    }
  }
}

/** Object keys as JSON strings, cached: the same few keys come back row after row. */
const quotedKeys = new Map<string, string>();
function quotedKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < 10_000 && k.length <= 64) quotedKeys.set(k, q);
  }
  return q;
}

/** JSON with object keys sorted, so that equal values have equal text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += i === 0 ? canonicalJson(v[i]) : `,${canonicalJson(v[i])}`;
    return `${out}]`;
  }
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += `${i === 0 ? '' : ','}${quotedKey(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`;
  }
  return `${out}}`;
}

export const clip = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n)}…` : s);
