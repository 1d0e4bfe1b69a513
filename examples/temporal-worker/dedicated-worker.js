// (a) Tributary on a worker of its own, on your connection: its own task queue, beside your worker.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { TributaryPlugin } from 'tributary';
import * as activities from './activities.js';
import { connectionOptions, namespace, TASK_QUEUE, TRIBUTARY_TASK_QUEUE } from './connection.js';

const connection = await NativeConnection.connect(connectionOptions);
const yours = await Worker.create({
  connection,
  namespace,
  taskQueue: TASK_QUEUE,
  workflowsPath: fileURLToPath(new URL('./workflows.js', import.meta.url)),
  activities,
});
const tributary = await Worker.create({
  connection,
  namespace,
  taskQueue: TRIBUTARY_TASK_QUEUE,
  plugins: [new TributaryPlugin()], // store: DATABASE_URL; sources: TRIBUTARY_CONNECTION_<NAME>
});
console.log(`worker: polling ${TASK_QUEUE} (your workflows) and ${TRIBUTARY_TASK_QUEUE} (Tributary's)`);
// Until Ctrl-C or SIGTERM, which stop both (each drains; the plugin then closes the store).
await Promise.all([yours.run(), tributary.run()]);
await connection.close();
