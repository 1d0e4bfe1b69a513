// Start your workflow and a Tributary import, and print what each returned.
//   node start.js <import spec .json> [--dedicated]
// --dedicated: the import goes to Tributary's own task queue (dedicated-worker.js), not yours (worker.js).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { importWorkflowId, parseImportSpec, WORKFLOW_TYPES } from 'tributary';
import { connectionOptions, namespace, TASK_QUEUE, TRIBUTARY_TASK_QUEUE } from './connection.js';

const [specFile, mode] = process.argv.slice(2);
if (!specFile) {
  console.error('usage: node start.js <import spec .json> [--dedicated]');
  process.exit(2);
}
const spec = parseImportSpec(JSON.parse(readFileSync(specFile, 'utf8')));

const connection = await Connection.connect(connectionOptions);
try {
  const client = new Client({ connection, namespace });
  const yours = client.workflow.start('userImport', {
    taskQueue: TASK_QUEUE,
    workflowId: `user-import-${randomUUID()}`,
    args: ['batch 1'],
  });
  const tributary = client.workflow.start(WORKFLOW_TYPES.import, {
    taskQueue: mode === '--dedicated' ? TRIBUTARY_TASK_QUEUE : TASK_QUEUE,
    workflowId: importWorkflowId(spec.id), // one run per import at a time
    args: [{ spec }], // one input object: { spec } (and optionally control: { rowsPerSecond })
  });
  const [yourHandle, importHandle] = await Promise.all([yours, tributary]);
  const [yourResult, run] = await Promise.all([yourHandle.result(), importHandle.result()]);
  console.log(JSON.stringify({ userImport: { workflowId: yourHandle.workflowId, result: yourResult } }));
  console.log(JSON.stringify({ tributaryImport: { workflowId: importHandle.workflowId, run } }));
} finally {
  await connection.close();
}
