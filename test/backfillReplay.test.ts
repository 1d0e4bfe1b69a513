/**
 * Determinism guard for backfills: a fresh small backfill (throttled, paused, resumed, its throttle changed
 * by the update) and one of its partitions replay against the current workflow code. With
 * TRIBUTARY_RECORD_HISTORIES=1 their histories are saved as fixtures, which test/replay.test.ts then replays
 * with every other recorded history.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { findTemporalCli } from '../dev/temporalCli';
import { WORKFLOWS_PATH } from '../worker';
import { backfillProgressQuery, partitionWorkflowId, setThrottleUpdate } from '../workflows/backfillDefinitions';
import { pauseSignal, resumeSignal } from '../workflows/definitions';
import { createHarness, type Harness } from './helpers/harness';
import { backfillInput, createEventSource, eventSpec, runBackfill, waitFor } from './helpers/backfill';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'histories');
const RECORD = process.env.TRIBUTARY_RECORD_HISTORIES === '1';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('bfreplay');
});
afterAll(async () => {
  await h?.close();
});

it('a backfill and its partitions replay against the current code', async () => {
  await createEventSource(h.source, 3000, 'replay_src');
  const spec = eventSpec('backfill-replay-fixture', 'replay_src', 200);
  const handle = await runBackfill(
    h.client,
    h.taskQueue,
    backfillInput(spec, {
      backfillId: 'fixture',
      partitions: 3,
      throttle: { rowsPerSecond: 1500, concurrency: 2 },
    }),
  );
  await waitFor(
    'rows',
    () => handle.query(backfillProgressQuery),
    (p) => p.partitionsRunning.length > 0,
    60_000,
    100,
  );
  await handle.signal(pauseSignal);
  await waitFor(
    'paused',
    () => handle.query(backfillProgressQuery),
    (p) => p.paused,
    30_000,
    100,
  );
  await handle.signal(resumeSignal);
  expect(await handle.executeUpdate(setThrottleUpdate, { args: [{ rowsPerSecond: null, concurrency: 3 }] })).toEqual({
    rowsPerSecond: null,
    concurrency: 3,
  });
  expect(await handle.result()).toMatchObject({ status: 'succeeded', rowsRead: 3000, partitions: 3 });

  const partition = h.client.workflow.getHandle(partitionWorkflowId(spec.id, 'fixture', 0));
  for (const [name, wf] of [
    ['backfill', handle],
    ['partition', partition],
  ] as const) {
    await Worker.runReplayHistory(
      { workflowsPath: WORKFLOWS_PATH, replayName: name },
      await wf.fetchHistory(),
      wf.workflowId,
    );
    if (RECORD) {
      const json = execFileSync(findTemporalCli(), [
        'workflow',
        'show',
        '--workflow-id',
        wf.workflowId,
        '--address',
        inject('temporalAddress'),
        '--output',
        'json',
      ]);
      writeFileSync(path.join(FIXTURES, `backfill-${name}.json`), json);
    }
  }
});
