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
import { openStore } from '../store/store';
import { createClient, temporalSettings } from '../temporal/client';
import { type App, type AppOptions, buildApp } from './app';
import { apiSettingsFromEnv } from './apiSettings';

export interface StartApiOptions extends AppOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface RunningApi {
  app: App;
  url: string;
  close(): Promise<void>;
}

export async function startApi(options: StartApiOptions): Promise<RunningApi> {
  const { host, port, ...rest } = options;
  const app = await buildApp(rest);
  const url = await app.listen({ host: host ?? '127.0.0.1', port: port ?? 8080 });
  // Closing the app closes the plugin's source connectors too (its onClose hook).
  return { app, url, close: () => app.close() };
}

async function main(): Promise<void> {
  // Settings first: a typo in one stops the process before anything opens.
  const settings = apiSettingsFromEnv();
  const opened = await openStore({ log: (m) => console.log(m) });
  const temporal = await createClient(temporalSettings());
  const api = await startApi({ store: opened.pool, temporal, ...settings });
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
