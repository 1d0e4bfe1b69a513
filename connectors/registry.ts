/**
 * The connectors, by kind, assembled once here: the run-path connectors a worker reads with (the
 * standalone worker and TributaryPlugin), and for the API also the discovery connectors (test,
 * catalogue, preview). A new source kind registers here.
 */
import type { DiscoveryConnector } from './discovery';
import { createPostgresDiscovery } from './postgres/postgresDiscovery';
import { createPostgresConnector } from './postgres/postgresSource';
import type { SourceConnector } from './source';
import { explorerDiscovery } from './explorerDiscovery';
import { createWarehouseConnectors } from './warehouses';
import { createFileConnectors, type FileConnectorOptions } from './files/connectors';
import type { OperatorPolicy } from './common/operatorPolicy';

export interface SourceConnectors {
  connectors: Record<string, SourceConnector>;
  /** Closes every pool the connectors opened. */
  closeAll(): Promise<void>;
}

/** `policy`: the operator's bounds on sources (default: the environment's); `files`: the file connectors' options. */
export function createSourceConnectors(options: { policy?: OperatorPolicy; files?: FileConnectorOptions } = {}): SourceConnectors & {
  warehouses: ReturnType<typeof createWarehouseConnectors>;
} {
  const postgres = createPostgresConnector({ policy: options.policy });
  const warehouses = createWarehouseConnectors(options.policy);
  return {
    connectors: { postgres, ...warehouses.connectors, ...createFileConnectors({ policy: options.policy, ...options.files }) },
    warehouses,
    closeAll: async () => {
      await Promise.all([postgres.closeAll(), warehouses.closeAll()]);
    },
  };
}

/** The API's: the run-path connectors (columns, for checking a mapping) and the discovery connectors. */
export function createApiConnectors(options: { policy?: OperatorPolicy; files?: FileConnectorOptions } = {}): SourceConnectors & {
  discovery: Record<string, DiscoveryConnector>;
} {
  const { connectors, warehouses, closeAll } = createSourceConnectors(options);
  return {
    connectors,
    discovery: {
      postgres: createPostgresDiscovery({ policy: options.policy }),
      ...Object.fromEntries(Object.values(warehouses.connectors).map((c) => [c.kind, explorerDiscovery(c)])),
    },
    closeAll,
  };
}
