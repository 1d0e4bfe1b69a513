/**
 * Run under hide.mjs: a real worker (the same createWorker as `tributary worker`) on the test's Temporal
 * server and store, whose connection "wh" is a Snowflake account. It polls until the parent sends SIGTERM.
 * Env: TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE.
 */
import { staticConnections } from '../../../connectors/connections';
import { createPool } from '../../../store/store';
import { createWorker } from '../../../worker';
import { testPolicy } from '../testPolicy';

const store = createPool(process.env.DATABASE_URL!, 2);
const { worker, close } = await createWorker({
  temporalAddress: process.env.TEMPORAL_ADDRESS!,
  namespace: 'default',
  taskQueue: process.env.TASK_QUEUE!,
  store,
  resolveConnection: staticConnections({ wh: 'snowflake://reader:s3cret-sf@acct/db/public?warehouse=wh' }),
  policy: testPolicy(),
});
process.once('SIGTERM', () => worker.shutdown());
console.log('worker: polling');
await worker.run();
await close();
await store.end();
