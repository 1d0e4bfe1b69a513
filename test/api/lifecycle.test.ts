/**
 * The whole import lifecycle through the HTTP API over real HTTP, with a real worker, Temporal and
 * Postgres: connection, discovery, create with a schedule and run-now, runs and their errors, pause and
 * resume (read back from Temporal both ways), run now, stop, full resync, delete with a purge.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { findTemporalCli } from '../../dev/temporalCli';
import { count } from '../helpers/harness';
import { type ApiHarness, createApiHarness, sleep, waitFor } from '../helpers/apiHarness';
import { uniqueId } from '../helpers/harness';

let t: ApiHarness;
let connectionId: string;
beforeAll(async () => {
  t = await createApiHarness('apilife');
  // Every 1000th user id is a reserved word, so runs have row errors to report.
  await t.h.source.query(`CREATE TABLE people AS SELECT g AS id,
      CASE WHEN g % 1000 = 0 THEN 'test' ELSE 'p' || g || '@example.com' END AS email,
      'name ' || g AS name, g % 90 AS age, timestamptz '2026-01-01' + g * interval '1 second' AS updated_at
    FROM generate_series(1, 3000) g`);
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

/** The run record ends a moment before its workflow does (it still hands over its webhook event). */
const idle = (id: string) =>
  waitFor(
    `import ${id} idle`,
    async () => (await t.req('GET', `/imports/${id}`)).body,
    (b) => b.running === false,
    30_000,
    100,
  );
const runsOf = async (id: string) => (await t.req('GET', `/imports/${id}/runs`)).body.items as any[];
const specFor = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `people ${id}`,
  dataType: 'profile',
  source: { connection: connectionId, table: 'people' },
  cursor: { column: 'updated_at', key: 'id' },
  batchSize: 500,
  mapping: { userId: { column: 'email' }, attributes: [{ column: 'name' }, { column: 'age', type: 'number' }] },
  ...extra,
});

it('stores, tests, discovers and previews a connection without ever returning its password', async () => {
  const got = await t.req('GET', `/connections/${connectionId}`);
  expect(got.status).toBe(200);
  expect(got.body).toMatchObject({
    id: 'warehouse-db',
    name: 'Warehouse',
    kind: 'postgres',
    user: 'postgres',
    usedBy: [],
  });
  expect(JSON.stringify(got.body)).not.toContain(decodeURIComponent(new URL(t.h.sourceUrl).password));
  const sealed = await t.h.store.query('SELECT sealed_url FROM connections WHERE id = $1', [connectionId]);
  expect(sealed.rows[0].sealed_url).not.toContain('tributary-local');

  const test = await t.req('POST', `/connections/${connectionId}/test`);
  expect(test.body).toMatchObject({ ok: true, server: expect.stringMatching(/^PostgreSQL /) });

  const schema = await t.req('GET', `/connections/${connectionId}/schema`);
  expect(schema.status).toBe(200);
  const people = schema.body.tables.find((x: any) => x.name === 'people');
  expect(people).toMatchObject({ schema: 'public', kind: 'table' });
  expect(people.columns.map((c: any) => [c.name, c.sourceType, c.importType])).toEqual([
    ['id', 'integer', 'number'],
    ['email', 'text', 'string'],
    ['name', 'text', 'string'],
    ['age', 'integer', 'number'],
    ['updated_at', 'timestamp with time zone', 'timestamp'],
  ]);
  // Cached until a resync is asked for.
  await t.h.source.query('CREATE TABLE later (k bigint, v jsonb)');
  expect(
    (await t.req('GET', `/connections/${connectionId}/schema`)).body.tables.some((x: any) => x.name === 'later'),
  ).toBe(false);
  const again = await t.req('POST', `/connections/${connectionId}/discover`);
  expect(again.body.tables.find((x: any) => x.name === 'later').columns).toMatchObject([
    { name: 'k', sourceType: 'bigint' },
    { name: 'v', sourceType: 'jsonb', importType: 'json' },
  ]);

  const preview = await t.req('POST', `/connections/${connectionId}/preview`, { body: { table: 'people', limit: 3 } });
  expect(preview.status, preview.text).toBe(200);
  expect(preview.body.rows).toHaveLength(3);
  expect(preview.body.columns[4]).toMatchObject({ name: 'updated_at', sourceType: 'timestamp with time zone' });
  const q = await t.req('POST', `/connections/${connectionId}/preview`, {
    body: { query: 'SELECT id, email FROM people WHERE id < 3 ORDER BY id' },
  });
  expect(q.body).toMatchObject({
    rows: [
      ['1', 'p1@example.com'],
      ['2', 'p2@example.com'],
    ],
    columns: [{ name: 'id', sourceType: 'integer' }, { name: 'email' }],
  });
});

