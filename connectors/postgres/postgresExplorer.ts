/**
 * Postgres discovery (the catalogue of postgresCatalogue.ts, the preview of postgresPreview.ts) and counts,
 * run through the session's read-only transaction helper; SQL that embeds a custom query goes through the
 * extended protocol (postgresSessionGuard.ts).
 */
import pg from 'pg';
import type { DiscoveredTable, PreviewResult, Relation, SourceExplorer } from '../source';
import { fromClause } from './postgresSql';
import { listTables, serverVersion } from './postgresCatalogue';
import { previewRows } from './postgresPreview';
import { extended } from './postgresSessionGuard';

type ReadOnly = <T>(fn: (client: pg.PoolClient) => Promise<T>, relation?: Relation) => Promise<T>;

export class PostgresExplorer implements SourceExplorer {
  constructor(private readonly readOnly: ReadOnly) {}

  test(): Promise<{ serverVersion: string }> {
    return this.readOnly(async (client) => ({ serverVersion: await serverVersion(client) }));
  }

  discover(): Promise<DiscoveredTable[]> {
    return this.readOnly(listTables);
  }

  preview(relation: Relation, limit: number): Promise<PreviewResult> {
    return this.readOnly((client) => previewRows(client, relation, limit), relation);
  }

  count(relation: Relation, range?: { cursor: string; key: string; upperBound: string }): Promise<number> {
    return this.readOnly(async (client) => {
      const where = range
        ? ` WHERE src.${pg.escapeIdentifier(range.cursor)} IS NOT NULL AND src.${pg.escapeIdentifier(range.key)} IS NOT NULL
            AND src.${pg.escapeIdentifier(range.cursor)} <= $1`
        : '';
      const r = await client.query<{ n: string }>(
        extended(`SELECT count(*)::text AS n FROM ${fromClause(relation)}${where}`, range ? [range.upperBound] : []),
      );
      return Number(r.rows[0]?.n ?? 0);
    }, relation);
  }
}
