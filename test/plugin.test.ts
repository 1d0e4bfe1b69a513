/**
 * TributaryPlugin on a user's own worker (real Temporal, real Postgres): Tributary's import and the user's
 * workflow, whose activity is called `importBatch` like Tributary's used to be, run side by side; then the
 * plugin alone on a task queue of its own, sharing the user's connection.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import Long from 'long';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { TributaryPlugin } from '../index';
import type { RunRecord } from '../activities';
import { staticConnections } from '../connectors/connections';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../workflows/definitions';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { createEventSource, eventSpec, sourceChecksum, STORE_CHECKSUM } from './helpers/backfill';
import { testPolicy } from './helpers/testPolicy';
import { SEARCH_ATTRIBUTE_NAMES } from '../temporal/searchAttributes';

const USER_WORKFLOWS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'userWorkflows.ts');
const ROWS = 5000;

let h: Harness;
let connection: NativeConnection;
beforeAll(async () => {
  h = await createHarness('plugin', { inProcessWorker: false });
  // A table per test: events are deduplicated per user across imports.
  await createEventSource(h.source, ROWS, 'merged_src');
  await createEventSource(h.source, ROWS, 'own_queue_src');
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await connection?.close();
  await h?.close();
});

const userActivities = { importBatch: async (label: string) => `user batch ${label}` };
const tributary = () =>
  new TributaryPlugin({
    databaseUrl: h.storeUrl,
    resolveConnection: staticConnections({ warehouse: h.sourceUrl }),
    policy: testPolicy(),
  });

/** A Tributary import on `taskQueue`, checked against the source: every row once, in one run. */
async function importAndCheck(taskQueue: string, table: string): Promise<string[]> {
  const spec = eventSpec(uniqueId('plugin'), table, 1000);
  const handle = await h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [{ spec }],
  });
  expect((await handle.result()) as RunRecord).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS });
  expect((await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0]).toEqual(
    (await h.source.query(sourceChecksum(table))).rows[0],
  );
  expect((await h.store.query('SELECT count(*)::int AS n FROM runs WHERE import_id = $1', [spec.id])).rows[0].n).toBe(
    1,
  );
  const history = await handle.fetchHistory();
  return [
    ...new Set(history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])),
  ].sort();
}

it("runs a Tributary import and the user's own workflow on one worker, each with its own importBatch", async () => {
  const taskQueue = `${h.taskQueue}-merged`;
  const plugin = tributary();
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowsPath: USER_WORKFLOWS,
    activities: userActivities,
    plugins: [plugin],
  });
  await worker.runUntil(async () => {
    expect(await importAndCheck(taskQueue, 'merged_src')).toEqual([
      'tributaryBeginRun',
      'tributaryFinishRun',
      'tributaryImportBatch',
    ]);
    expect(
      await h.client.workflow.execute('userImport', { taskQueue, workflowId: uniqueId('user'), args: ['one'] }),
    ).toBe('user batch one');
  });
  // The store the plugin opened is closed with the worker.
  expect(() => plugin.deps.store).toThrow(/only while the worker runs/);
}, 300_000);

it("runs on a task queue of its own beside the user's worker, on the user's connection", async () => {
  const userQueue = `${h.taskQueue}-user`;
  const tributaryQueue = `${h.taskQueue}-tributary`;
  const userWorker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: userQueue,
    workflowsPath: USER_WORKFLOWS,
    activities: userActivities,
  });
  const tributaryWorker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: tributaryQueue,
    plugins: [tributary()],
  });
  await userWorker.runUntil(
    tributaryWorker.runUntil(async () => {
      expect(await importAndCheck(tributaryQueue, 'own_queue_src')).toEqual([
        'tributaryBeginRun',
        'tributaryFinishRun',
        'tributaryImportBatch',
      ]);
      expect(
        await h.client.workflow.execute('userImport', {
          taskQueue: userQueue,
          workflowId: uniqueId('user'),
          args: ['two'],
        }),
      ).toBe('user batch two');
    }),
  );
}, 300_000);

it('refuses a prebuilt workflow bundle it cannot add its workflows to, saying what to do', async () => {
  await expect(
    Worker.create({
      connection,
      taskQueue: `${h.taskQueue}-bundle`,
      workflowBundle: { code: '' },
      plugins: [tributary()],
    }),
  ).rejects.toThrow(
    /prebuilt workflowBundle.*export \* from '.*workflows\/index\.ts'.*workflowBundleIncludesTributary/s,
  );
});

it("registers its search attributes in the worker's namespace at start when asked, once", async () => {
  const namespace = `plugin-sa-${randomUUID().slice(0, 8)}`;
  const client = await Connection.connect({ address: inject('temporalAddress') });
  try {
    await client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
    });
    const names = SEARCH_ATTRIBUTE_NAMES;
    for (const round of [1, 2]) {
      const lines: string[] = [];
      const plugin = new TributaryPlugin({
        databaseUrl: h.storeUrl,
        resolveConnection: staticConnections({ warehouse: h.sourceUrl }),
        policy: testPolicy(),
        registerSearchAttributes: true,
        log: (line) => lines.push(line),
      });
      const worker = await Worker.create({ connection, namespace, taskQueue: `${h.taskQueue}-sa`, plugins: [plugin] });
      // Until the worker polls: the plugin registers before it does.
      await worker.runUntil(async () => {
        while (worker.getState() !== 'RUNNING') await new Promise((r) => setTimeout(r, 100));
      });
      // Registered by the first start; the second finds them there and says nothing.
      expect(lines.filter((l) => l.includes('registered search attributes'))).toEqual(
        round === 1 ? [`tributary: registered search attributes ${names.join(', ')} in namespace ${namespace}`] : [],
      );
    }
    const listed = await client.operatorService.listSearchAttributes({ namespace });
    for (const name of names) expect(listed.customAttributes?.[name]).toBe(2); // KEYWORD
  } finally {
    await client.close();
  }
}, 300_000);