it('runs the whole lifecycle: create with schedule and run-now, runs, pause, resume, run, stop, resync, delete and purge', async () => {
  const id = uniqueId('life');
  const created = await t.req('POST', '/imports', {
    body: { ...specFor(id), schedule: { kind: 'daily', at: '03:30', timeZone: 'Europe/Paris' }, runNow: true },
  });
  expect(created.status, created.text).toBe(201);
  expect(created.body).toMatchObject({
    id,
    state: 'active',
    paused: false,
    schedule: { kind: 'daily', at: '03:30', timeZone: 'Europe/Paris' },
  });
  expect(Date.parse(created.body.nextRunAt)).toBeGreaterThan(Date.now());

  // The run started by run-now completes; its record has counts, cursor range and row errors.
  const [first] = await waitFor(
    'the first run',
    () => runsOf(id),
    (r) => r.length === 1 && r[0].status !== 'running',
  );
  expect(first).toMatchObject({
    status: 'partially_succeeded',
    rowsRead: 3000,
    created: 2997,
    rejected: 3,
    batches: 6,
  });
  expect(first.cursorRange).toMatchObject({ from: { cursor: null, key: null }, to: { key: '3000' } });
  expect(first.workflowId).toMatch(new RegExp(`^import:${id}-`));

  const errs = await t.req('GET', `/imports/${id}/runs/${first.runId}/errors?limit=2`);
  expect(errs.body).toMatchObject({
    total: 3,
    items: [{ sourceKey: '1000', column: 'email', value: 'test' }, { sourceKey: '2000' }],
  });
  expect(errs.body.items[0].reason).toMatch(/reserved/);
  const page2 = await t.req('GET', `/imports/${id}/runs/${first.runId}/errors?limit=2&after=${errs.body.nextAfter}`);
  expect(page2.body.items.map((e: any) => e.sourceKey)).toEqual(['3000']);
  const csv = await t.req('GET', `/imports/${id}/runs/${first.runId}/errors.csv`);
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename=".*errors\.csv"/);
  const lines = csv.text.trim().split('\r\n');
  expect(lines[0]).toBe('id,source_key,cursor_value,column_name,value,reason');
  expect(lines).toHaveLength(4);
  expect(lines[1]).toMatch(/^\d+,1000,"?2026-01-01 00:16:40\+00"?,email,test,/);

  // The run record ends a moment before its workflow closes (see idle): wait for that, then list.
  await idle(id);
  const listed = (await t.req('GET', '/imports')).body.items.find((x: any) => x.id === id);
  expect(listed).toMatchObject({
    state: 'active',
    running: false,
    lastRun: { runId: first.runId, created: 2997, rejected: 3 },
  });
  expect(listed.lastSuccessfulSyncAt).toBe(first.endedAt);
  expect(listed.nextRunAt).toBe(created.body.nextRunAt);

  // Pause: Temporal's own description says paused; run-now is refused; resume clears it.
  const schedule = t.h.client.schedule.getHandle(`import:${id}`);
  const paused = await t.req('POST', `/imports/${id}/pause`);
  expect(paused.body).toMatchObject({ state: 'paused', paused: true, nextRunAt: null });
  expect((await schedule.describe()).state.paused).toBe(true);
  const refused = await t.req('POST', `/imports/${id}/run`);
  expect(refused.status).toBe(409);
  expect(refused.body.detail).toMatch(/paused/);
  const resumed = await t.req('POST', `/imports/${id}/resume`);
  expect(resumed.body).toMatchObject({ state: 'active', paused: false });
  expect((await schedule.describe()).state.paused).toBe(false);

  // Run now picks up only the new rows.
  await t.h.source.query(`INSERT INTO people SELECT g, 'p' || g || '@example.com', 'name ' || g, g % 90,
    timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(3001, 3100) g`);
  await idle(id);
  const run = await t.req('POST', `/imports/${id}/run`);
  expect(run.status, run.text).toBe(202);
  expect(run.body.workflowId).toMatch(new RegExp(`^import:${id}-`));
  const second = (
    await waitFor(
      'the second run',
      () => runsOf(id),
      (r) => r.length === 2 && r[0].status !== 'running',
    )
  )[0];
  expect(second).toMatchObject({
    status: 'succeeded',
    rowsRead: 100,
    created: 100,
    cursorRange: { from: { key: '3000' }, to: { key: '3100' } },
  });

  // A long run: its counts grow in the store while it runs; paused, it holds still at a batch boundary and
  // shows so in its progress; run-now and delete without stop are refused; stop cancels it cleanly.
  await t.h.source.query(`INSERT INTO people SELECT g, 'p' || g || '@example.com', 'name ' || g, g % 90,
    timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(3101, 40000) g`);
  await idle(id);
  expect((await t.req('POST', `/imports/${id}/run`)).status).toBe(202);
  await waitFor(
    'the third run to load a batch',
    async () => (await runsOf(id))[0],
    (r) => r.status === 'running' && r.rowsRead > 0,
    60_000,
    50,
  );
  const pausedRun = await t.req('POST', `/imports/${id}/pause`);
  expect(pausedRun.body).toMatchObject({ running: true, paused: true });
  const live = await waitFor(
    'the paused run',
    async () => (await runsOf(id))[0],
    (r) => r.progress?.stage === 'paused',
    60_000,
    100,
  );
  expect(live.status).toBe('running');
  expect(live.progress).toMatchObject({ paused: true, rowsRead: live.rowsRead, batches: live.batches });
  expect(live.rowsRead).toBeGreaterThan(0);
  expect(live.rowsRead).toBeLessThan(36900);
  expect((await t.req('GET', `/imports/${id}/runs/${live.runId}`)).body.progress).toMatchObject({
    stage: 'paused',
    rowsRead: live.rowsRead,
  });
  expect((await t.req('POST', `/imports/${id}/run`)).status).toBe(409);
  const busy = await t.req('DELETE', `/imports/${id}`);
  expect(busy.status).toBe(409);
  expect(busy.body.detail).toMatch(/running/);
  const stopped = await t.req('POST', `/imports/${id}/stop`);
  expect(stopped.status, stopped.text).toBe(200);
  expect(stopped.body.running).toBe(false);
  const third = (await runsOf(id))[0];
  expect(third).toMatchObject({ status: 'cancelled', rowsRead: live.rowsRead });
  expect(stopped.body.position.key).toBe(third.cursorRange.to.key);
  expect((await t.req('POST', `/imports/${id}/resume`)).body).toMatchObject({ state: 'active' });

  // Full resync: the position is reset and the next run reads every row again, changing nothing.
  const resync = await t.req('POST', `/imports/${id}/resync`, { body: { runNow: true } });
  expect(resync.status, resync.text).toBe(200);
  const fourth = (
    await waitFor(
      'the resync run',
      () => runsOf(id),
      (r) => r.length === 4 && r[0].status !== 'running',
      120_000,
    )
  )[0];
  expect(fourth).toMatchObject({ rowsRead: 40000, rejected: 3, cursorRange: { from: { cursor: null } } });
  expect(fourth.created + fourth.unchanged).toBe(39997);
  expect(fourth.unchanged).toBe(2997 + 100 + third.created);

  await idle(id);
  // Delete with a short retention: the schedule is gone at once, the data after the retention period.
  const del = await t.req('DELETE', `/imports/${id}?retention=2s`);
  expect(del.status, del.text).toBe(202);
  await expect(schedule.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  expect((await t.req('GET', `/imports/${id}`)).body).toMatchObject({ state: 'deleted' });
  expect((await t.req('POST', `/imports/${id}/run`)).status).toBe(409);
  expect(await count(t.h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [id])).toBe(39997);
  await waitFor(
    'the purge',
    () => count(t.h.store, 'SELECT count(*) FROM imports WHERE id = $1', [id]),
    (n) => n === 0,
    30_000,
  );
  expect(await count(t.h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [id])).toBe(0);
  expect(await count(t.h.store, 'SELECT count(*) FROM runs WHERE import_id = $1', [id])).toBe(0);
  expect((await t.req('GET', `/imports/${id}`)).status).toBe(404);
});

