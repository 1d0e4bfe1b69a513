/** The cursor: ties, late commits within the lag, future values and NULL cursors. */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../workflows/definitions';
import type { RunRecord } from '../activities';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('cursor');
});
afterAll(async () => {
  await h?.close();
});

const eventSpec = (id: string, table: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  dataType: 'activity' as const,
  source: { connection: 'warehouse', table },
  cursor: { column: 'updated_at', key: 'id', lag: 0 },
  mapping: {
    userId: { column: 'uid' },
    eventType: { value: 'ping' },
    timestamp: { column: 'at' },
    properties: [{ column: 'id', property: 'source_id', type: 'number' as const }],
  },
  ...extra,
});

const sourceIds = (importId: string) =>
  h.store
    .query<{ id: number }>(`SELECT (properties->>'source_id')::int AS id FROM events WHERE import_id = $1 ORDER BY 1`, [
      importId,
    ])
    .then((r) => r.rows.map((x) => x.id));

it('10,000 rows sharing one cursor value, batch size 333: every row loaded once', async () => {
  await h.source.query(`CREATE TABLE ties (id int PRIMARY KEY, uid text, at timestamptz, updated_at timestamptz)`);
  await h.source
    .query(`INSERT INTO ties SELECT g, 'u' || (g % 97), '2026-01-01'::timestamptz + g * interval '1 ms', '2026-05-05 05:05:05.555555+00'
    FROM generate_series(1, 10000) g`);
  const spec = eventSpec(uniqueId('ties'), 'ties', { batchSize: 333 });
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 10000, created: 10000, duplicates: 0, batches: 31 });
  const ids = await sourceIds(spec.id);
  expect(ids.length).toBe(10000);
  expect(new Set(ids).size).toBe(10000);
  expect(ids[0]).toBe(1);
  expect(ids[9999]).toBe(10000);
});

