/**
 * Determinism guard: recorded histories of the import workflow replay against today's workflow code.
 * A change that would break running workflows (reordered activities, a new timer, a renamed signal)
 * fails here instead of in production. Record afresh with TRIBUTARY_RECORD_HISTORIES=1 when a change
 * is deliberate (and version it with patched() if old runs may still be in flight).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { RunRecord } from '../activities';
import { findTemporalCli } from '../dev/temporalCli';
import { WORKFLOWS_PATH } from '../worker';
import {
  IMPORT_WORKFLOW_TYPE,
  importWorkflowId,
  pauseSignal,
  progressQuery,
  resumeSignal,
} from '../workflows/definitions';
import { createHarness, type Harness } from './helpers/harness';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'histories');
const RECORD = process.env.TRIBUTARY_RECORD_HISTORIES === '1';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('replay');
});
afterAll(async () => {
  await h?.close();
});

it('replays every recorded import history without nondeterminism', async () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const history = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8'));
    // Throws DeterminismViolationError (or any workflow task failure) on a mismatch.
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: file }, history, `replay-${file}`);
  }
});

it('a fresh run with pause, resume, several batches and a row error replays against the current code', async () => {
  await h.source
    .query(`CREATE TABLE clicks AS SELECT g AS id, CASE WHEN g = 7 THEN 'NULL' ELSE 'u' || (g % 5) END AS uid,
    timestamptz '2026-03-01' + g * interval '1 minute' AS at, timestamptz '2026-03-01' + (g / 3) * interval '1 minute' AS updated_at
    FROM generate_series(1, 60) g`);
  const spec = {
    id: 'replay-fixture',
    name: 'replay fixture',
    dataType: 'activity' as const,
    source: { connection: 'warehouse', table: 'clicks' },
    cursor: { column: 'updated_at', key: 'id' },
    batchSize: 10,
    mapping: { userId: { column: 'uid' }, eventType: { value: 'click' }, timestamp: { column: 'at' } },
  };
  // Paused from the start: the signal is in the history before any batch.
  const handle = await h.client.workflow.signalWithStart(IMPORT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [{ spec }],
    signal: pauseSignal,
    signalArgs: [],
  });
  for (let i = 0; i < 200 && (await handle.query(progressQuery)).stage !== 'paused'; i++)
    await new Promise((r) => setTimeout(r, 50));
  expect((await handle.query(progressQuery)).stage).toBe('paused');
  await handle.signal(resumeSignal);
  const run = (await handle.result()) as RunRecord;
  expect(run).toMatchObject({ status: 'partially_succeeded', rowsRead: 60, created: 59, rejected: 1 });
  // Every row read and not rejected was loaded.
  expect((await handle.query(progressQuery)).rowsLoaded).toBe(59);

  const history = await handle.fetchHistory();
  await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: 'fresh' }, history, handle.workflowId);
  if (RECORD) {
    // The CLI's JSON is the format the SDK's replayer reads (what the Web UI's download gives too).
    const json = execFileSync(findTemporalCli(), [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      '--address',
      inject('temporalAddress'),
      '--output',
      'json',
    ]);
    writeFileSync(path.join(FIXTURES, 'import-activity-pause-resume.json'), json);
  }
});

it('a run started with the positional arguments of older clients runs, continues as new in the one-object shape, and replays', async () => {
  await h.source.query(`CREATE TABLE legacy_clicks AS SELECT g AS id, 'u' || (g % 4) AS uid,
    timestamptz '2026-03-01' + g * interval '1 minute' AS at FROM generate_series(1, 30) g`);
  const spec = {
    id: 'replay-positional',
    name: 'positional start',
    dataType: 'activity' as const,
    source: { connection: 'warehouse', table: 'legacy_clicks' },
    cursor: { column: 'at', key: 'id' },
    batchSize: 10,
    // Its own event type: the store is shared with the test above, whose clicks would be duplicates.
    mapping: { userId: { column: 'uid' }, eventType: { value: 'legacy-click' }, timestamp: { column: 'at' } },
  };
  // As schedules and clients started it before the input was one object: [spec, carry, scope, control].
  const handle = await h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [spec, null, null, { batchesPerExecution: 1 }],
  });
  const run = (await handle.result()) as RunRecord;
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 30, created: 30, rejected: 0 });

  // The first execution had four arguments; the ones it continued as new into carry one object.
  const inputs: unknown[][] = [];
  for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
    const history = await h.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    inputs.push(started.input!.payloads!.map((p) => JSON.parse(Buffer.from(p.data!).toString('utf8'))));
    await Worker.runReplayHistory(
      { workflowsPath: WORKFLOWS_PATH, replayName: `positional ${wf.runId}` },
      history,
      wf.workflowId,
    );
  }
  expect(inputs.length).toBeGreaterThan(1);
  expect(inputs).toContainEqual([spec, null, null, { batchesPerExecution: 1 }]);
  const continued = inputs.filter((args) => args.length === 1);
  expect(continued.length).toBe(inputs.length - 1);
  for (const [input] of continued) {
    expect(input).toMatchObject({
      spec,
      scope: null,
      control: { batchesPerExecution: 1 },
      carry: { runId: run.runId, paused: false },
    });
  }
});
