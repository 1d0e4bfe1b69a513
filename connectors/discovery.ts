/**
 * What the API asks of a source beyond what a run needs: a connectivity test, the catalogue of schemas,
 * tables and columns with their types, and a preview of the first rows of a table or a SELECT. Kept apart
 * from the Source interface so connectors can add it without touching the run path.
 */
import type { ConnectionConfig, Relation, SourceColumn } from './source';

export interface DiscoveredTable {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  columns: (SourceColumn & { nullable: boolean })[];
}

export interface Preview {
  columns: SourceColumn[];
  rows: (string | null)[][];
}

export interface DiscoveryConnector {
  kind: string;
  /**
   * Connect and run a trivial query; resolves to a short description of the server, and what the operator
   * should know about the connection (e.g. its role can write to tables it can read).
   */
  test(config: ConnectionConfig): Promise<{ server: string; warnings?: string[] }>;
  discover(config: ConnectionConfig): Promise<DiscoveredTable[]>;
  /** The first `limit` rows, every value as the source's own text, read-only. */
  preview(config: ConnectionConfig, relation: Relation, limit: number): Promise<Preview>;
}
