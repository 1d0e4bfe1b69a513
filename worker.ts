/**
 * The worker: wires the real dependencies (store, connectors, connection resolver) into
 * createActivities and runs the import workflows. Configuration from the environment:
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TRIBUTARY_TASK_QUEUE, DATABASE_URL (else embedded Postgres),
 *   TRIBUTARY_CONNECTION_<NAME>=<url> for each source connection.
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { createActivities } from './activities';
import type { ActivityDeps } from './activities';
import { envConnections } from './connectors/connections';
import { createPostgresConnector } from './connectors/postgres/postgresSource';
import { createWarehouseConnectors } from './connectors/warehouses';
import { openStore } from './connectors/store/store';
import { IMPORT_TASK_QUEUE } from './temporal/taskQueues';
import { temporalSettings } from './temporal/client';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  store: pg.Pool;
  resolveConnection: ActivityDeps['resolveConnection'];
  maxConcurrentActivityTaskExecutions?: number;
}

/** Build a worker from explicit parts (tests hand in theirs). */
export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }> {
  const postgres = createPostgresConnector();
  const warehouses = createWarehouseConnectors();
  const activities = createActivities({
    store: options.store,
    resolveConnection: options.resolveConnection,
    connectors: { postgres, ...warehouses.connectors },
  });
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 8,
  });
  return {
    worker,
    close: async () => {
      await postgres.closeAll();
      await warehouses.closeAll();
      await connection.close();
    },
  };
}

async function main(): Promise<void> {
  const settings = temporalSettings();
  // DATABASE_URL, or the embedded default under .data/ (migrations applied either way).
  const opened = await openStore({ log: (m) => console.log(m) });
  const store = opened.pool;
  const { worker, close } = await createWorker({
    temporalAddress: settings.address,
    namespace: settings.namespace,
    taskQueue: IMPORT_TASK_QUEUE,
    store,
    resolveConnection: envConnections(),
  });
  console.log(`worker: polling task queue ${IMPORT_TASK_QUEUE} on ${settings.address} (namespace ${settings.namespace})`);
  try {
    await worker.run();
  } finally {
    await close();
    await opened.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
