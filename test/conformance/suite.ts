/**
 * The shared connector conformance suite (issue 4): every connector that can run here answers the same
 * questions the same way: ties at the cursor, the upper bound, NULL cursors, types, discovery, preview
 * and counts, read-only custom SQL, and the four failures users hit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  type Position,
  type Relation,
  type SourceColumn,
  type SourceExplorer,
  type SourceSession,
} from '../../connectors/source';
import { parseArray } from '../../engine/mapValidate';
import { formatInstant, parseTimestamp } from '../../domain/timestamps';
import type { Target, TargetSetup, Value } from './target';

type Session = SourceSession & SourceExplorer;

/** Read a relation to its bound in batches, each from the last position, as importBatch does. */
async function readAll(
  session: Session,
  relation: Relation,
  columns: string[],
  cursor: string,
  key: string,
  upperBound: string,
  limit: number,
) {
  const out: (string | null)[][] = [];
  let after: Position | null = null;
  for (;;) {
    const batch: (string | null)[][] = [];
    for await (const row of session.read(relation, columns, { cursor, key, after, upperBound, limit })) batch.push(row);
    out.push(...batch);
    if (batch.length < limit) return out;
    const last = batch[batch.length - 1]!;
    after = { cursor: last[0]!, key: last[1]! };
  }
}

