/**
 * A run that fails before it begins is as visible as one that fails later. Started the way
 * `temporal workflow start` starts it (a plain start, no search attributes from the client), a run whose
 * mapped column was dropped, whose password is wrong or whose custom query is refused: its run row says
 * failed with the error, Temporal's visibility finds it by TributaryImportId and TributaryOutcome, a
 * run.failed webhook reaches a local receiver, and no position moved. Real Temporal, real Postgres.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createWorker } from '../worker';
import { createActivities } from '../activities';
import { createPostgresConnector } from '../connectors/postgres/postgresSource';
import { parseImportSpec } from '../domain/importSpec';
import { harnessPolicy } from './helpers/policy';
import { staticConnections } from '../connectors/connections';
import { encryptSecret } from '../connectors/secrets';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { testPolicy } from './helpers/testPolicy';
import { waitFor } from './helpers/wait';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../workflows/definitions';

let h: Harness;
let worker: Worker;
let workerDone: Promise<void>;
let closeWorker: () => Promise<void>;
let receiver: http.Server;
let wrongPassword: string;
const received: { event: string; body: any }[] = [];

beforeAll(async () => {
  h = await createHarness('failedstart', { inProcessWorker: false });
  const secretKey = randomBytes(32);
  const wrong = new URL(h.sourceUrl);
  wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
  wrong.password = wrongPassword;
  ({ worker, close: closeWorker } = await createWorker({
    temporalAddress: inject('temporalAddress'),
    namespace: 'default',
    taskQueue: h.taskQueue,
    store: h.store,
    secretKey,
    policy: testPolicy(),
    resolveConnection: staticConnections({ warehouse: h.sourceUrl, badpw: wrong.toString() }),
  }));
  workerDone = worker.run();

  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ event: String(req.headers['x-tributary-event']), body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await h.store.query(
    `INSERT INTO webhooks (id, url, events, sealed_secret) VALUES ('wh-failedstart', $1, '{run.started,run.succeeded,run.partially_succeeded,run.failed}', $2)`,
    [url, encryptSecret(secretKey, 'a-shared-secret-of-some-length')],
  );
  await h.source.query(`CREATE TABLE people AS SELECT g AS id, 'p' || g || '@x.io' AS email, 'tier' || (g % 3) AS tier,
      timestamptz '2026-01-01' + g * interval '1 minute' AS updated_at FROM generate_series(1, 30) g`);
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  await closeWorker?.();
  await h?.close();
  await new Promise((r) => receiver?.close(r));
});

const specOf = (id: string, source: Record<string, unknown>) => ({
  id,
  name: `people ${id}`,
  dataType: 'profile',
  source,
  cursor: { column: 'updated_at', key: 'id' },
  batchSize: 10,
  mapping: { userId: { column: 'email' }, attributes: [{ column: 'tier' }] },
});

/** Started as the CLI starts it: no search attributes, no memo; just the type, id, queue and spec. */
async function startPlain(spec: ReturnType<typeof specOf>): Promise<{ error: string; workflowRunId: string }> {
  const handle = await h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [{ spec }],
  });
  const err = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as (Error & { cause?: Error }) | undefined;
  return { error: String(cause?.cause?.message ?? cause?.message), workflowRunId: handle.firstExecutionRunId };
}

