// Your connection to Temporal, read the way Temporal's own tools read it (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, or a profile of the Temporal config file).
import { loadClientConnectConfig } from '@temporalio/envconfig';

export const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();

/** Your workflows' task queue, and Tributary's when it runs on a worker of its own. */
export const TASK_QUEUE = process.env.TASK_QUEUE ?? 'my-app';
export const TRIBUTARY_TASK_QUEUE = process.env.TRIBUTARY_TASK_QUEUE ?? 'tributary-imports';
