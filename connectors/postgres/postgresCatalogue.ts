/**
 * Postgres's catalogue, written once: the server's version and every table, view and materialised view the
 * connection's role may SELECT from, outside the system schemas, with its columns. The session's explorer
 * (postgresExplorer.ts) and the API's discovery (postgresDiscovery.ts) both list through it, each on its own
 * client in a read-only transaction.
 */
import type pg from 'pg';
import type { DiscoveredTable } from '../source';
import { columnOf } from './postgresSql';

export async function serverVersion(client: pg.ClientBase): Promise<string> {
  const r = await client.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
  return r.rows[0]!.v;
}

/**
 * `table` is what a spec names: the bare name in `public` (the search path's schema), else schema.name;
 * `schema` and `name` are kept apart, since `public` is not in `table`.
 */
export async function listTables(client: pg.ClientBase): Promise<DiscoveredTable[]> {
  const r = await client.query<{
    schema: string;
    rel: string;
    kind: string;
    col: string;
    type: string;
    nullable: boolean | string;
  }>(
    `SELECT n.nspname AS schema, c.relname AS rel, c.relkind::text AS kind, a.attname AS col,
            format_type(a.atttypid, NULL) AS type, NOT a.attnotnull AS nullable
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_%' AND has_table_privilege(c.oid, 'SELECT')
     ORDER BY n.nspname, c.relname, a.attnum`,
  );
  const tables = new Map<string, DiscoveredTable>();
  for (const row of r.rows) {
    const table = row.schema === 'public' ? row.rel : `${row.schema}.${row.rel}`;
    const key = `${row.schema}.${row.rel}`;
    let t = tables.get(key);
    if (!t) {
      t = {
        table,
        schema: row.schema,
        name: row.rel,
        kind: row.kind === 'v' || row.kind === 'm' ? 'view' : 'table',
        columns: [],
      };
      tables.set(key, t);
    }
    // Clients that keep every value as text (the session's pool) read a boolean as 't' or 'f'.
    t.columns.push({ ...columnOf(row.col, row.type), nullable: row.nullable === true || row.nullable === 't' });
  }
  return [...tables.values()];
}