/** The run row, the workflows visibility finds by import and outcome, and the run.failed delivery. */
async function expectVisibleFailure(importId: string, workflowRunId: string, error: RegExp): Promise<void> {
  const runs = await h.store.query(
    'SELECT id, status, error, upper_bound, ended_at FROM runs WHERE workflow_run_id = $1',
    [workflowRunId],
  );
  expect(runs.rows).toHaveLength(1);
  const run = runs.rows[0];
  expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(error), upper_bound: null });
  expect(run.ended_at).toBeInstanceOf(Date);

  // Visibility is eventually consistent: the attributes are there once the server has indexed them.
  const query = `TributaryImportId="${importId}" AND TributaryOutcome="failed"`;
  const found = await waitFor(
    `visibility: ${query}`,
    async () => {
      const ids: string[] = [];
      for await (const wf of h.client.workflow.list({ query })) ids.push(wf.runId);
      return ids;
    },
    (ids) => ids.length > 0,
    30_000,
    250,
  );
  expect(found).toContain(workflowRunId);

  const hook = await waitFor(
    'run.failed webhook',
    async () => received.find((r) => r.event === 'run.failed' && r.body.run.runId === Number(run.id)),
    (v) => v !== undefined,
    60_000,
  );
  expect(hook!.body).toMatchObject({
    event: 'run.failed',
    import: { id: importId },
    run: { status: 'failed', error: run.error },
  });
  expect(hook!.body.run.error).toMatch(error);
  // It never started, so it never said so.
  expect(received.filter((r) => r.body.run.runId === Number(run.id)).map((r) => r.event)).toEqual(['run.failed']);
}

it('a column dropped after a run fails the next run visibly, naming the column; the position stays', async () => {
  const id = uniqueId('dropped');
  const spec = specOf(id, { connection: 'warehouse', table: 'people' });
  const first = await h.client.workflow.execute(IMPORT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: importWorkflowId(id),
    args: [{ spec }],
  });
  expect(first).toMatchObject({ status: 'succeeded', rowsRead: 30 });
  const position = (
    await h.store.query('SELECT stream, cursor_value, key_value, updated_at FROM positions WHERE import_id = $1', [id])
  ).rows;
  expect(position).toHaveLength(1);

  await h.source.query('ALTER TABLE people DROP COLUMN tier');
  try {
    const { error, workflowRunId } = await startPlain(spec);
    expect(error).toMatch(/mapped column "tier" \(mapping\.attributes\.0\) does not exist in table people/);
    await expectVisibleFailure(id, workflowRunId, /mapped column "tier"/);
    // A failed start takes no position: the same single row, unmoved; the run says where it would have read from.
    expect(
      (
        await h.store.query('SELECT stream, cursor_value, key_value, updated_at FROM positions WHERE import_id = $1', [
          id,
        ])
      ).rows,
    ).toEqual(position);
    const failed = (
      await h.store.query('SELECT from_cursor, from_key FROM runs WHERE workflow_run_id = $1', [workflowRunId])
    ).rows[0];
    expect(failed).toEqual({ from_cursor: position[0].cursor_value, from_key: position[0].key_value });
  } finally {
    await h.source.query(`ALTER TABLE people ADD COLUMN tier text`);
    await h.source.query(`UPDATE people SET tier = 'tier' || (id % 3)`);
  }
});

it('a mapped column missing from the first run: the import and its failed run are recorded, no position', async () => {
  const id = uniqueId('missing');
  const spec = {
    ...specOf(id, { connection: 'warehouse', table: 'people' }),
    mapping: { userId: { column: 'email' }, attributes: [{ column: 'loyalty_tier' }] },
  };
  const { error, workflowRunId } = await startPlain(spec);
  expect(error).toMatch(/mapped column "loyalty_tier"/);
  await expectVisibleFailure(
    id,
    workflowRunId,
    /mapped column "loyalty_tier" \(mapping\.attributes\.0\) does not exist in table people/,
  );
  expect((await h.store.query('SELECT count(*)::int AS n FROM positions WHERE import_id = $1', [id])).rows[0].n).toBe(
    0,
  );
  expect((await h.store.query('SELECT data_type FROM imports WHERE id = $1', [id])).rows).toEqual([
    { data_type: 'profile' },
  ]);
});

