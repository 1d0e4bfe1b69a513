/**
 * A Postgres preview, written once: the first rows of a table or custom query, every value as the server's
 * text, and the columns with their type names as the catalogue names them. The session's explorer
 * (postgresExplorer.ts) and the API's discovery (postgresDiscovery.ts) both preview through it, each on its
 * own client in a read-only transaction under a statement timeout; the custom query goes through the
 * source's FROM clause (its guard) and the extended protocol, so it runs as exactly one statement.
 */
import type pg from 'pg';
import type { PreviewResult, Relation, SourceColumn } from '../source';
import { columnOf, fromClause, rawTypes } from './postgresSql';
import { extended } from './postgresSessionGuard';

export async function previewRows(client: pg.ClientBase, relation: Relation, limit: number): Promise<PreviewResult> {
  const res = await client.query(
    extended(`SELECT * FROM ${fromClause(relation)} LIMIT $1`, [limit], { rowMode: 'array', types: rawTypes }),
  );
  return { columns: await resultColumns(client, res.fields), rows: res.rows as (string | null)[][] };
}

/** A result's columns, each with its type's name (format_type, as the catalogue lists it). */
export async function resultColumns(client: pg.ClientBase, fields: pg.FieldDef[]): Promise<SourceColumn[]> {
  const oids = [...new Set(fields.map((f) => f.dataTypeID))];
  const names = await client.query<{ oid: number | string; name: string }>({
    text: 'SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::oid[])',
    values: [oids],
  });
  const byOid = new Map(names.rows.map((r) => [Number(r.oid), String(r.name)]));
  return fields.map((f) => columnOf(f.name, byOid.get(f.dataTypeID) ?? `oid ${f.dataTypeID}`));
}
