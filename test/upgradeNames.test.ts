/**
 * Upgrading a worker to the prefixed names mid-import. The import starts on a worker running the workflow
 * code as it was before the prefix (taken from git at that commit), under the old type `importWorkflow`
 * and the bare activity names, and is paused after some batches. That worker stops; today's dedicated
 * worker takes over and the run resumes: it finishes with every source row in the store exactly once,
 * its history shows the bare names before the upgrade and the prefixed ones after, and the whole history
 * replays against today's code.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createActivities, type RunRecord } from '../activities';
import { staticConnections } from '../connectors/connections';
import { createPostgresConnector } from '../connectors/postgres/postgresSource';
import { WORKFLOWS_PATH } from '../worker';
import { LEGACY_WORKFLOW_TYPES } from '../workflows/names';
import { importWorkflowId, pauseSignal, progressQuery, resumeSignal } from '../workflows/definitions';
import { createHarness, type Harness } from './helpers/harness';
import { createEventSource, eventSpec, sourceChecksum, STORE_CHECKSUM, waitFor } from './helpers/backfill';
import { testPolicy } from './helpers/testPolicy';

/** The last commit whose workflows scheduled everything under the bare names. */
const BEFORE_PREFIX = 'a0f6f62';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = 12_000;

let h: Harness;
let oldCode: string;
beforeAll(async () => {
  h = await createHarness('upgrade', { inProcessWorker: false });
  oldCode = mkdtempSync(path.join(os.tmpdir(), 'tributary-old-code-'));
  execFileSync('sh', [
    '-c',
    `git -C "${ROOT}" archive ${BEFORE_PREFIX} workflows activities spec temporal connectors engine | tar -x -C "${oldCode}"`,
  ]);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(oldCode, 'node_modules'));
});
afterAll(async () => {
  await h?.close();
  if (oldCode) rmSync(oldCode, { recursive: true, force: true });
});

it('an import started before the upgrade finishes on the upgraded worker, exactly once', async () => {
  await createEventSource(h.source, ROWS, 'upgrade_src');
  const spec = eventSpec('upgrade-mid-run', 'upgrade_src', 1000);
  const policy = testPolicy();
  const postgres = createPostgresConnector({ policy });
  // The worker as deployed before: the old workflow code, the activities under their bare names only.
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const oldWorker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: h.taskQueue,
    workflowsPath: path.join(oldCode, 'workflows', 'index.ts'),
    activities: createActivities({
      store: h.store,
      resolveConnection: staticConnections({ warehouse: h.sourceUrl }),
      connectors: { postgres },
      policy,
    }),
  });
  const oldRunning = oldWorker.run();
  // Started as clients started it then: positional arguments, which today's workflow still reads.
  const handle = await h.client.workflow.start(LEGACY_WORKFLOW_TYPES.import, {
    taskQueue: h.taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [spec, null, null, { rowsPerSecond: 2000 }],
  });
  await waitFor(
    'the first batches',
    () => handle.query(progressQuery),
    (p) => p.rowsRead >= 2000,
    120_000,
  );
  await handle.signal(pauseSignal);
  const paused = await waitFor(
    'paused',
    () => handle.query(progressQuery),
    (p) => p.stage === 'paused',
    120_000,
  );
  expect(paused.rowsRead).toBeLessThan(ROWS);

  oldWorker.shutdown();
  await oldRunning;
  await postgres.closeAll();
  await connection.close();

  await h.startWorker();
  await handle.signal(resumeSignal);
  const run = (await handle.result()) as RunRecord;
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS });

  // Every source row once in the store, the same rows (one run: resumed, not restarted).
  expect((await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0]).toEqual(
    (await h.source.query(sourceChecksum('upgrade_src'))).rows[0],
  );
  expect((await h.store.query('SELECT count(*)::int AS n FROM runs WHERE import_id = $1', [spec.id])).rows[0].n).toBe(
    1,
  );

  const history = await handle.fetchHistory();
  const scheduled = new Set(
    history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
  );
  expect([...scheduled].sort()).toEqual(['beginRun', 'importBatch', 'tributaryFinishRun', 'tributaryImportBatch']);
  await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: 'upgraded' }, history, handle.workflowId);
}, 300_000);
