/**
 * Typed values: each mapped column declares a type, and a value of the wrong type is a row
 * error, never a silent coercion. Values are rendered straight to canonical JSON text, so numbers keep
 * every digit (Postgres jsonb stores them as numeric; inside JSON documents too: canonicalJson.ts) and `1` and
 * `"1"` stay different.
 */
import type { ValueType } from './importSpec';
import { parseDate, timestampText } from './timestamps';
import { canonicalJsonText, UnstorableJsonError } from './canonicalJson';
import { fitsStoreNumeric, NUMERIC_LIMITS } from './decimalText';

/**
 * key: the text the dedup key is computed from, when it is not `json` (a JSON document holding a number
 * earlier versions could not render exactly: see canonicalJsonText).
 */
export type JsonResult = { ok: true; json: string; key?: string } | { ok: false; reason: string };

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
// The words Postgres's boolean input reads, whole (its prefixes such as `tr` or `fals` are not: a cut-off value).
const TRUE = new Set(['true', 't', '1', 'yes', 'y', 'on']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n', 'off']);
const TRUE_JSON: JsonResult = Object.freeze({ ok: true, json: 'true' });
const FALSE_JSON: JsonResult = Object.freeze({ ok: true, json: 'false' });

/** No character JSON.stringify escapes (quote, backslash, controls, surrogates) and none the store refuses. */
const PLAIN_STRING = /^[^\u0000-\u001f"\\\ud800-\udfff]*$/;

/**
 * A string's JSON literal when it is plain: its text in quotes, what JSON.stringify writes for it, at a
 * fraction of the cost; null otherwise. A plain string is also one the store can hold (no NUL, no surrogate).
 */
export const plainJsonString = (s: string): string | null => (PLAIN_STRING.test(s) ? `"${s}"` : null);

/** Render a string as a JSON string literal. */
export const jsonString = (s: string): string => plainJsonString(s) ?? JSON.stringify(s);

/** Convert the source's text value of a column to canonical JSON of the declared type. */
export function toJson(raw: string | null, type: ValueType, format: string | undefined, timeZone: string): JsonResult {
  if (raw === null) return { ok: true, json: 'null' };
  switch (type) {
    case 'string':
      return { ok: true, json: jsonString(raw) };
    case 'number': {
      const s = raw.trim();
      if (!NUMBER.test(s)) return { ok: false, reason: `expected a number, got "${clip(raw)}"` };
      if (!fitsStoreNumeric(s))
        return { ok: false, reason: `number out of the store's range ${NUMERIC_LIMITS}, got "${clip(raw)}"` };
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
      if (t === null)
        return { ok: false, reason: `expected a timestamp${format ? ` in format ${format}` : ''}, got "${clip(raw)}"` };
      return { ok: true, json: `"${t}"` };
    }
    case 'date': {
      const d = parseDate(raw, format);
      if (!d)
        return { ok: false, reason: `expected a date${format ? ` in format ${format}` : ''}, got "${clip(raw)}"` };
      return { ok: true, json: jsonString(d) };
    }
    case 'json': {
      try {
        const c = canonicalJsonText(raw);
        return c.key === c.json ? { ok: true, json: c.json } : { ok: true, json: c.json, key: c.key };
      } catch (err) {
        if (err instanceof UnstorableJsonError) return { ok: false, reason: err.message };
        return { ok: false, reason: `expected JSON, got "${clip(raw)}"` };
      }
    }
  }
}

export const clip = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n)}…` : s);
