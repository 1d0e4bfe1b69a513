/** A Temporal client configured as Temporal's own tools are (temporal/connection.ts). */
import { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from './searchAttributes';
import { connectClient, type TemporalConnectSettings, temporalConnectSettings } from './connection';

export type TemporalSettings = TemporalConnectSettings;

export const temporalSettings = (env: NodeJS.ProcessEnv = process.env): TemporalSettings => temporalConnectSettings(env);

export async function createClient(settings: TemporalSettings = temporalSettings()): Promise<Client> {
  const connection = await connectClient(settings);
  return new Client({ connection, namespace: settings.namespace });
}

/**
 * Register the project's search attributes on a server that lacks them (a production cluster, or the
 * docker-compose one). The dev server gets them on its command line.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.values(SEARCH_ATTRIBUTES).filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    // 2 = INDEXED_VALUE_TYPE_KEYWORD
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, 2])),
  });
}