it('shows a schedule paused directly in Temporal (as the Web UI does) as paused, and unpaused likewise', async () => {
  const id = uniqueId('uipause');
  const created = await t.req('POST', '/imports', {
    body: { ...specFor(id), schedule: { kind: 'interval', every: 1, unit: 'hours' } },
  });
  expect(created.status, created.text).toBe(201);
  const schedule = t.h.client.schedule.getHandle(`import:${id}`);
  await schedule.pause('paused in the Web UI');
  expect((await t.req('GET', `/imports/${id}`)).body).toMatchObject({ state: 'paused', paused: true, nextRunAt: null });
  expect((await t.req('GET', '/imports')).body.items.find((x: any) => x.id === id)).toMatchObject({ paused: true });
  await schedule.unpause();
  const back = (await t.req('GET', `/imports/${id}`)).body;
  expect(back).toMatchObject({ state: 'active', paused: false });
  expect(back.nextRunAt).not.toBeNull();
  const del = await t.req('DELETE', `/imports/${id}?immediately=true`);
  expect(del.status, del.text).toBe(200);
  expect(del.body).toMatchObject({ purged: true });
});

it('runs an interval schedule of a few seconds on its own', async () => {
  const id = uniqueId('interval');
  await t.h.source.query(
    `CREATE TABLE tiny AS SELECT g AS id, 'u' || g AS email, 'n' || g AS name, g AS age, now() - interval '1 day' + g * interval '1 second' AS updated_at FROM generate_series(1, 10) g`,
  );
  const body = {
    ...specFor(id),
    source: { connection: connectionId, table: 'tiny' },
    schedule: { kind: 'interval', every: 2, unit: 'seconds' },
  };
  const created = await t.req('POST', '/imports', { body });
  expect(created.status, created.text).toBe(201);
  const runs = await waitFor(
    'two scheduled runs',
    () => runsOf(id),
    (r) => r.filter((x) => x.status !== 'running').length >= 2,
    60_000,
    250,
  );
  const done = runs.filter((x) => x.status !== 'running');
  expect(done.at(-1)).toMatchObject({ status: 'succeeded', rowsRead: 10, created: 10 });
  expect(done.at(-2)).toMatchObject({ rowsRead: 0 });
  const del = await t.req('DELETE', `/imports/${id}?stop=true&immediately=true`);
  expect(del.status, del.text).toBe(200);
  await sleep(2500);
  expect(await count(t.h.store, 'SELECT count(*) FROM runs WHERE import_id = $1', [id])).toBe(0);
});

