/**
 * The API's discovery (test, catalogue, preview) for any connector whose sessions are explorable
 * (SourceExplorer): one adapter, so each connector implements discovery once, in its own folder, and
 * declares it as its `discovery` (source.ts).
 */
import {
  catalogueEntry,
  ConfigurationError,
  isExplorable,
  type DiscoveryConnector,
  type SourceConnector,
  type SourceExplorer,
  type SourceSession,
} from './source';

async function withExplorer<T>(
  connector: Pick<SourceConnector, 'kind' | 'open'>,
  config: Parameters<SourceConnector['open']>[0],
  fn: (s: SourceSession & SourceExplorer) => Promise<T>,
): Promise<T> {
  const session = await connector.open(config);
  try {
    if (!isExplorable(session))
      throw new ConfigurationError(`connections of kind "${connector.kind}" cannot be explored`);
    return await fn(session);
  } finally {
    await session.close();
  }
}

export function explorerDiscovery(connector: Pick<SourceConnector, 'kind' | 'open'>): DiscoveryConnector {
  return {
    kind: connector.kind,
    test: (config) =>
      withExplorer(connector, config, async (s) => {
        const { serverVersion, warnings } = await s.test();
        return { server: serverVersion, ...(warnings?.length ? { warnings } : {}) };
      }),
    discover: (config) => withExplorer(connector, config, async (s) => (await s.discover()).map(catalogueEntry)),
    preview: (config, relation, limit) =>
      withExplorer(connector, config, async (s) => {
        const p = await s.preview(relation, limit);
        return { columns: p.columns, rows: p.rows };
      }),
  };
}

/** A connector whose sessions implement SourceExplorer, declared so: its `discovery` explores through a session. */
export function explorable<C extends Omit<SourceConnector, 'discovery'>>(
  connector: C,
): NoInfer<C> & { discovery: DiscoveryConnector } {
  return Object.assign(connector, { discovery: explorerDiscovery(connector) });
}
