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

export function createApiConnectors(files: FileConnectorOptions = {}): {
  connectors: Record<string, SourceConnector>;
  discovery: Record<string, DiscoveryConnector>;
  closeAll(): Promise<void>;
} {
  const postgres = createPostgresConnector();
  const warehouses = createWarehouseConnectors();
  return {
    connectors: { postgres, ...warehouses.connectors, ...createFileConnectors(files) },
    discovery: {
      postgres: createPostgresDiscovery(),
      ...Object.fromEntries(Object.values(warehouses.connectors).map((c) => [c.kind, explorerDiscovery(c)])),
    },
    closeAll: async () => {
      await Promise.all([postgres.closeAll(), warehouses.closeAll()]);
    },
  };
}
