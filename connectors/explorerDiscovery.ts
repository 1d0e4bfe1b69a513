/**
 * The API's discovery (test, catalogue, preview) for any connector whose sessions are explorable
 * (SourceExplorer): one adapter, so each warehouse connector implements discovery once, in its own folder.
 */
import type { DiscoveryConnector } from './discovery';
import { ConfigurationError, isExplorable, type SourceConnector, type SourceExplorer, type SourceSession } from './source';

async function withExplorer<T>(connector: SourceConnector, config: Parameters<SourceConnector['open']>[0],
  fn: (s: SourceSession & SourceExplorer) => Promise<T>): Promise<T> {
  const session = await connector.open(config);
  try {
    if (!isExplorable(session)) throw new ConfigurationError(`connections of kind "${connector.kind}" cannot be explored`);
    return await fn(session);
  } finally {
    await session.close();
  }
}

export function explorerDiscovery(connector: SourceConnector): DiscoveryConnector {
  return {
    kind: connector.kind,
    test: (config) => withExplorer(connector, config, async (s) => {
      const { serverVersion, warnings } = await s.test();
      return { server: serverVersion, ...(warnings?.length ? { warnings } : {}) };
    }),
    discover: (config) =>
      withExplorer(connector, config, async (s) =>
        (await s.discover()).map((t) => {
          // `table` is what a spec names (qualified as the source needs it): split off its last part.
          const dot = t.table.lastIndexOf('.');
          return {
            schema: dot < 0 ? '' : t.table.slice(0, dot),
            name: dot < 0 ? t.table : t.table.slice(dot + 1),
            kind: t.kind,
            columns: t.columns.map((c) => ({ ...c, nullable: true })),
          };
        }),
      ),
    preview: (config, relation, limit) =>
      withExplorer(connector, config, async (s) => {
        const p = await s.preview(relation, limit);
        return { columns: p.columns, rows: p.rows };
      }),
  };
}
