/**
 * The connectors the API knows, by kind: the run-path connector (columns, for checking a mapping) and the
 * discovery connector (test, catalogue, preview). A new source kind registers both here.
 */
import type { DiscoveryConnector } from './discovery';
import { createPostgresDiscovery } from './postgres/postgresDiscovery';
import { createPostgresConnector } from './postgres/postgresSource';
import type { SourceConnector } from './source';
import { explorerDiscovery } from './explorerDiscovery';
import { createWarehouseConnectors } from './warehouses';
import { createFileConnectors, type FileConnectorOptions } from './files/connectors';
import type { OperatorPolicy } from './common/operatorPolicy';

/** `policy`: the operator's bounds on sources (default: the environment's); `files`: the file connectors' options. */
export function createApiConnectors(options: { policy?: OperatorPolicy; files?: FileConnectorOptions } = {}): {
  connectors: Record<string, SourceConnector>;
  discovery: Record<string, DiscoveryConnector>;
  closeAll(): Promise<void>;
} {
  const postgres = createPostgresConnector({ policy: options.policy });
  const warehouses = createWarehouseConnectors(options.policy);
  return {
    connectors: { postgres, ...warehouses.connectors, ...createFileConnectors({ policy: options.policy, ...options.files }) },
    discovery: {
      postgres: createPostgresDiscovery({ policy: options.policy }),
      ...Object.fromEntries(Object.values(warehouses.connectors).map((c) => [c.kind, explorerDiscovery(c)])),
    },
    closeAll: async () => {
      await Promise.all([postgres.closeAll(), warehouses.closeAll()]);
    },
  };
}