it('a late commit within the lag is loaded by the next run; with lag 0 it is lost', async () => {
  for (const table of ['late0', 'late3']) {
    await h.source.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, uid text, at timestamptz, updated_at timestamptz)`,
    );
    await h.source.query(
      `INSERT INTO ${table} SELECT g, 'u', now(), now() - interval '1 hour' + g * interval '1 s' FROM generate_series(1, 10) g`,
    );
  }
  const late = async (table: string, lag: number) => {
    const spec = eventSpec(uniqueId(table), table, { cursor: { column: 'updated_at', key: 'id', lag } });
    // A long transaction takes its cursor value now but commits only later.
    const slow = new pg.Client({ connectionString: h.sourceUrl });
    await slow.connect();
    await slow.query('BEGIN');
    await slow.query(`INSERT INTO ${table} VALUES (100, 'u', now(), clock_timestamp())`);
    await new Promise((r) => setTimeout(r, 50));
    await h.source.query(`INSERT INTO ${table} VALUES (101, 'u', now(), clock_timestamp())`);
    const first = await h.runImport(spec);
    await slow.query('COMMIT');
    await slow.end();
    await new Promise((r) => setTimeout(r, lag * 1000 + 500));
    const second = await h.runImport(spec);
    return { first, second, ids: await sourceIds(spec.id) };
  };
  const zero = await late('late0', 0);
  expect(zero.first.rowsRead).toBe(11); // 1..10 and 101; 100 was not committed yet
  expect(zero.second.rowsRead).toBe(0); // 100 sits below the position: the loss the lag prevents
  expect(zero.ids).not.toContain(100);

  const withLag = await late('late3', 3);
  expect(withLag.first.rowsRead).toBe(10); // the bound stops 3 s behind the source's clock
  expect(withLag.second.rowsRead).toBe(2);
  expect(withLag.ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 101]);
});

it('a future cursor value does not move the position past rows written later; NULL cursors are counted', async () => {
  await h.source.query(`CREATE TABLE fut (id int PRIMARY KEY, uid text, at timestamptz, updated_at timestamptz)`);
  await h.source
    .query(`INSERT INTO fut VALUES (1, 'u', now(), now() - interval '1 minute'), (2, 'u', now(), now() + interval '1 day'),
    (3, 'u', now(), NULL), (4, 'u', now(), NULL)`);
  const spec = eventSpec(uniqueId('fut'), 'fut');
  const first = await h.runImport(spec);
  expect(first).toMatchObject({ rowsRead: 1, nullCursor: 2 });
  await h.source.query(`INSERT INTO fut VALUES (5, 'u', now(), clock_timestamp())`);
  const second = await h.runImport(spec);
  expect(second).toMatchObject({ rowsRead: 1, nullCursor: 2 });
  expect(await sourceIds(spec.id)).toEqual([1, 5]);
  expect(await count(h.store, `SELECT count(*) FROM runs WHERE import_id = $1 AND null_cursor = 2`, [spec.id])).toBe(2);
});

it('a sequence cursor with a custom SELECT reads by (cursor, key) with parameters', async () => {
  await h.source.query(`CREATE TABLE seq_src (id int PRIMARY KEY, uid text, at timestamptz, seq bigint)`);
  await h.source.query(`INSERT INTO seq_src SELECT g, 'u' || g, now(), g / 10 FROM generate_series(1, 1000) g`);
  const spec = {
    ...eventSpec(uniqueId('seq'), 'seq_src', { batchSize: 77 }),
    source: { connection: 'warehouse', query: 'SELECT id, uid, at, seq FROM seq_src WHERE id % 2 = 0 -- evens only' },
    cursor: { column: 'seq', key: 'id', lag: 0 },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 500, created: 500 });
  const ids = await sourceIds(spec.id);
  expect(ids.every((i) => i % 2 === 0)).toBe(true);
  expect(new Set(ids).size).toBe(500);
});

it('a run over its own position stream reads only its range and leaves the incremental position alone', async () => {
  await h.source.query(`CREATE TABLE streamed (id int PRIMARY KEY, uid text, at timestamptz, updated_at timestamptz)`);
  // 300 rows, three to a cursor value, so the range boundaries fall inside ties.
  await h.source.query(`INSERT INTO streamed SELECT g, 'u' || (g % 7), '2026-01-01'::timestamptz + g * interval '1 s',
    '2026-02-01'::timestamptz + (g / 3) * interval '1 minute' FROM generate_series(1, 300) g`);
  const spec = eventSpec(uniqueId('streamed'), 'streamed', { batchSize: 40 });
  const cursorOf = async (id: number) =>
    (await h.source.query<{ c: string }>('SELECT updated_at::text AS c FROM streamed WHERE id = $1', [id])).rows[0]!.c;
  // Rows after (cursor of 100, key 100) up to the cursor of 200 inclusive: ids 101..200 (200's tie ends at 200: 201 = 67*3).
  const scope = {
    stream: 'range:1',
    after: { cursor: await cursorOf(100), key: '100' },
    upperBound: await cursorOf(200),
  };
  const handle = await h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: `${importWorkflowId(spec.id)}:range:1`,
    args: [{ spec, scope }],
  });
  const ranged = (await handle.result()) as RunRecord;
  expect(ranged).toMatchObject({ status: 'succeeded', rowsRead: 100, created: 100 });
  expect(await sourceIds(spec.id)).toEqual(Array.from({ length: 100 }, (_, i) => 101 + i));
  const positions = await h.store.query(
    `SELECT stream, key_value FROM positions WHERE import_id = $1 ORDER BY stream`,
    [spec.id],
  );
  expect(positions.rows).toEqual([{ stream: 'range:1', key_value: '200' }]);

  // The incremental import (stream '') then reads everything once more from the start: the ranged rows are
  // already in the store, so they count as duplicates and nothing is stored twice.
  const incremental = await h.runImport(spec);
  expect(incremental).toMatchObject({ status: 'succeeded', rowsRead: 300, created: 200, duplicates: 100 });
  expect(await sourceIds(spec.id)).toEqual(Array.from({ length: 300 }, (_, i) => 1 + i));
  const after = await h.store.query(`SELECT stream, key_value FROM positions WHERE import_id = $1 ORDER BY stream`, [
    spec.id,
  ]);
  expect(after.rows).toEqual([
    { stream: '', key_value: '300' },
    { stream: 'range:1', key_value: '200' },
  ]);
});
