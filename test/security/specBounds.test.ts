/**
 * Every number a spec or an API body carries is bounded: through the API, each bound itself is accepted
 * and one past it is a 400 naming the field. `cursor.lag: 1e300`, which made every run fail with
 * `interval out of range` and retry for ever, is refused at once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type ApiResponse, createApiHarness } from '../helpers/apiHarness';
import { uniqueId } from '../helpers/harness';
import { tempDir } from '../helpers/servers';

const DAY = 86_400;
const MAX_TIME_LAG = 30 * DAY;
const MAX_NUMBER_LAG = 30 * DAY * 1_000_000; // 30 days of an epoch-microsecond cursor
const TIB = 1024 ** 4;

let t: ApiHarness;
const savedRoots = process.env.TRIBUTARY_FILE_ROOTS;

beforeAll(async () => {
  const files = tempDir('bounds-files');
  mkdirSync(files, { recursive: true });
  writeFileSync(path.join(files, 'users.csv'), 'email,n\na@x.io,1\n');
  // The operator lets file sources read this folder (and the default one).
  process.env.TRIBUTARY_FILE_ROOTS = [files, savedRoots].filter(Boolean).join(':');
  t = await createApiHarness('bounds');
  await t.h.source
    .query(`CREATE TABLE users AS SELECT g AS id, g::bigint * 1000000 AS seq, 'u' || g || '@x.io' AS email,
    timestamptz '2026-01-01' + g * interval '1 minute' AS updated_at FROM generate_series(1, 5) g`);
  const created = await t.req('POST', '/connections', { body: { id: 'src', name: 'source', url: t.h.sourceUrl } });
  expect(created.status, created.text).toBe(201);
  const folder = await t.req('POST', '/connections', { body: { id: 'files', name: 'files', url: `file://${files}/` } });
  expect(folder.status, folder.text).toBe(201);
});

afterAll(async () => {
  if (savedRoots === undefined) delete process.env.TRIBUTARY_FILE_ROOTS;
  else process.env.TRIBUTARY_FILE_ROOTS = savedRoots;
  await t?.close();
});

const profile = (over: Record<string, unknown> = {}, cursor: Record<string, unknown> = {}) => ({
  id: uniqueId('b'),
  name: 'bounds',
  dataType: 'profile',
  source: { connection: 'src', table: 'users' },
  cursor: { column: 'updated_at', key: 'id', ...cursor },
  mapping: { userId: { column: 'email' } },
  ...over,
});
const activity = (over: Record<string, unknown> = {}) => ({
  id: uniqueId('b'),
  name: 'bounds',
  dataType: 'activity',
  source: { connection: 'src', table: 'users' },
  cursor: { column: 'updated_at', key: 'id' },
  mapping: { userId: { column: 'email' }, eventType: { value: 'seen' }, timestamp: { column: 'updated_at' } },
  ...over,
});
const fileImport = (limits: Record<string, number>) => ({
  id: uniqueId('b'),
  name: 'bounds',
  dataType: 'profile',
  source: { connection: 'files', file: { path: 'users.csv', format: 'csv', limits } },
  cursor: { column: '_line', key: '_source' },
  mapping: { userId: { column: 'email' } },
});

function expectRefused(res: ApiResponse, field: string): void {
  expect(res.status, res.text).toBe(400);
  const fields = (res.body.errors ?? []).map((e: { field: string }) => e.field);
  expect(fields, res.text).toContain(field);
}

const create = (body: unknown) => t.req('POST', '/imports', { body });

describe('import spec bounds, through POST /imports', () => {
  it('cursor.lag: 1e300 is refused, naming cursor.lag', async () => {
    const res = await create(profile({}, { lag: 1e300 }));
    expectRefused(res, 'cursor.lag');
  });

  it('cursor.lag on a time cursor: 30 days accepted, one second more refused', async () => {
    expect((await create(profile({}, { lag: MAX_TIME_LAG }))).status).toBe(201);
    expectRefused(await create(profile({}, { lag: MAX_TIME_LAG + 1 })), 'cursor.lag');
  });

  it('cursor.lag on a number cursor: 30 days of microseconds accepted, one more refused', async () => {
    const ok = await create(profile({}, { column: 'seq', lag: MAX_NUMBER_LAG }));
    expect(ok.status, ok.text).toBe(201);
    expectRefused(await create(profile({}, { column: 'seq', lag: MAX_NUMBER_LAG + 1 })), 'cursor.lag');
  });

  it('timeZone: an IANA zone accepted, an unknown one refused', async () => {
    expect((await create(profile({ timeZone: 'Europe/Paris' }))).status).toBe(201);
    expectRefused(await create(profile({ timeZone: 'Mars/Olympus_Mons' })), 'timeZone');
  });

  it('batchSize: 200,000 accepted, 200,001 refused', async () => {
    expect((await create(profile({ batchSize: 200_000 }))).status).toBe(201);
    expectRefused(await create(profile({ batchSize: 200_001 })), 'batchSize');
  });

  it('dedupWindowDays: 3650 accepted, 3651 refused', async () => {
    const ok = await create(activity({ dedupWindowDays: 3650 }));
    expect(ok.status, ok.text).toBe(201);
    expectRefused(await create(activity({ dedupWindowDays: 3651 })), 'dedupWindowDays');
  });

  it('identifiers: maxLength 1024 and 1000 reserved values accepted, one more of each refused', async () => {
    const reserved = Array.from({ length: 1000 }, (_, i) => `r${i}`);
    const ok = await create(profile({ identifiers: { maxLength: 1024, reserved } }));
    expect(ok.status, ok.text).toBe(201);
    expectRefused(await create(profile({ identifiers: { maxLength: 1025 } })), 'identifiers.maxLength');
    expectRefused(
      await create(profile({ identifiers: { reserved: [...reserved, 'one-more'] } })),
      'identifiers.reserved',
    );
  });

  it('file limits: maxBytes 1 TiB and maxColumns 10,000 accepted, one more of each refused', async () => {
    const ok = await create(fileImport({ maxBytes: TIB, maxColumns: 10_000 }));
    expect(ok.status, ok.text).toBe(201);
    expectRefused(await create(fileImport({ maxBytes: TIB + 1 })), 'source.file.limits.maxBytes');
    expectRefused(await create(fileImport({ maxColumns: 10_001 })), 'source.file.limits.maxColumns');
  });

  it('schedule: every 100,000 units and a catch-up window of 366 days accepted, one more of each refused', async () => {
    const ok = await create({
      ...profile(),
      schedule: { kind: 'interval', every: 100_000, unit: 'seconds', catchupWindowSeconds: 366 * DAY },
    });
    expect(ok.status, ok.text).toBe(201);
    expectRefused(await create({ ...profile(), schedule: { kind: 'interval', every: 100_001 } }), 'schedule.every');
    expectRefused(
      await create({ ...profile(), schedule: { kind: 'interval', every: 5, catchupWindowSeconds: 366 * DAY + 1 } }),
      'schedule.catchupWindowSeconds',
    );
  });

  it('dry run sampleSize: 100,000 accepted, 100,001 refused', async () => {
    const ok = await t.req('POST', '/imports/dry-run?sampleSize=100000', { body: profile() });
    expect(ok.status, ok.text).toBe(200);
    expectRefused(await t.req('POST', '/imports/dry-run?sampleSize=100001', { body: profile() }), 'query.sampleSize');
  });
});

describe('backfill, throttle and retention bounds', () => {
  it('a backfill: 1000 partitions, concurrency 64 and 10,000,000 rows/s accepted; one more of each refused', async () => {
    const spec = profile();
    expect((await create(spec)).status).toBe(201);
    const base = `/imports/${spec.id}/backfills`;
    expectRefused(await t.req('POST', base, { body: { partitions: 1001 } }), 'partitions');
    expectRefused(await t.req('POST', base, { body: { concurrency: 65 } }), 'concurrency');
    expectRefused(await t.req('POST', base, { body: { rowsPerSecond: 10_000_001 } }), 'rowsPerSecond');
    const ok = await t.req('POST', base, {
      body: { id: 'edge', partitions: 1000, concurrency: 64, rowsPerSecond: 10_000_000 },
    });
    expect(ok.status, ok.text).toBe(202);
    const throttle = `${base}/edge/throttle`;
    expectRefused(await t.req('PATCH', throttle, { body: { rowsPerSecond: 10_000_001 } }), 'rowsPerSecond');
    expectRefused(await t.req('PATCH', throttle, { body: { concurrency: 65 } }), 'concurrency');
    const steered = await t.req('PATCH', throttle, { body: { rowsPerSecond: 10_000_000, concurrency: 64 } });
    // Accepted as a value: 200/202 while the backfill runs, 409 once it has already finished (never a 400).
    expect([200, 202, 409], steered.text).toContain(steered.status);
  });

  it('delete retention: 3650d accepted, 3651d refused', async () => {
    const spec = profile();
    expect((await create(spec)).status).toBe(201);
    expectRefused(await t.req('DELETE', `/imports/${spec.id}?retention=3651d`), 'query.retention');
    const ok = await t.req('DELETE', `/imports/${spec.id}?retention=3650d`);
    expect(ok.status, ok.text).toBe(202);
  });
});
