/**
 * The warehouse connectors a worker registers besides Postgres, keyed by the kinds connections.ts maps
 * URL schemes to. One place, so worker.ts needs one line to get them all and one to close them.
 * Each driver is loaded on first use: a worker that never reads Snowflake does not load its SDK (and the
 * AWS SDK under it), which keeps start-up time, memory and warnings down.
 */
import { ConfigurationError, type DiscoveryConnector, type SourceConnector } from './source';
import { type OperatorPolicy, operatorPolicyFromEnv } from './common/operatorPolicy';
import { loadOptional, type OptionalKind } from './common/optionalPackages';

type Closable = SourceConnector & { closeAll(): Promise<void> };

/** A driver's SDK is an optional package: a missing one fails the open naming it (optionalPackages.ts). */
function lazy(kind: OptionalKind, load: () => Promise<Closable>): Closable {
  let loaded: Promise<Closable> | undefined;
  const connector = (): Promise<Closable> => {
    loaded ??= loadOptional(kind, load).catch((err: unknown) => {
      // Not kept: nothing was opened, so nothing is to close, and the next open tries again.
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
  // The loaded connector's own discovery, reached as lazily as its sessions (every warehouse declares one).
  const discovery = async (): Promise<DiscoveryConnector> => {
    const loadedDiscovery = (await connector()).discovery;
    if (!loadedDiscovery) throw new ConfigurationError(`connections of kind "${kind}" cannot be explored`);
    return loadedDiscovery;
  };
  return {
    kind,
    open: async (config) => (await connector()).open(config),
    discovery: {
      kind,
      test: async (config) => (await discovery()).test(config),
      discover: async (config) => (await discovery()).discover(config),
      preview: async (config, relation, limit) => (await discovery()).preview(config, relation, limit),
    },
    closeAll: async () => {
      if (loaded) await (await loaded.catch(() => null))?.closeAll();
    },
  };
}

/** `policy`: the operator's bounds (superuser roles, statement time limit); the environment's by default. */
export function createWarehouseConnectors(policy: OperatorPolicy = operatorPolicyFromEnv()): {
  connectors: Record<string, SourceConnector>;
  closeAll(): Promise<void>;
} {
  const list = [
    lazy('mysql', async () => (await import('./mysql/mysqlSource')).createMysqlConnector(policy)),
    lazy('clickhouse', async () => (await import('./clickhouse/clickhouseSource')).createClickHouseConnector(policy)),
    lazy('snowflake', async () => (await import('./snowflake/snowflakeSource')).createSnowflakeConnector(policy)),
    lazy('bigquery', async () => (await import('./bigquery/bigquerySource')).createBigQueryConnector(policy)),
  ];
  return {
    connectors: Object.fromEntries(list.map((c) => [c.kind, c])),
    async closeAll() {
      await Promise.all(list.map((c) => c.closeAll()));
    },
  };
}
