/**
 * Postgres discovery (the catalogue of postgresCatalogue.ts), preview and counts, run through the session's
 * read-only transaction helper; SQL that embeds a custom query goes through the extended protocol (postgresSessionGuard.ts).
 */
import pg from 'pg';
import type { DiscoveredTable, PreviewResult, Relation, SourceColumn, SourceExplorer } from '../source';
import { fromClause, rawTypes } from './postgresSql';
import { listTables, serverVersion } from './postgresCatalogue';
import { extended } from './postgresSessionGuard';

type ReadOnly = <T>(fn: (client: pg.PoolClient) => Promise<T>, relation?: Relation) => Promise<T>;

export class PostgresExplorer implements SourceExplorer {
  constructor(
    private readonly readOnly: ReadOnly,
    private readonly columns: (relation: Relation) => Promise<SourceColumn[]>,
  ) {}

  test(): Promise<{ serverVersion: string }> {
    return this.readOnly(async (client) => ({ serverVersion: await serverVersion(client) }));
  }

  discover(): Promise<DiscoveredTable[]> {
    return this.readOnly(listTables);
  }

  async preview(relation: Relation, limit: number): Promise<PreviewResult> {
    const columns = await this.columns(relation);
    const rows = await this.readOnly(async (client) => {
      const r = await client.query(
        extended(`SELECT * FROM ${fromClause(relation)} LIMIT $1`, [limit], { rowMode: 'array', types: rawTypes }),
      );
      return r.rows as (string | null)[][];
    }, relation);
    return { columns, rows };
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