it('a wrong password fails the run visibly, saying so, without the password', async () => {
  const id = uniqueId('badpw');
  const { error, workflowRunId } = await startPlain(specOf(id, { connection: 'badpw', table: 'people' }));
  expect(error).toMatch(/authentication failed/);
  await expectVisibleFailure(id, workflowRunId, /source: authentication failed/);
  const stored = (await h.store.query('SELECT error FROM runs WHERE workflow_run_id = $1', [workflowRunId])).rows[0]
    .error as string;
  expect(stored).not.toContain(wrongPassword);
  expect(JSON.stringify(received)).not.toContain(wrongPassword);
});

it("a refused custom query fails the run visibly, naming source.query's fault", async () => {
  const id = uniqueId('refused');
  // The spec's own check passes it (one statement, a SELECT); the source's parser refuses it.
  const { error, workflowRunId } = await startPlain(
    specOf(id, { connection: 'warehouse', query: 'SELECT id, email, tier, updated_at FROM people WHERE' }),
  );
  expect(error).toMatch(/custom query is not valid SQL/);
  await expectVisibleFailure(id, workflowRunId, /custom query is not valid SQL/);
});

it('an import is found by its id from its first moment, while its run is still beginning', async () => {
  const id = uniqueId('early');
  // The source's table held locked: beginRun waits on it, so the run has not begun while visibility is asked.
  const locker = await h.source.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE people IN ACCESS EXCLUSIVE MODE');
    const handle = await h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
      taskQueue: h.taskQueue,
      workflowId: importWorkflowId(id),
      args: [{ spec: specOf(id, { connection: 'warehouse', table: 'people' }) }],
    });
    const query = `TributaryImportId="${id}" AND TributaryDataType="profile" AND ExecutionStatus="Running"`;
    await waitFor(
      `visibility: ${query}`,
      async () => {
        const ids: string[] = [];
        for await (const wf of h.client.workflow.list({ query })) ids.push(wf.runId);
        return ids;
      },
      (ids) => ids.includes(handle.firstExecutionRunId),
      30_000,
      250,
    );
    expect((await h.store.query('SELECT count(*)::int AS n FROM runs WHERE import_id = $1', [id])).rows[0].n).toBe(0);
    await locker.query('ROLLBACK');
    expect(await handle.result()).toMatchObject({ status: 'succeeded', rowsRead: 30 });
  } finally {
    await locker.query('ROLLBACK').catch(() => undefined);
    locker.release();
  }
});

it('recording a failed start is idempotent by workflow run id, and leaves a run beginRun recorded as it stands', async () => {
  const postgres = createPostgresConnector({ policy: harnessPolicy() });
  try {
    const activities = createActivities({
      store: h.store,
      resolveConnection: staticConnections({ warehouse: h.sourceUrl }),
      connectors: { postgres },
    });
    const spec = parseImportSpec(specOf(uniqueId('twice'), { connection: 'warehouse', table: 'people' }));
    const input = {
      spec,
      workflowId: `import:${spec.id}`,
      workflowRunId: `wr-${spec.id}`,
      outcome: 'failed' as const,
      error: 'first',
    };
    const first = await activities.recordFailedStart(input);
    const again = await activities.recordFailedStart({ ...input, error: 'second' });
    expect(again).toEqual(first);
    expect(first.sourceKind).toBe('postgres');
    expect((await h.store.query('SELECT status, error FROM runs WHERE import_id = $1', [spec.id])).rows).toEqual([
      { status: 'failed', error: 'first' },
    ]);

    // beginRun recorded the run, then its answer was lost: the record is the same run, still running, for finishRun to end.
    const begun = await activities.beginRun({ spec, workflowId: `import:${spec.id}`, workflowRunId: `wr2-${spec.id}` });
    const recorded = await activities.recordFailedStart({ ...input, workflowRunId: `wr2-${spec.id}` });
    expect(recorded.runId).toBe(begun.runId);
    expect((await h.store.query('SELECT status FROM runs WHERE id = $1', [begun.runId])).rows).toEqual([
      { status: 'running' },
    ]);
  } finally {
    await postgres.closeAll();
  }
});
