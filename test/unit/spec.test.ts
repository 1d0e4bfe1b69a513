/** Pure functions of the spec layer: timestamps, identifiers, typed values, the SQL guard and the schema. */
import { describe, expect, it } from 'vitest';
import { identifierNormaliser } from '../../domain/identifiers';
import { importSpec, parseImportSpec } from '../../domain/importSpec';
import { assertSingleSelect } from '../../domain/sqlGuard';
import { formatInstant, parseDate, parseTimestamp } from '../../domain/timestamps';
import { toJson } from '../../domain/values';

const ts = (raw: string, format?: string, zone = 'UTC') => {
  const t = parseTimestamp(raw, format, zone);
  return t && formatInstant(t);
};

describe('timestamps', () => {
  it('reads ISO 8601 with and without zones, keeping microseconds', () => {
    expect(ts('2026-01-02T03:04:05.123456Z')).toBe('2026-01-02T03:04:05.123456Z');
    expect(ts('2026-01-02 03:04:05.123456+02:00')).toBe('2026-01-02T01:04:05.123456Z');
    expect(ts('2026-01-02 03:04:05.1+0530')).toBe('2026-01-01T21:34:05.100000Z');
    expect(ts('2026-01-02')).toBe('2026-01-02T00:00:00.000000Z');
  });
  it('reads zone-less values in the import time zone, across daylight saving', () => {
    expect(ts('2026-07-01 12:00:00', undefined, 'Europe/Paris')).toBe('2026-07-01T10:00:00.000000Z');
    expect(ts('2026-01-01 12:00:00', undefined, 'Europe/Paris')).toBe('2026-01-01T11:00:00.000000Z');
  });
  it('reads epochs exactly, by magnitude or by declared unit', () => {
    expect(ts('1767225600')).toBe('2026-01-01T00:00:00.000000Z');
    expect(ts('1767225600123')).toBe('2026-01-01T00:00:00.123000Z');
    expect(ts('1767225600.000001')).toBe('2026-01-01T00:00:00.000001Z');
    expect(ts('1767225600000001', 'epoch_us')).toBe('2026-01-01T00:00:00.000001Z');
  });
  it('reads patterns and rejects impossible dates and garbage', () => {
    expect(ts('31/12/2025 23:59:58')).toBe('2025-12-31T23:59:58.000000Z');
    expect(ts('12-31-2025 07:08', 'MM-dd-yyyy HH:mm')).toBe('2025-12-31T07:08:00.000000Z');
    expect(ts('2026-02-30 10:00:00')).toBeNull();
    expect(ts('2026-13-01')).toBeNull();
    expect(ts('yesterday')).toBeNull();
    expect(ts('   ')).toBeNull();
    expect(parseDate('2024-02-29', undefined)).toBe('2024-02-29');
    expect(parseDate('2025-02-29', undefined)).toBeNull();
  });
});

describe('identifiers', () => {
  const defaults = importSpec.parse({
    id: 'x',
    name: 'x',
    dataType: 'profile',
    source: { connection: 'w', table: 't' },
    cursor: { column: 'u', key: 'id' },
    mapping: { userId: { column: 'e' } },
  }).identifiers;
  it('trims, optionally lower-cases, and refuses blanks, reserved values and over-long values', () => {
    const norm = identifierNormaliser(defaults);
    expect(norm('  Ann@x.com ')).toEqual({ ok: true, value: 'Ann@x.com' });
    expect(identifierNormaliser({ ...defaults, lowerCase: true })(' Ann@X.com')).toEqual({
      ok: true,
      value: 'ann@x.com',
    });
    expect(norm(null)).toMatchObject({ ok: false, reason: 'identifier is missing (NULL)' });
    expect(norm(' \t ')).toMatchObject({ ok: false, reason: 'identifier is empty or blank' });
    for (const r of ['NULL', 'undefined', ' None ', 'NaN', 'TEST']) expect(norm(r).ok).toBe(false);
    expect(identifierNormaliser({ ...defaults, maxLength: 3 })('abcd')).toMatchObject({ ok: false });
    expect(identifierNormaliser({ ...defaults, trim: false })(' a ')).toEqual({ ok: true, value: ' a ' });
  });
});

