/** A Temporal client configured from TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE. */
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from './searchAttributes';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

export const temporalSettings = (env: NodeJS.ProcessEnv = process.env): TemporalSettings => ({
  address: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  namespace: env.TEMPORAL_NAMESPACE ?? 'default',
});

export async function createClient(settings: TemporalSettings = temporalSettings()): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address });
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
