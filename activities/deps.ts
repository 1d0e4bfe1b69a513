/** What activities are built from: the store's pool and a way to open a source by connection name. */
import type pg from 'pg';
import type { ConnectionResolver, SourceConnector, SourceSession } from '../connectors/source';
import { ConfigurationError } from '../connectors/source';
import type { KnownUsers } from './knownUsers';
import { watchCustomQueries } from './ownTermination';

export interface ActivityDeps {
  store: pg.Pool;
  resolveConnection: ConnectionResolver;
  connectors: Record<string, SourceConnector>;
  /** Identifiers the store is known to hold, shared by the worker's batches (default: one per activity set). */
  knownUsers?: KnownUsers;
  /** Opens webhook secrets; defaults to TRIBUTARY_SECRET_KEY from the environment. */
  secretKey?: Buffer | null;
}

export async function openSource(deps: ActivityDeps, connection: string): Promise<{ session: SourceSession; kind: string }> {
  const config = await deps.resolveConnection(connection);
  const connector = deps.connectors[config.kind];
  if (!connector) {
    throw new ConfigurationError(
      `connection "${connection}" is of kind "${config.kind}", which this worker has no connector for (has: ${Object.keys(deps.connectors).join(', ')})`,
    );
  }
  return { session: watchCustomQueries(await connector.open(config)), kind: config.kind };
}
