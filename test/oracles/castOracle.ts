/**
 * The two sides of the cast differential. Ours: a profile attribute of the declared type mapped by the real
 * compileMapping (the JSON the store is sent), and for timestamps also an event's timestamp. Postgres's: the
 * same text cast by the real server (`::numeric`, `::float8`, `::boolean`, `::timestamptz` under the import's
 * TimeZone, `::date`, `::jsonb`), or its error. Our stored value is read back by the same server, so both
 * sides are compared in Postgres's own terms.
 */
import type pg from 'pg';
import type { CompiledMapping } from '../../engine/mapValidate';
import { compileMapping } from '../../engine/compileMapping';
import { parseImportSpec, type ValueType } from '../../domain/importSpec';

/** A value read: `=` and the value in the oracle's terms, or `!` and why not; null: we refused it. */
export type Outcome = string | null;

export type OracleKind = 'numeric' | 'float8' | 'boolean' | 'timestamptz' | 'date' | 'text' | 'jsonb';

export const SETUP_SQL = `
CREATE FUNCTION pg_temp.oracle(v text, kind text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN '=' || CASE kind
    WHEN 'numeric' THEN v::numeric::text
    WHEN 'float8' THEN v::float8::text
    WHEN 'boolean' THEN v::boolean::text
    WHEN 'timestamptz' THEN extract(epoch FROM v::timestamptz)::text
    WHEN 'date' THEN v::date::text
    WHEN 'text' THEN v
    WHEN 'jsonb' THEN v::jsonb::text END;
EXCEPTION WHEN others THEN RETURN '!' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.stored(o text, kind text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
  j := o::jsonb;
  RETURN '=' || CASE kind
    WHEN 'numeric' THEN j::numeric::text
    WHEN 'float8' THEN j::numeric::float8::text
    WHEN 'boolean' THEN j::boolean::text
    WHEN 'timestamptz' THEN extract(epoch FROM (j #>> '{}')::timestamptz)::text
    WHEN 'date' THEN (j #>> '{}')::date::text
    WHEN 'text' THEN j #>> '{}'
    WHEN 'jsonb' THEN j::text END;
EXCEPTION WHEN others THEN RETURN '!' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.same_json(o text, v text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RETURN o::jsonb = v::jsonb;
EXCEPTION WHEN others THEN RETURN NULL;
END $$;`;

const base = { id: 'x', name: 'x', source: { connection: 'w', table: 't' }, cursor: { column: 'c', key: 'k' } };

/** COPY text field back to its text (mapValidate's copyField reversed). */
const unCopy = (f: string): string =>
  f.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));

/** What our mapping sends the store for `raw` as an attribute of `type`: its JSON text, or null (a row error). */
const compiled = new Map<string, CompiledMapping>();
function once(key: string, spec: () => unknown): CompiledMapping {
  let m = compiled.get(key);
  if (!m) compiled.set(key, (m = compileMapping(parseImportSpec(spec()))));
  return m;
}

export function ourJson(raw: string, type: ValueType, timeZone: string, format?: string): string | null {
  const m = once(`attr|${type}|${timeZone}|${format ?? ''}`, () => ({
    ...base,
    timeZone,
    dataType: 'profile',
    mapping: { userId: { column: 'u' }, attributes: [{ column: 'v', type, format }] },
  }));
  const r = m.map(
    m.columns.map((c) => (c === 'v' ? raw : c === 'u' ? 'user' : '1')),
    1,
  );
  if (!r.ok) return null;
  return jsonMember(unCopy(r.text.split('\t')[3]!));
}

/** The text of the only member of a one-member canonical JSON object, `{"v":…}`, as sent (not re-rendered). */
function jsonMember(obj: string): string {
  if (!obj.startsWith('{"v":') || !obj.endsWith('}')) throw new Error(`unexpected attributes ${obj}`);
  return obj.slice(5, -1);
}

/** An event's timestamp as our mapping stages it for the events table (COPY into timestamptz), or null. */
export function ourEventTime(raw: string, timeZone: string): string | null {
  const m = once(`event|${timeZone}`, () => ({
    ...base,
    timeZone,
    dataType: 'activity',
    mapping: {
      userId: { column: 'u' },
      eventType: { value: 'e' },
      timestamp: { column: 'v' },
      properties: [],
    },
  }));
  const r = m.map(
    m.columns.map((c) => (c === 'v' ? raw : c === 'u' ? 'user' : '1')),
    1,
  );
  return r.ok ? `"${unCopy(r.row!.split('\t')[3]!)}"` : null;
}

/** Text Postgres cannot be sent at all (a NUL, an unpaired surrogate): it refuses it as text. */
const unsendable = (v: string): boolean =>
  v.includes('\u0000') || !(v as string & { isWellFormed(): boolean }).isWellFormed();

export interface Compared {
  raw: string;
  ours: Outcome;
  postgres: string;
  /** jsonb only: whether our JSON and the raw text are equal jsonb values. */
  sameJson: boolean | null;
}

/** Both sides for every value, in one round trip (the session's TimeZone must be set by the caller). */
export async function compare(db: pg.Client, kind: OracleKind, raws: string[], ours: Outcome[]): Promise<Compared[]> {
  const sendable = raws.map((v) => (unsendable(v) ? '' : v));
  const res = await db.query<{ p: string; s: string | null; j: boolean | null }>(
    `SELECT pg_temp.oracle(v, $3) AS p, CASE WHEN o IS NOT NULL THEN pg_temp.stored(o, $3) END AS s,
            CASE WHEN $3 = 'jsonb' AND o IS NOT NULL THEN pg_temp.same_json(o, v) END AS j
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(v, o, n) ORDER BY n`,
    [sendable, ours, kind],
  );
  return res.rows.map((r, i) => ({
    raw: raws[i]!,
    ours: ours[i] === null ? null : r.s,
    postgres: unsendable(raws[i]!) ? '!not valid text (a NUL or an unpaired surrogate)' : r.p,
    sameJson: r.j,
  }));
}