it('follows the CLI path of docs/api.md: schedule, trigger, pause and resume with `temporal` alone, seen by the API', async () => {
  const id = uniqueId('cli');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-cli-'));
  const inputFile = path.join(dir, 'input.json');
  writeFileSync(
    inputFile,
    JSON.stringify({ spec: { ...specFor(id), source: { connection: connectionId, table: 'tiny' } } }),
  );
  const cli = (...args: string[]) =>
    promisify(execFile)(findTemporalCli(), [...args, '--address', inject('temporalAddress')], { encoding: 'utf8' });
  await cli(
    'schedule',
    'create',
    '--schedule-id',
    `import:${id}`,
    '--workflow-id',
    `import:${id}`,
    '--task-queue',
    t.h.taskQueue,
    '--type',
    'tributaryImport',
    '--input-file',
    inputFile,
    '--interval',
    '1h',
    '--overlap-policy',
    'Skip',
    '--time-zone',
    'Europe/Paris',
  );
  await cli('schedule', 'trigger', '--schedule-id', `import:${id}`, '--overlap-policy', 'Skip');
  // The run records the import in the store, so the API knows it from then on.
  const [run] = await waitFor(
    'the triggered run',
    () => t.h.store.query('SELECT status FROM runs WHERE import_id = $1', [id]).then((r) => r.rows),
    (rows) => rows.length === 1 && rows[0].status !== 'running',
  );
  expect(run.status).toBe('succeeded');
  expect((await t.req('GET', `/imports/${id}`)).body).toMatchObject({ state: 'active', lastRun: { created: 10 } });
  await cli('schedule', 'toggle', '--schedule-id', `import:${id}`, '--pause', '--reason', 'maintenance');
  expect((await t.req('GET', `/imports/${id}`)).body).toMatchObject({ state: 'paused', paused: true });
  await cli('schedule', 'toggle', '--schedule-id', `import:${id}`, '--unpause', '--reason', 'done');
  expect((await t.req('GET', `/imports/${id}`)).body).toMatchObject({ state: 'active', paused: false });
  await cli('schedule', 'delete', '--schedule-id', `import:${id}`);
  rmSync(dir, { recursive: true, force: true });
});

