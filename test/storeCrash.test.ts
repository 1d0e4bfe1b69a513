/**
 * Store crash: the store's postmaster (a Postgres of this test's own) is killed with SIGKILL three times
 * during a 300,000-row import and started again on the same port and data folder. The worker, a real
 * separate process, is never touched: it must stay up through every crash, keep polling, and finish the
 * import once the store is back, with exactly the source rows in the store (count and checksum).
 */
import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { RunRecord } from '../activities';
import { ensureDatabase } from '../store/embeddedPostgres';
import { migrate } from '../store/migrate';
import { createPool } from '../store/store';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../workflows/definitions';
import { freshDatabase, uniqueId } from './helpers/harness';
import { type KillablePostgres, startKillablePostgres } from './helpers/killablePostgres';
import { sleep } from './helpers/wait';
import { testPolicyEnv } from './helpers/testPolicy';
import { spawnWorker, type WorkerProcess } from './helpers/workerProcess';

const ROWS = 300_000;
const CRASHES = 3;

let storePg: KillablePostgres;
let store: pg.Pool;
let source: pg.Pool;
let sourceUrl: string;
let connection: Connection;
let client: Client;
let worker: WorkerProcess | null = null;

beforeAll(async () => {
  storePg = await startKillablePostgres();
  await ensureDatabase(storePg.url('postgres'), 'tributary');
  store = createPool(storePg.url('tributary'), 2);
  await migrate(store);
  sourceUrl = await freshDatabase('storecrash_src');
  source = createPool(sourceUrl, 2);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: 'default' });
});
afterAll(async () => {
  await worker?.kill();
  await connection?.close();
  await store?.end();
  await source?.end();
  await storePg?.stop();
});

/** The same canonical text per event on both sides, hashed in a fixed order. */
const SOURCE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT id || '|' || user_id || '|' || kind || '|' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '|' ||
         jsonb_build_object('sku', sku, 'n', id)::text AS line FROM events_src) t`;
const STORE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT (properties->>'n') || '|' || id_value || '|' || event_type || '|' ||
         to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '|' || properties::text AS line
  FROM events WHERE import_id = $1) t`;

/** Rows the store has committed for the import, or null while it is down or recovering. */
async function committedRows(importId: string): Promise<number | null> {
  try {
    const r = await store.query('SELECT coalesce(sum(rows_read), 0)::int AS n FROM runs WHERE import_id = $1', [
      importId,
    ]);
    return r.rows[0].n as number;
  } catch {
    return null;
  }
}

it(`the worker survives ${CRASHES} SIGKILLs of the store's postmaster during a ${ROWS.toLocaleString('en')}-row import, and loads every row exactly once`, async () => {
  await source.query(`CREATE TABLE events_src AS
    SELECT g AS id, 'user-' || (g % 50000) AS user_id, (ARRAY['view','click','buy','refund'])[1 + g % 4] AS kind,
           timestamptz '2026-01-01' + g * interval '1 second' AS at, 'sku-' || (g % 977) AS sku,
           timestamptz '2026-01-01' + (g / 100) * interval '1 second' AS updated_at
    FROM generate_series(1, ${ROWS}) g`);
  await source.query('ALTER TABLE events_src ADD PRIMARY KEY (id)');
  await source.query('CREATE INDEX ON events_src (updated_at, id)');
  const expected = (await source.query(SOURCE_CHECKSUM)).rows[0];
  expect(expected.n).toBe(ROWS);

  const taskQueue = `test-storecrash-${uniqueId('q')}`;
  worker = await spawnWorker({
    DATABASE_URL: storePg.url('tributary'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: 'default',
    TRIBUTARY_TASK_QUEUE: taskQueue,
    TRIBUTARY_CONNECTION_WAREHOUSE: sourceUrl,
    ...testPolicyEnv(),
  });
  const workerPid = worker.child.pid;
  const spec = {
    id: uniqueId('storecrash'),
    name: 'store crash',
    dataType: 'activity' as const,
    source: { connection: 'warehouse', table: 'events_src' },
    cursor: { column: 'updated_at', key: 'id' },
    batchSize: 10_000,
    mapping: {
      userId: { column: 'user_id' },
      eventType: { column: 'kind' },
      timestamp: { column: 'at' },
      properties: [{ column: 'sku' }, { column: 'id', property: 'n', type: 'number' as const }],
    },
  };
  const handle = await client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [{ spec }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
  });
  const result = handle.result() as Promise<RunRecord>;
  let finished = false;
  void result.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );

  const crashedAt: number[] = [];
  let last = 0;
  for (let k = 0; k < CRASHES && !finished; k++) {
    // Wait until the worker has committed a batch since the store came back, then crash it mid-work.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const now = await committedRows(spec.id);
      if (finished || (now !== null && now > last)) break;
      if (Date.now() > deadline) throw new Error(`no progress since the store came back:\n${worker.output()}`);
      await sleep(100);
    }
    await sleep(Math.floor(Math.random() * 800));
    if (finished) break;
    last = (await committedRows(spec.id)) ?? last;
    await storePg.crash();
    crashedAt.push(last);
    // Down for a while: the worker's activities fail with refused connections and are retried.
    await sleep(1000 + Math.floor(Math.random() * 2000));
    await storePg.start();
  }
  if (crashedAt.length < CRASHES) {
    const early = await result.then(
      (r) => `it ended ${r.status}`,
      (e: Error) => `it failed: ${String(e.cause ?? e.message)}`,
    );
    throw new Error(
      `the import finished after only ${crashedAt.length} crashes (${early}); slow it down if it succeeded`,
    );
  }
  expect(crashedAt.every((r) => r < ROWS)).toBe(true);

  const run = await result;
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS, duplicates: 0, rejected: 0 });
  const got = (await store.query(STORE_CHECKSUM, [spec.id])).rows[0];
  expect(got).toEqual(expected);
  // The same worker process did it all, and it did see its store connections drop.
  expect(worker.child.exitCode, worker.output()).toBeNull();
  expect(worker.child.signalCode).toBeNull();
  expect(worker.child.pid).toBe(workerPid);
  expect(worker.output()).toContain('store: connection lost');
}, 600_000);
