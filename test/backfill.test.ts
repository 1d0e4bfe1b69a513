/**
 * A 2,000,000-row backfill over 24 partitions, 4 at a time, run by the real worker process, which is
 * killed with SIGKILL twice during it and started again. At the end the store holds exactly the source
 * rows (count and checksum), every partition was read once, and every workflow's history stayed bounded:
 * the partitions and the backfill itself continued as new.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeWorkflowBundle } from '../temporal/workflowBundle';
import { backfillProgressQuery, backfillWorkflowId, partitionWorkflowId } from '../workflows/backfillDefinitions';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import { spawnWorker, type WorkerProcess, workerEnv } from './helpers/workerProcess';
import {
  backfillInput,
  createEventSource,
  eventSpec,
  executions,
  runBackfill,
  sleep,
  sourceChecksum,
  STORE_CHECKSUM,
} from './helpers/backfill';

const ROWS = 2_000_000;
const PARTITIONS = 24;
const KILLS = 2;

let h: Harness;
let worker: WorkerProcess | null = null;
beforeAll(async () => {
  h = await createHarness('backfill', { inProcessWorker: false });
});
afterAll(async () => {
  await worker?.kill();
  await h?.close();
});

it(`loads ${ROWS.toLocaleString('en')} rows over ${PARTITIONS} partitions exactly once through ${KILLS} SIGKILLs of the worker`, async () => {
  await createEventSource(h.source, ROWS);
  const expected = (await h.source.query(sourceChecksum())).rows[0];
  expect(expected.n).toBe(ROWS);

  // One workflow bundle for every worker start, so a restart takes seconds.
  const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'tributary-bundle-')), 'workflows.js');
  await writeWorkflowBundle(bundle);
  const env = workerEnv(h, {
    TRIBUTARY_CONNECTION_WAREHOUSE: h.sourceUrl,
    TRIBUTARY_WORKFLOW_BUNDLE: bundle,
  });
  const spec = eventSpec(uniqueId('bf'), 'events_src', 10_000);
  const backfillId = 'history';
  worker = await spawnWorker(env);
  const handle = await runBackfill(
    h.client,
    h.taskQueue,
    backfillInput(spec, {
      backfillId,
      partitions: PARTITIONS,
      throttle: { rowsPerSecond: null, concurrency: 4 },
      // Small history budgets, so continue-as-new happens within this test: each partition has ~9 batches.
      batchesPerExecution: 4,
      partitionsPerExecution: 10,
    }),
  );
  const result = handle.result();
  let finished = false;
  void result.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );

  // Progress as the store has committed it: nothing can be queried while no worker runs.
  const committed = () =>
    count(h.store, "SELECT coalesce(sum(rows_read), 0) FROM runs WHERE import_id = $1 AND stream LIKE 'backfill:%'", [
      spec.id,
    ]);
  const killedAt: number[] = [];
  for (const threshold of [0.25, 0.6].slice(0, KILLS)) {
    const deadline = Date.now() + 240_000;
    while (!finished && (await committed()) < ROWS * threshold) {
      if (Date.now() > deadline) throw new Error(`no progress:\n${worker.output().slice(-3000)}`);
      await sleep(200);
    }
    await sleep(Math.floor(Math.random() * 1000));
    if (finished) break;
    await worker.kill('SIGKILL');
    killedAt.push(await committed());
    worker = await spawnWorker(env);
  }
  expect(killedAt.length, 'the backfill finished before the kills; slow it down').toBe(KILLS);
  expect(killedAt.every((r) => r < ROWS)).toBe(true);

  const outcome = await result;
  expect(outcome).toMatchObject({ status: 'succeeded', partitions: PARTITIONS, rowsRead: ROWS });
  const got = (await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0];
  expect(got).toEqual(expected);
  // Each partition is one run, read once, and the partitions' planned rows add up to the source.
  const runs = await h.store.query(
    'SELECT stream, status, rows_read, duplicates FROM runs WHERE import_id = $1 ORDER BY stream',
    [spec.id],
  );
  expect(runs.rows).toHaveLength(PARTITIONS);
  expect(runs.rows.every((r) => r.status === 'succeeded' && Number(r.duplicates) === 0)).toBe(true);
  expect(runs.rows.reduce((a, r) => a + Number(r.rows_read), 0)).toBe(ROWS);
  const planned = await h.store.query('SELECT rows FROM backfill_partitions WHERE import_id = $1 ORDER BY n', [
    spec.id,
  ]);
  expect(planned.rows.map((r) => Number(r.rows)).reduce((a, b) => a + b, 0)).toBe(ROWS);
  // Sized from the source's counts: every partition within 1% of an equal share (ties of 100 rows at most).
  for (const r of planned.rows)
    expect(Math.abs(Number(r.rows) - ROWS / PARTITIONS)).toBeLessThan(ROWS / PARTITIONS / 100);
  expect(await handle.query(backfillProgressQuery)).toMatchObject({
    partitions: PARTITIONS,
    partitionsDone: PARTITIONS,
    rowsRead: ROWS,
    etaSeconds: 0,
  });

  // Bounded history: the backfill and every partition continued as new, and no execution grew long.
  expect(await executions(h.client, backfillWorkflowId(spec.id, backfillId))).toContain('CONTINUED_AS_NEW');
  for (let n = 0; n < PARTITIONS; n++) {
    const id = partitionWorkflowId(spec.id, backfillId, n);
    const statuses = await executions(h.client, id);
    expect(statuses, id).toContain('CONTINUED_AS_NEW');
    expect(statuses, id).toContain('COMPLETED');
  }
  for await (const w of h.client.workflow.list({ query: `TributaryImportId = '${spec.id}'` })) {
    expect(w.historyLength, w.workflowId).toBeLessThan(400);
  }
}, 600_000);
