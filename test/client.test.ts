/**
 * The client entry against the real dev server and a real worker: start, query, pause, resume, stop and
 * list imports with a Temporal Client alone, the store confirming what each did.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as tributaryClient from '../client';
import {
  importProgress,
  importResult,
  listImports,
  pauseImport,
  resumeImport,
  startImport,
  stopImport,
} from '../client';
import * as definitions from '../workflows/definitions';
import * as backfillDefinitions from '../workflows/backfillDefinitions';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import { sleep, waitFor } from './helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('client');
  await h.source
    .query(`CREATE TABLE people AS SELECT g AS id, 'p' || g || '@example.com' AS email, 'name ' || g AS name,
    timestamptz '2026-01-01' + g * interval '1 second' AS updated_at FROM generate_series(1, 20000) g`);
});
afterAll(async () => {
  await h?.close();
});

const specFor = (id: string) => ({
  id,
  name: `people ${id}`,
  dataType: 'profile' as const,
  source: { connection: 'warehouse', table: 'people' },
  cursor: { column: 'updated_at', key: 'id' },
  batchSize: 200,
  mapping: { userId: { column: 'email' }, attributes: [{ column: 'name' }] },
});
const loaded = (id: string) => count(h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [id]);

it('re-exports the definitions the workflows use, not copies', () => {
  expect(tributaryClient.pauseSignal).toBe(definitions.pauseSignal);
  expect(tributaryClient.resumeSignal).toBe(definitions.resumeSignal);
  expect(tributaryClient.progressQuery).toBe(definitions.progressQuery);
  expect(tributaryClient.throttleSignal).toBe(definitions.throttleSignal);
  expect(tributaryClient.setThrottleUpdate).toBe(backfillDefinitions.setThrottleUpdate);
  expect(tributaryClient.backfillProgressQuery).toBe(backfillDefinitions.backfillProgressQuery);
});

it('starts an import, pauses it at a batch boundary, lists it, resumes it and gets every row once', async () => {
  const id = uniqueId('client');
  const handle = await startImport(h.client, specFor(id), { taskQueue: h.taskQueue });
  expect(handle.workflowId).toBe(`import:${id}`);
  await waitFor(
    'the first batch',
    () => importProgress(h.client, id),
    (p) => (p?.rowsRead ?? 0) > 0,
    60_000,
    50,
  );

  const paused = await pauseImport(h.client, id);
  expect(paused).toEqual({ schedule: false, runs: [`import:${id}`] });
  const held = await waitFor(
    'the paused stage',
    () => importProgress(h.client, id),
    (p) => p?.stage === 'paused',
    60_000,
    50,
  );
  expect(held!.rowsRead).toBeLessThan(20000);
  const before = await loaded(id);
  await sleep(2000);
  expect(await loaded(id)).toBe(before);
  expect(before).toBeLessThan(20000);

  const listed = await waitFor(
    'the run in visibility',
    () => listImports(h.client, { importId: id, running: true }),
    (l) => l.length === 1,
    30_000,
  );
  expect(listed[0]).toMatchObject({
    importId: id,
    dataType: 'profile',
    workflowId: `import:${id}`,
    status: 'RUNNING',
    closeTime: null,
  });

  expect(await resumeImport(h.client, id)).toEqual({ schedule: false, runs: [`import:${id}`] });
  const record = await importResult(handle);
  expect(record).toMatchObject({ importId: id, status: 'succeeded', rowsRead: 20000 });
  expect(await loaded(id)).toBe(20000);
  expect(await importProgress(h.client, id)).toBeNull();

  const closed = await waitFor(
    'the closed run in visibility',
    () => listImports(h.client, { importId: id, running: false }),
    (l) => l[0]?.outcome === 'succeeded',
    30_000,
  );
  expect(closed[0]).toMatchObject({ importId: id, status: 'COMPLETED', outcome: 'succeeded' });
  expect(closed[0]!.closeTime).toBeInstanceOf(Date);
});

it('stops a running import: the run is cancelled and what it committed stays', async () => {
  const id = uniqueId('clientstop');
  await startImport(h.client, specFor(id), { taskQueue: h.taskQueue, rowsPerSecond: 500 });
  await waitFor(
    'the first batch',
    () => importProgress(h.client, id),
    (p) => (p?.rowsRead ?? 0) > 0,
    60_000,
    50,
  );
  expect(await stopImport(h.client, id)).toEqual([`import:${id}`]);
  const run = (await h.store.query('SELECT status, rows_read FROM runs WHERE import_id = $1', [id])).rows;
  expect(run).toHaveLength(1);
  expect(run[0].status).toBe('cancelled');
  expect(Number(run[0].rows_read)).toBeLessThan(20000);
  expect(await loaded(id)).toBe(Number(run[0].rows_read));
  expect(await stopImport(h.client, id)).toEqual([]);
});

it('refuses a bad spec before starting anything, naming the field', async () => {
  const id = uniqueId('clientbad');
  const bad = { ...specFor(id), cursor: { column: '', key: 'id' } };
  await expect(startImport(h.client, bad, { taskQueue: h.taskQueue })).rejects.toThrow(/cursor\.column/);
  expect(await tributaryClient.runningImportRuns(h.client, id)).toEqual([]);
  await expect(pauseImport(h.client, "x' OR 1=1")).rejects.toThrow(/import id/);
});