const col = (columns: SourceColumn[], name: string) => {
  const c = columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name} in ${columns.map((x) => x.name).join(', ')}`);
  return c;
};

const iso = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

/** The failure a promise or an async iterable ends with. */
async function failure(p: Promise<unknown> | (() => Promise<unknown>)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure, but it succeeded');
}

const drain = async (it: AsyncIterable<unknown>) => {
  for await (const _ of it) {
    /* consume */
  }
};

export function conformance(setup: TargetSetup): void {
  describe(`${setup.name}${setup.fake ? ' (protocol fake)' : ''}`, () => {
    let t: Target;
    let s: Session;
    beforeAll(async () => {
      t = await setup.start();
      s = await t.open();
      await t.load(
        'ties',
        [
          { name: 'updated_at', kind: 'ts' },
          { name: 'id', kind: 'id' },
          { name: 'label', kind: 'text' },
        ],
        // 250 rows on three cursor values, inserted out of order.
        Array.from({ length: 250 }, (_, i) => {
          const id = 250 - i;
          return [`2024-03-0${1 + (id % 3)}T10:00:00.000000Z`, String(id), `row ${id}`];
        }),
      );
      const now = Date.now();
      await t.load(
        'bounded',
        [
          { name: 'seq', kind: 'int' },
          { name: 'id', kind: 'id' },
          { name: 'at', kind: 'ts' },
        ],
        [
          ...Array.from({ length: 10 }, (_, i): Value[] => [
            String(i + 1),
            String(i + 1),
            iso(now - 3_600_000 + i * 1000),
          ]),
          ['11', '11', iso(now + 86_400_000)], // a future value
          [null, '12', null],
          ['13', null, iso(now - 60_000)], // NULL cursor, NULL key
        ],
      );
      await t.load(
        'typed',
        [
          { name: 'id', kind: 'id' },
          { name: 'amount', kind: 'decimal' },
          { name: 'at', kind: 'ts' },
          { name: 'tags', kind: 'array' },
          { name: 'note', kind: 'text' },
        ],
        [
          [
            '1',
            '123456789012345678901234.5678',
            '2024-02-29T23:59:58.123456Z',
            '["vip","big spenders"]',
            'tab\there, "quotes" and ünïcode',
          ],
          ['2', '-0.0001', '1999-12-31T23:59:59.000001Z', '[]', null],
        ],
      );
      await t.loadUnsupported('odd');
    });
    afterAll(async () => {
      await s?.close();
      await t?.stop();
    });

    it('test() answers with the server version', async () => {
      expect((await s.test()).serverVersion).toMatch(/\d/);
    });

    it('ties: 250 rows on three cursor values, read 7 at a time by position: each row once, in (cursor, key) order', async () => {
      const cols = await s.columns({ table: 'ties' });
      expect(col(cols, 'updated_at').cursorKind).toBe('time');
      const rows = await readAll(
        s,
        { table: 'ties' },
        ['updated_at', 'id', 'label'],
        'updated_at',
        'id',
        '2030-01-01T00:00:00.000000Z',
        7,
      );
      expect(rows.length).toBe(250);
      const ids = rows.map((r) => Number(r[1]));
      expect(new Set(ids).size).toBe(250);
      const expected = Array.from({ length: 250 }, (_, i) => i + 1).sort((a, b) => (a % 3) - (b % 3) || a - b);
      expect(ids).toEqual(expected);
      expect(rows.find((r) => r[1] === '5')?.[2]).toBe('row 5');
    });

    it('the upper bound: max minus lag for a number cursor, the source clock minus lag for a time cursor; nothing beyond it is read', async () => {
      const cols = await s.columns({ table: 'bounded' });
      const seq = col(cols, 'seq');
      expect(seq.cursorKind).toBe('number');
      expect(await s.upperBound({ table: 'bounded' }, seq, 3, 'UTC')).toBe('10');
      const bySeq = await readAll(s, { table: 'bounded' }, ['seq', 'id'], 'seq', 'id', '10', 4);
      expect(bySeq.map((r) => r[1])).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);

      const at = col(cols, 'at');
      expect(at.cursorKind).toBe('time');
      const bound = await s.upperBound({ table: 'bounded' }, at, 60, 'UTC');
      const t0 = parseTimestamp(bound!, undefined, 'UTC');
      expect(t0).not.toBeNull();
      expect(Math.abs(t0!.ms - (Date.now() - 60_000))).toBeLessThan(120_000);
      const byTime = await readAll(s, { table: 'bounded' }, ['at', 'id'], 'at', 'id', bound!, 100);
      expect(byTime.map((r) => r[1])).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']); // not the future row 11
      expect(await s.count({ table: 'bounded' }, { cursor: 'seq', key: 'id', upperBound: '10' })).toBe(10);
    });

    it('NULL cursors and keys are counted, never read', async () => {
      expect(await s.countNullCursor({ table: 'bounded' }, 'seq', 'id')).toBe(2);
      const all = await readAll(s, { table: 'bounded' }, ['seq', 'id'], 'seq', 'id', '1000', 100);
      expect(all.map((r) => r[1])).not.toContain('12');
      expect(all.every((r) => r[0] !== null && r[1] !== null)).toBe(true);
    });

    it('types: exact decimals beyond 2^53, timestamps with their zone and precision, arrays as string arrays, NULL as null', async () => {
      const cols = await s.columns({ table: 'typed' });
      expect(col(cols, 'amount').importType).toBe('number');
      expect(col(cols, 'at').importType).toBe('timestamp');
      expect(['json', 'string']).toContain(col(cols, 'tags').importType);
      expect(col(cols, 'note').importType).toBe('string');
      const rows = await readAll(
        s,
        { table: 'typed' },
        ['id', 'id', 'amount', 'at', 'tags', 'note'],
        'id',
        'id',
        '100',
        10,
      );
      expect(rows.length).toBe(2);
      const [one, two] = rows as [(string | null)[], (string | null)[]];
      expect(one[2]).toBe('123456789012345678901234.5678');
      expect(two[2]).toMatch(/^-0?\.0001$/);
      const instant = (v: string | null) => formatInstant(parseTimestamp(v!, undefined, 'America/New_York')!);
      // Parsed in a zone that is not UTC: a value without its zone would come out five hours off.
      expect(instant(one[3]!)).toBe(
        t.timestampDigits === 6 ? '2024-02-29T23:59:58.123456Z' : '2024-02-29T23:59:58.000000Z',
      );
      expect(instant(two[3]!)).toBe(
        t.timestampDigits === 6 ? '1999-12-31T23:59:59.000001Z' : '1999-12-31T23:59:59.000000Z',
      );
      expect(parseArray(one[4]!)).toEqual(['vip', 'big spenders']);
      expect(parseArray(two[4]!)).toEqual([]);
      expect(one[5]).toBe('tab\there, "quotes" and ünïcode');
      expect(two[5]).toBeNull();
    });

    it('a type the import cannot take is reported by columns() and discovery, before any run', async () => {
      const cols = await s.columns({ table: 'odd' });
      expect(cols.find((c) => c.name !== 'id')!.importType).toBeNull();
      const tables = await s.discover();
      const odd = tables.find((x) => x.table === 'odd' || x.table.endsWith('.odd') || x.table.toLowerCase() === 'odd');
      expect(odd?.columns.find((c) => c.name.toLowerCase() !== 'id')?.importType).toBeNull();
    });

    it('discovery lists every table with its columns and import types', async () => {
      const tables = await s.discover();
      const names = tables.map((x) => x.table.split('.').pop()!.toLowerCase());
      expect(names).toEqual(expect.arrayContaining(['ties', 'bounded', 'typed', 'odd']));
      const typed = tables.find((x) => x.table.split('.').pop()!.toLowerCase() === 'typed')!;
      expect(typed.kind).toBe('table');
      expect(
        typed.columns.map((c) => [
          c.name.toLowerCase(),
          c.importType === 'string' && c.name.toLowerCase() === 'tags' ? 'json' : c.importType,
        ]),
      ).toEqual([
        ['id', 'number'],
        ['amount', 'number'],
        ['at', 'timestamp'],
        ['tags', 'json'],
        ['note', 'string'],
      ]);
    });

    it('preview and count', async () => {
      const p = await s.preview({ table: 'ties' }, 5);
      expect(p.rows.length).toBe(5);
      expect(p.columns.map((c) => c.name.toLowerCase())).toEqual(['updated_at', 'id', 'label']);
      expect(p.rows.every((r) => r.every((v) => v === null || typeof v === 'string'))).toBe(true);
      expect(await s.count({ table: 'ties' })).toBe(250);
      const q = await s.preview({ query: 'SELECT id, label FROM ties WHERE id <= 3' }, 10);
      expect(q.rows.length).toBe(3);
    });

    it('a custom SELECT reads by (cursor, key) like a table', async () => {
      const relation = { query: 'SELECT updated_at, id FROM ties WHERE id > 200 -- the last fifty' };
      const rows = await readAll(
        s,
        relation,
        ['updated_at', 'id'],
        'updated_at',
        'id',
        '2030-01-01T00:00:00.000000Z',
        9,
      );
      expect(rows.length).toBe(50);
      expect(new Set(rows.map((r) => r[1])).size).toBe(50);
    });

    it('a custom query that writes is rejected before it reaches the source, or by its read-only mode', async () => {
      for (const query of [
        'INSERT INTO ties (id) VALUES (1000)',
        'SELECT 1 AS id; DELETE FROM ties',
        'DELETE FROM ties',
      ]) {
        const err = await failure(s.columns({ query }));
        expect(err).toBeInstanceOf(ConfigurationError);
        expect(err.message).toMatch(/custom query/);
      }
      const hidden = await t.hiddenWrite?.('ties');
      if (hidden) {
        const err = await failure(
          drain(
            s.read({ query: hidden }, ['n', 'n'], { cursor: 'n', key: 'n', after: null, upperBound: '10', limit: 10 }),
          ),
        );
        expect(err).toBeInstanceOf(ConfigurationError);
      }
      expect(await t.rowCount('ties')).toBe(250);
    });

    it('a missing table is a configuration error that names it', async () => {
      const err = await failure(s.columns({ table: 'no_such_table' }));
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err.message).toMatch(/no_such_table/i);
    });

    it('bad credentials and missing permission are configuration errors (never retried)', async () => {
      const bad = await t.openWith('bad-credentials');
      const e1 = await failure(bad.columns({ table: 'ties' }));
      expect(e1).toBeInstanceOf(ConfigurationError);
      expect(e1.message).toMatch(/authentication failed/i);
      const outsider = await t.openWith('no-permission');
      const e2 = await failure(outsider.columns({ table: 'ties' }));
      expect(e2).toBeInstanceOf(ConfigurationError);
      expect(e2.message).toMatch(/permission denied/i);
    });

    it('an unreachable host is a clear, retryable error', async () => {
      const down = await t.openWith('unreachable');
      const err = await failure(down.columns({ table: 'ties' }));
      expect(err).not.toBeInstanceOf(ConfigurationError);
      expect(err.message).toMatch(/cannot reach/);
    });
  });
}