describe('typed values', () => {
  it('keeps numbers exact, reads booleans, canonicalises JSON, and refuses the wrong type', () => {
    expect(toJson('9007199254740993', 'number', undefined, 'UTC')).toEqual({ ok: true, json: '9007199254740993' });
    expect(toJson('12345678901234567890.123456789', 'number', undefined, 'UTC')).toEqual({
      ok: true,
      json: '12345678901234567890.123456789',
    });
    expect(toJson('ten', 'number', undefined, 'UTC')).toEqual({ ok: false, reason: 'expected a number, got "ten"' });
    expect(toJson('Yes', 'boolean', undefined, 'UTC')).toEqual({ ok: true, json: 'true' });
    expect(toJson('maybe', 'boolean', undefined, 'UTC').ok).toBe(false);
    // on/off as Postgres reads them; its prefixes (tr, of) are not read.
    expect(toJson(' On', 'boolean', undefined, 'UTC')).toEqual({ ok: true, json: 'true' });
    expect(toJson('OFF', 'boolean', undefined, 'UTC')).toEqual({ ok: true, json: 'false' });
    expect(toJson('of', 'boolean', undefined, 'UTC').ok).toBe(false);
    expect(toJson('{"b":1,"a":[2,{"d":1,"c":2}]}', 'json', undefined, 'UTC')).toEqual({
      ok: true,
      json: '{"a":[2,{"c":2,"d":1}],"b":1}',
    });
    expect(toJson('1', 'string', undefined, 'UTC')).toEqual({ ok: true, json: '"1"' });
    expect(toJson(null, 'number', undefined, 'UTC')).toEqual({ ok: true, json: 'null' });
  });
});

describe('custom SQL guard', () => {
  it('accepts one SELECT or WITH, with comments, literals and a trailing semicolon', () => {
    expect(assertSingleSelect('SELECT * FROM t;')).toBe('SELECT * FROM t');
    expect(assertSingleSelect("WITH a AS (SELECT 1) SELECT * FROM a WHERE x = 'delete; drop'")).toContain('WITH');
    expect(assertSingleSelect('select id -- update me\nfrom t /* insert */')).toContain('select');
    expect(assertSingleSelect('SELECT $$;delete$$ AS s')).toContain('SELECT');
  });
  it('rejects several statements, writes, SELECT INTO and unterminated text', () => {
    expect(() => assertSingleSelect('SELECT 1; SELECT 2')).toThrow('single statement');
    expect(() => assertSingleSelect('DELETE FROM t')).toThrow('must be a SELECT');
    expect(() => assertSingleSelect('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d')).toThrow(
      '"DELETE" is not allowed',
    );
    expect(() => assertSingleSelect('SELECT * INTO copy FROM t')).toThrow('"INTO" is not allowed');
    expect(() => assertSingleSelect("SELECT 'oops")).toThrow('unterminated string literal');
  });
});

describe('import spec schema', () => {
  it('fills defaults and names every offending field', () => {
    const spec = parseImportSpec({
      id: 'events-1',
      name: 'e',
      dataType: 'activity',
      source: { connection: 'warehouse', table: 'analytics.events' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'uid' }, eventType: { value: 'click' }, timestamp: { column: 'at' } },
    });
    expect(spec).toMatchObject({ batchSize: 100_000, timeZone: 'UTC', dedupWindowDays: 90, cursor: { lag: 0 } });
    expect(() =>
      parseImportSpec({
        id: 'bad id!',
        name: '',
        dataType: 'profile',
        source: { connection: 'w', table: 't; drop table x' },
        cursor: { column: 'u', key: 'id' },
        mapping: { userId: { column: 'e' } },
        password: 'hunter2',
      }),
    ).toThrow(/id: .*name: .*source\.table: /s);
    expect(() =>
      parseImportSpec({
        id: 'a',
        name: 'a',
        dataType: 'profile',
        source: { connection: 'w', table: 't', query: 'SELECT 1' },
        cursor: { column: 'u', key: 'id' },
        mapping: { userId: { column: 'e' } },
      }),
    ).toThrow('source.table: give exactly one of table, query, file or folder');
  });

  it('segments: sync is incremental by default; snapshot needs a source it can read whole; errors name sync', () => {
    const segments = (extra: Record<string, unknown>) => ({
      id: 'seg',
      name: 's',
      dataType: 'segments',
      source: { connection: 'w', table: 't' },
      cursor: { column: 'u', key: 'id' },
      mapping: { userId: { column: 'e' }, segment: { column: 's' } },
      ...extra,
    });
    expect(parseImportSpec(segments({}))).toMatchObject({ sync: 'incremental' });
    expect(
      parseImportSpec(segments({ sync: 'snapshot', source: { connection: 'w', query: 'SELECT * FROM t' } })),
    ).toMatchObject({ sync: 'snapshot' });
    expect(() => parseImportSpec(segments({ sync: 'full' }))).toThrow(
      /sync: Invalid option: expected one of "incremental"\|"snapshot"/,
    );
    expect(() =>
      parseImportSpec(
        segments({ sync: 'snapshot', source: { connection: 'w', folder: { path: 'in', format: 'csv' } } }),
      ),
    ).toThrow(
      'sync: sync "snapshot" reads the whole source each run: give source.table, source.query or source.file, not source.folder',
    );
    // Only segments imports have the option.
    expect(() =>
      parseImportSpec({
        ...segments({ sync: 'snapshot' }),
        dataType: 'group',
        mapping: { userId: { column: 'e' }, groupId: { column: 'g' }, groupType: { value: 'team' } },
      }),
    ).toThrow(/sync/);
  });
});