it('deletes an identity import at once: the persons its links joined are split again, and the answer says so', async () => {
  await t.h.source
    .query(`CREATE TABLE api_links1 AS SELECT * FROM (VALUES (1, 'api-a', 'api-b', timestamptz '2026-01-01'),
    (2, 'api-c', 'api-d', timestamptz '2026-01-01')) v(id, l, r, updated_at)`);
  await t.h.source.query(
    `CREATE TABLE api_links2 AS SELECT 1 AS id, 'api-b' AS l, 'api-c' AS r, timestamptz '2026-01-01' AS updated_at`,
  );
  const linkSpec = (id: string, batch: number) => ({
    id,
    name: `links ${id}`,
    dataType: 'identity',
    runNow: true,
    source: { connection: connectionId, table: `api_links${batch}` },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: {
      left: { idType: { value: 'email' }, value: { column: 'l' } },
      right: { idType: { value: 'email' }, value: { column: 'r' } },
    },
  });
  const persons = async () =>
    (
      await t.h.store.query(`SELECT array_agg(id_value ORDER BY id_value) AS m FROM identities
    WHERE id_type = 'email' AND id_value LIKE 'api-%' GROUP BY person_id ORDER BY 1`)
    ).rows.map((r) => r.m as string[]);
  const ids = [uniqueId('links1'), uniqueId('links2')];
  for (const [i, id] of ids.entries()) {
    const created = await t.req('POST', '/imports', { body: linkSpec(id, i + 1) });
    expect(created.status, created.text).toBe(201);
    const [run] = await waitFor(
      `the run of ${id}`,
      () => runsOf(id),
      (r) => r.length === 1 && r[0].status !== 'running',
    );
    expect(run).toMatchObject({ status: 'succeeded', created: i === 0 ? 2 : 1 });
    await idle(id);
  }
  expect(await persons()).toEqual([['api-a', 'api-b', 'api-c', 'api-d']]);
  const del = await t.req('DELETE', `/imports/${ids[1]}?immediately=true`);
  expect(del.status, del.text).toBe(200);
  expect(del.body).toMatchObject({
    purged: true,
    removed: { identity_links: 1, identities: 0 },
    split: { persons: 1, created: 1, moved: 2 },
  });
  expect(await persons()).toEqual([
    ['api-a', 'api-b'],
    ['api-c', 'api-d'],
  ]);
  expect((await t.req('DELETE', `/imports/${ids[0]}?immediately=true`)).body).toMatchObject({
    purged: true,
    removed: { identity_links: 2, identities: 4 },
    split: { persons: 0, created: 0, moved: 0 },
  });
  expect(await persons()).toEqual([]);
});
