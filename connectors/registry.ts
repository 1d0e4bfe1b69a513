/**
 * The connectors, by kind, assembled once here: the run-path connectors a worker reads with (the
 * standalone worker and TributaryPlugin), and for the API also their discovery (test, catalogue, preview),
 * which each connector declares itself (SourceConnector.discovery). A new source kind registers here.
 */
import { createPostgresConnector } from './postgres/postgresSource';
import type { DiscoveryConnector, SourceConnector } from './source';
import { createWarehouseConnectors } from './warehouses';
import { createFileConnectors, type FileConnectorOptions } from './files/connectors';
import type { OperatorPolicy } from './common/operatorPolicy';

export interface SourceConnectors {
  connectors: Record<string, SourceConnector>;
  /** Closes every pool the connectors opened. */
  closeAll(): Promise<void>;
}

/** `policy`: the operator's bounds on sources (default: the environment's); `files`: the file connectors' options. */
export function createSourceConnectors(
  options: { policy?: OperatorPolicy; files?: FileConnectorOptions } = {},
): SourceConnectors & {
  warehouses: ReturnType<typeof createWarehouseConnectors>;
} {
  const postgres = createPostgresConnector({ policy: options.policy });
  const warehouses = createWarehouseConnectors(options.policy);
  return {
    connectors: {
      postgres,
      ...warehouses.connectors,
      ...createFileConnectors({ policy: options.policy, ...options.files }),
    },
    warehouses,
    closeAll: async () => {
      await Promise.all([postgres.closeAll(), warehouses.closeAll()]);
    },
  };
}

/**
 * The API's: the run-path connectors (columns, for checking a mapping) and the discovery of each kind that
 * has one; a kind whose connector declares none (the file kinds) is absent, so the API says it cannot open it.
 */
export function createApiConnectors(
  options: { policy?: OperatorPolicy; files?: FileConnectorOptions } = {},
): SourceConnectors & {
  discovery: Record<string, DiscoveryConnector>;
} {
  const { connectors, closeAll } = createSourceConnectors(options);
  const discovery: Record<string, DiscoveryConnector> = {};
  for (const c of Object.values(connectors)) if (c.discovery) discovery[c.kind] = c.discovery;
  return { connectors, discovery, closeAll };
}
