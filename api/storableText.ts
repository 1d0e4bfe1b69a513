/**
 * Text the store can hold. Postgres refuses a NUL character in text and jsonb, and jsonb refuses a lone
 * UTF-16 surrogate (JSON.stringify writes it as a bare \ud800 escape); a lone surrogate in a text
 * parameter is silently turned into U+FFFD on its way to UTF-8. JSON lets a client send both, so every
 * string of a request (body, path and query, keys included) is checked before validation, and one that
 * holds either is a 400 naming its field, not a driver error after half the work.
 */
import type { FastifyInstance } from 'fastify';
import { type FieldError, HttpProblem } from './problems';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `s` cannot be stored, or null when it can. */
export function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  const m = LONE_SURROGATE.exec(s);
  if (m)
    return `must not contain a lone UTF-16 surrogate (\\u${m[0].charCodeAt(0).toString(16)}): it is not Unicode text`;
  return null;
}

/** A key as a field name: the offending characters written as escapes, so the name itself is printable. */
const printable = (key: string): string =>
  key
    .replace(/\u0000/g, '\\u0000')
    .replace(new RegExp(LONE_SURROGATE.source, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16)}`);

function collect(value: unknown, path: string[], out: FieldError[], at: (p: string[]) => string, depth = 0): void {
  if (out.length >= 20 || depth > 64) return;
  if (typeof value === 'string') {
    const why = unstorable(value);
    if (why) out.push({ field: at(path), message: why });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collect(v, [...path, String(i)], out, at, depth + 1));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const why = unstorable(k);
      if (why) out.push({ field: at([...path, printable(k)]), message: `is a field name that ${why}` });
      collect(v, [...path, printable(k)], out, at, depth + 1);
    }
  }
}

/** The request's strings the store could not hold, named as the validation errors name fields. */
export function unstorableFields(parts: { body?: unknown; params?: unknown; query?: unknown }): FieldError[] {
  const out: FieldError[] = [];
  collect(parts.params, [], out, (p) => `path.${p.join('.')}`);
  collect(parts.query, [], out, (p) => `query.${p.join('.')}`);
  collect(parts.body, [], out, (p) => p.join('.') || '(body)');
  return out;
}

export function registerStorableText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    // Only the parts a route reads: an ignored query parameter or body reaches nothing.
    const schema = request.routeOptions.schema;
    const errors = unstorableFields({
      body: schema?.body ? request.body : undefined,
      params: schema?.params ? request.params : undefined,
      query: schema?.querystring ? request.query : undefined,
    });
    if (errors.length > 0) {
      throw new HttpProblem(400, errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors, 'invalid-request');
    }
  });
}
