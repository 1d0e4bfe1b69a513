/**
 * `npm run api`: the HTTP API on its own. Configuration from the environment:
 *   TRIBUTARY_API_HOST (127.0.0.1), TRIBUTARY_API_PORT (8080), TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 *   TRIBUTARY_TASK_QUEUE, DATABASE_URL (else the embedded store), TRIBUTARY_SECRET_KEY (seals stored
 *   connections; the worker needs the same key), TRIBUTARY_PURGE_RETENTION (30d: how long a deleted
 *   import's data is kept), TRIBUTARY_API_RATE_LIMIT (600 requests per minute per key),
 *   TRIBUTARY_API_PROTECT_DOCS=1 (make /docs and /openapi.json need a read key too).
 * The one-command bring-up (`npm run up`) starts it beside the worker through startApi().
 */
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { envConnections } from '../connectors/connections';
import { createApiConnectors } from '../connectors/registry';
import { secretKeyFrom } from '../connectors/secrets';
import { composeResolvers, storedConnections } from '../connectors/storedConnections';
import { openStore } from '../connectors/store/store';
import { createClient, temporalSettings } from '../temporal/client';
import { IMPORT_TASK_QUEUE } from '../temporal/taskQueues';
import { type App, buildApp } from './app';
import type { ApiOptions } from './deps';
import { parseDuration } from './durations';
import { DEFAULT_DEADLINES, type TemporalDeadlines } from './temporalDeadline';

export interface StartApiOptions extends ApiOptions {
  store: pg.Pool;
  temporal: Client;
  taskQueue?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  secretKey?: Buffer | null;
  defaultRetentionMs?: number;
  /** How long views and lifecycle actions wait for Temporal; tests shorten them. */
  deadlines?: Partial<TemporalDeadlines>;
}

export interface RunningApi {
  app: App;
  url: string;
  close(): Promise<void>;
}

export async function startApi(options: StartApiOptions): Promise<RunningApi> {
  const secretKey = options.secretKey === undefined ? secretKeyFrom() : options.secretKey;
  const parts = createApiConnectors({ policy: options.policy });
  const app = await buildApp(
    {
      store: options.store,
      temporal: options.temporal,
      taskQueue: options.taskQueue ?? IMPORT_TASK_QUEUE,
      secretKey,
      resolveConnection: composeResolvers(storedConnections(options.store, secretKey), envConnections()),
      connectors: parts.connectors,
      discovery: parts.discovery,
      defaultRetentionMs: options.defaultRetentionMs ?? parseDuration(process.env.TRIBUTARY_PURGE_RETENTION ?? '30d'),
      deadlines: { ...DEFAULT_DEADLINES, ...options.deadlines },
    },
    options,
  );
  const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  return {
    app,
    url,
    close: async () => {
      await app.close();
      await parts.closeAll();
    },
  };
}

async function main(): Promise<void> {
  const opened = await openStore({ log: (m) => console.log(m) });
  const temporal = await createClient(temporalSettings());
  const limit = Number(process.env.TRIBUTARY_API_RATE_LIMIT ?? 600);
  const api = await startApi({
    store: opened.pool,
    temporal,
    host: process.env.TRIBUTARY_API_HOST ?? '127.0.0.1',
    port: Number(process.env.TRIBUTARY_API_PORT ?? 8080),
    rateLimit: limit > 0 ? { max: limit, timeWindow: '1 minute' } : false,
    protectDocs: process.env.TRIBUTARY_API_PROTECT_DOCS === '1',
  });
  console.log(`api: listening on ${api.url} (docs at ${api.url}/docs)`);
  const stop = async () => {
    await api.close();
    await temporal.connection.close();
    await opened.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
