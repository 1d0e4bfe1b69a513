/**
 * Postgres discovery, preview and counts, run through the session's read-only transaction helper; SQL that
 * embeds a custom query goes through the extended protocol (postgresSessionGuard.ts).
 */
import pg from 'pg';
import type { DiscoveredTable, PreviewResult, Relation, SourceColumn, SourceExplorer } from '../source';
import { columnOf, fromClause, rawTypes } from './postgresSql';
import { extended } from './postgresSessionGuard';

type ReadOnly = <T>(fn: (client: pg.PoolClient) => Promise<T>, relation?: Relation) => Promise<T>;

export class PostgresExplorer implements SourceExplorer {
  constructor(
    private readonly readOnly: ReadOnly,
    private readonly columns: (relation: Relation) => Promise<SourceColumn[]>,
  ) {}

  test(): Promise<{ serverVersion: string }> {
    return this.readOnly(async (client) => {
      const r = await client.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
      return { serverVersion: r.rows[0]!.v };
    });
  }

  /** Every table, view and materialised view the connection's user may SELECT from, outside the system schemas. */
  discover(): Promise<DiscoveredTable[]> {
    return this.readOnly(async (client) => {
      const r = await client.query<{ schema: string; rel: string; kind: string; col: string; type: string }>(
        `SELECT n.nspname AS schema, c.relname AS rel, c.relkind::text AS kind, a.attname AS col, format_type(a.atttypid, NULL) AS type
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_%' AND has_table_privilege(c.oid, 'SELECT')
         ORDER BY 1, 2, a.attnum`);
      const tables = new Map<string, DiscoveredTable>();
      for (const row of r.rows) {
        const name = row.schema === 'public' ? row.rel : `${row.schema}.${row.rel}`;
        let t = tables.get(name);
        if (!t) tables.set(name, (t = { table: name, kind: row.kind === 'v' || row.kind === 'm' ? 'view' : 'table', columns: [] }));
        t.columns.push(columnOf(row.col, row.type));
      }
      return [...tables.values()];
    });
  }

  async preview(relation: Relation, limit: number): Promise<PreviewResult> {
    const columns = await this.columns(relation);
    const rows = await this.readOnly(async (client) => {
      const r = await client.query(extended(`SELECT * FROM ${fromClause(relation)} LIMIT $1`, [limit], { rowMode: 'array', types: rawTypes }));
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
      const r = await client.query<{ n: string }>(extended(`SELECT count(*)::text AS n FROM ${fromClause(relation)}${where}`, range ? [range.upperBound] : []));
      return Number(r.rows[0]?.n ?? 0);
    }, relation);
  }
}
