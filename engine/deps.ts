/** What activities are built from: the store's pool and a way to open a source by connection name. */
import type pg from 'pg';
import type { OperatorPolicy } from '../connectors/common/operatorPolicy';
import type { ConnectionResolver, SourceConnector, SourceSession } from '../connectors/source';
import { ConfigurationError } from '../connectors/source';
import type { KnownUsers } from './knownUsers';
import { openScrubbed } from '../connectors/common/secretScrub';
import { watchCustomQueries } from './ownTermination';
import { namedForConnection } from '../connectors/common/optionalPackages';

export interface ActivityDeps {
  store: pg.Pool;
  resolveConnection: ConnectionResolver;
  connectors: Record<string, SourceConnector>;
  /** Identifiers the store is known to hold, shared by the worker's batches (default: one per activity set). */
  knownUsers?: KnownUsers;
  /** Opens webhook secrets; defaults to TRIBUTARY_SECRET_KEY from the environment. */
  secretKey?: Buffer | null;
  /** What sources may reach (drop folders list through it); default: the operator's, from the environment. */
  policy?: OperatorPolicy;
}

export async function openSource(
  deps: ActivityDeps,
  connection: string,
): Promise<{ session: SourceSession; kind: string }> {
  const config = await deps.resolveConnection(connection);
  const connector = deps.connectors[config.kind];
  if (!connector) {
    throw new ConfigurationError(
      `connection "${connection}" is of kind "${config.kind}", which this worker has no connector for (has: ${Object.keys(deps.connectors).join(', ')})`,
    );
  }
  // Every error of the session, from the connect on, is scrubbed of the connection's secrets here, once for
  // all connectors: it then travels to the worker's log, the run record and Temporal's history clean. A
  // custom query's terminated connection is told apart (ownTermination.ts).
  let session: SourceSession;
  try {
    session = await openScrubbed(connector, config);
  } catch (err) {
    // A driver's missing SDK: the operator is told which connection needs which package.
    throw namedForConnection(err, connection);
  }
  return { session: watchCustomQueries(session), kind: config.kind };
}
