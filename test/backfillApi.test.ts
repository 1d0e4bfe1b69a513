/**
 * Backfills through the HTTP API over real HTTP, with a real worker, Temporal and Postgres: start one over
 * a range, read its progress, pause it (nothing advances), change its throttle (a bad one is a 400 naming
 * the field), resume, cancel (partitions end at their committed positions; what was loaded stays, counted
 * right), start another that finishes what the cancelled one left, and catch up missed schedule windows
 * through Temporal's schedule backfill.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { count } from './helpers/harness';
import { type ApiHarness, createApiHarness, sleep, waitFor } from './helpers/apiHarness';
import { uniqueId } from './helpers/harness';
import { createEventSource, sourceChecksum, STORE_CHECKSUM } from './helpers/backfill';

const ROWS = 120_000;
let t: ApiHarness;
let connectionId: string;
beforeAll(async () => {
  t = await createApiHarness('bfapi');
  for (const table of ['events_a', 'events_b', 'events_c']) await createEventSource(t.h.source, ROWS, table);
  const src = new URL(t.h.sourceUrl);
  const created = await t.req('POST', '/connections', {
    body: {
      id: 'warehouse-db',
      name: 'Warehouse',
      kind: 'postgres',
      host: src.hostname,
      port: Number(src.port),
      database: src.pathname.slice(1),
      user: decodeURIComponent(src.username),
      password: decodeURIComponent(src.password),
    },
  });
  expect(created.status, created.text).toBe(201);
  connectionId = created.body.id;
});
afterAll(async () => {
  await t?.close();
});

const specFor = (id: string, table: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `events ${id}`,
  dataType: 'activity',
  source: { connection: connectionId, table },
  cursor: { column: 'updated_at', key: 'id' },
  batchSize: 2000,
  mapping: {
    userId: { column: 'user_id' },
    eventType: { column: 'kind' },
    timestamp: { column: 'at' },
    properties: [{ column: 'sku' }, { column: 'qty', type: 'number' }],
  },
  ...extra,
});

it('starts, reads, pauses, throttles, resumes and cancels a backfill', async () => {
  const id = uniqueId('bfapi');
  expect((await t.req('POST', '/imports', { body: specFor(id, 'events_a') })).status).toBe(201);
  const base = `/imports/${id}/backfills`;

  const bad = await t.req('POST', base, { body: { partitions: 0, concurrency: 100, extra: 1 } });
  expect(bad.status).toBe(400);
  expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['concurrency', 'extra', 'partitions']);

  // Rows with updated_at < 00:10:00 are ids 1..59,999.
  const started = await t.req('POST', base, {
    body: { id: 'first', to: '2023-01-01T00:10:00Z', partitions: 6, concurrency: 2, rowsPerSecond: 6000 },
  });
  expect(started.status, started.text).toBe(202);
  expect(started.body).toMatchObject({ backfillId: 'first', workflowId: `backfill:${id}:first` });
  expect((await t.req('POST', base, { body: { id: 'first' } })).status).toBe(409);

  const running = await waitFor(
    'rows loading',
    async () => (await t.req('GET', `${base}/first`)).body,
    (b) => b.rowsRead > 0,
    60_000,
  );
  expect(running).toMatchObject({
    status: 'running',
    partitions: 6,
    plannedRows: 59_999,
    paused: false,
    throttle: { rowsPerSecond: 6000, concurrency: 2 },
  });
  expect(running.partitionList).toHaveLength(6);

  expect((await t.req('POST', `${base}/first/pause`)).status).toBe(202);
  await waitFor(
    'paused',
    async () => (await t.req('GET', `${base}/first`)).body,
    (b) => b.paused && b.status === 'paused',
    30_000,
  );
  // Let batches in flight commit, then nothing moves.
  await sleep(3000);
  const loaded = () => count(t.h.store, 'SELECT count(*) FROM events WHERE import_id = $1', [id]);
  const held = await loaded();
  await sleep(3000);
  expect(await loaded()).toBe(held);
  expect((await t.req('GET', `${base}/first`)).body.etaSeconds).toBeNull();

  const badThrottle = await t.req('PATCH', `${base}/first/throttle`, { body: { rowsPerSecond: 0 } });
  expect(badThrottle.status).toBe(400);
  expect(badThrottle.body.errors[0].field).toBe('rowsPerSecond');
  const throttled = await t.req('PATCH', `${base}/first/throttle`, { body: { rowsPerSecond: 3000, concurrency: 3 } });
  expect(throttled.status, throttled.text).toBe(200);
  expect(throttled.body).toEqual({ rowsPerSecond: 3000, concurrency: 3 });

  expect((await t.req('POST', `${base}/first/resume`)).status).toBe(202);
  await waitFor('moving again', loaded, (n) => n > held, 30_000);
  expect((await t.req('POST', `${base}/first/cancel`)).status).toBe(202);
  const cancelled = await waitFor(
    'cancelled',
    async () => (await t.req('GET', `${base}/first`)).body,
    (b) => b.status === 'cancelled',
    60_000,
  );
  expect(cancelled.rowsRead).toBeLessThan(59_999);
  // What was loaded stays, counted right: the store holds exactly the rows the partitions committed.
  expect(await loaded()).toBe(cancelled.rowsLoaded);
  expect((await t.req('POST', `${base}/first/pause`)).status).toBe(409);

  // A backfill id is used once.
  expect((await t.req('POST', base, { body: { id: 'first' } })).status).toBe(409);

  const list = await t.req('GET', base);
  expect(list.body.items.map((b: any) => b.backfillId)).toEqual(['first']);
  expect((await t.req('GET', `${base}/nope`)).status).toBe(404);
});

it('a backfill without a range loads everything the incremental import has not, exactly once', async () => {
  const id = uniqueId('bfall');
  expect((await t.req('POST', '/imports', { body: specFor(id, 'events_b', { batchSize: 20_000 }) })).status).toBe(201);
  const started = await t.req('POST', `/imports/${id}/backfills`, {
    body: { id: 'all', concurrency: 3, partitions: 5 },
  });
  expect(started.status, started.text).toBe(202);
  const done = await waitFor(
    'succeeded',
    async () => (await t.req('GET', `/imports/${id}/backfills/all`)).body,
    (b) => b.status === 'succeeded',
    120_000,
  );
  expect(done).toMatchObject({
    partitions: 5,
    partitionsDone: 5,
    plannedRows: ROWS,
    rowsRead: ROWS,
    rowsLoaded: ROWS,
    etaSeconds: 0,
  });
  expect(done.incrementalMovedTo).toBe('2023-01-01 00:20:00+00');
  expect((await t.h.store.query(STORE_CHECKSUM, [id])).rows[0]).toEqual(
    (await t.h.source.query(sourceChecksum('events_b'))).rows[0],
  );
  // A run now of the incremental import reads nothing: the backfill took every row it would have read.
  const run = await t.req('POST', `/imports/${id}/run`);
  expect(run.status, run.text).toBeLessThan(300);
  await waitFor(
    'the incremental run',
    () =>
      count(t.h.store, "SELECT count(*) FROM runs WHERE import_id = $1 AND stream = '' AND status <> 'running'", [id]),
    (n) => n === 1,
    60_000,
  );
  expect(await count(t.h.store, "SELECT rows_read FROM runs WHERE import_id = $1 AND stream = ''", [id])).toBe(0);
  expect(await count(t.h.store, 'SELECT count(*) FROM events WHERE import_id = $1', [id])).toBe(ROWS);
});

it("catches up the schedule's missed windows through Temporal's schedule backfill", async () => {
  const id = uniqueId('catchup');
  const created = await t.req('POST', '/imports', {
    body: {
      ...specFor(id, 'events_c', { batchSize: 50_000 }),
      schedule: { kind: 'interval', every: 1, unit: 'hours' },
    },
  });
  expect(created.status, created.text).toBe(201);
  const bad = await t.req('POST', `/imports/${id}/schedule/catch-up`, {
    body: { from: '2026-01-01T10:00:00Z', to: '2026-01-01T09:00:00Z' },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].field).toBe('to');
  const now = Date.now();
  const res = await t.req('POST', `/imports/${id}/schedule/catch-up`, {
    body: { from: new Date(now - 3 * 3600_000).toISOString(), to: new Date(now).toISOString() },
  });
  expect(res.status, res.text).toBe(202);
  // The missed windows ran (one after another); the first loaded everything, the others found nothing new.
  await waitFor(
    'catch-up runs',
    () => count(t.h.store, "SELECT count(*) FROM runs WHERE import_id = $1 AND status = 'succeeded'", [id]),
    (n) => n >= 2,
    120_000,
  );
  expect(await count(t.h.store, 'SELECT count(*) FROM events WHERE import_id = $1', [id])).toBe(ROWS);
  expect(await count(t.h.store, 'SELECT sum(rows_read) FROM runs WHERE import_id = $1', [id])).toBe(ROWS);
});
