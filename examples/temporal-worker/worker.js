// (b) Tributary joins your existing worker: your workflows and activities stay, Tributary's come beside
// them under their `tributary…` names. Imports then start on your task queue.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { TributaryPlugin } from 'tributary';
import * as activities from './activities.js';
import { connectionOptions, namespace, TASK_QUEUE } from './connection.js';

const connection = await NativeConnection.connect(connectionOptions);
const worker = await Worker.create({
  connection,
  namespace,
  taskQueue: TASK_QUEUE,
  workflowsPath: fileURLToPath(new URL('./workflows.js', import.meta.url)), // your workflows
  activities, // your activities
  plugins: [new TributaryPlugin()], // store: DATABASE_URL; sources: TRIBUTARY_CONNECTION_<NAME>
});
console.log(`worker: polling ${TASK_QUEUE} (your workflows and Tributary's)`);
await worker.run(); // until Ctrl-C or SIGTERM
await connection.close();
