/** Pause mid-run: no batch advances while paused; after resume the run completes with the right counts. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../activities';
import { pauseSignal, progressQuery, resumeSignal } from '../workflows/definitions';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import { sleep, waitFor as waitForReading } from './helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('pause');
});
afterAll(async () => {
  await h?.close();
});

const waitFor = <T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> =>
  waitForReading(what, read, ok, timeoutMs, 50);

it('pauses at the next batch boundary, holds still while paused, and completes after resume', async () => {
  await h.source
    .query(`CREATE TABLE people AS SELECT g AS id, 'p' || g || '@example.com' AS email, 'name ' || g AS name,
    timestamptz '2026-01-01' + g * interval '1 second' AS updated_at FROM generate_series(1, 20000) g`);
  const spec = {
    id: uniqueId('pause'),
    name: 'pause',
    dataType: 'profile' as const,
    source: { connection: 'warehouse', table: 'people' },
    cursor: { column: 'updated_at', key: 'id' },
    batchSize: 200,
    mapping: { userId: { column: 'email' }, attributes: [{ column: 'name' }] },
  };
  const handle = await h.startImport(spec);
  await waitFor(
    'the first batch',
    () => handle.query(progressQuery),
    (p) => p.rowsRead > 0,
  );
  await handle.signal(pauseSignal);
  const paused = await waitFor(
    'the paused stage',
    () => handle.query(progressQuery),
    (p) => p.stage === 'paused',
  );
  expect(paused.paused).toBe(true);
  expect(paused.rowsRead).toBeLessThan(20000);

  const position = async () =>
    (await h.store.query('SELECT cursor_value, key_value FROM positions WHERE import_id = $1', [spec.id])).rows[0];
  const batches = async () => count(h.store, 'SELECT batches FROM runs WHERE import_id = $1', [spec.id]);
  const held = {
    position: await position(),
    batches: await batches(),
    loaded: await count(h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [spec.id]),
  };
  expect(held.batches).toBe(paused.batches);
  await sleep(3000);
  expect(await position()).toEqual(held.position);
  expect(await batches()).toBe(held.batches);
  expect(await count(h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [spec.id])).toBe(
    held.loaded,
  );
  expect(held.loaded).toBe(paused.rowsRead);
  const still = await handle.query(progressQuery);
  expect(still).toMatchObject({ stage: 'paused', rowsRead: paused.rowsRead });
  const described = await handle.describe();
  expect(described.status.name).toBe('RUNNING');

  await handle.signal(resumeSignal);
  const run = (await handle.result()) as RunRecord;
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 20000, created: 20000, rejected: 0, batches: 100 });
  expect(await count(h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [spec.id])).toBe(20000);
  expect(await handle.query(progressQuery)).toMatchObject({ stage: 'completed', paused: false, rowsRead: 20000 });
});
