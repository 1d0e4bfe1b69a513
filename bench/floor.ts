/**
 * The raw floor: `COPY (SELECT …) TO STDOUT` out of the source piped straight into `COPY … FROM STDIN`
 * of a same-shaped plain table in the store database. No mapping, no merge, no indexes: the fastest
 * these rows can move between the two databases.
 */
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

export interface FloorResult {
  rows: number;
  seconds: number;
}

export async function measureFloor(sourceUrl: string, storeUrl: string, table: string): Promise<FloorResult> {
  const source = new pg.Client({ connectionString: sourceUrl, application_name: 'bench-floor' });
  const store = new pg.Client({ connectionString: storeUrl, application_name: 'bench-floor' });
  await source.connect();
  await store.connect();
  const target = `floor_${table}`;
  try {
    // The same columns and types as the source table, nothing else (no keys, no indexes).
    const cols = await source.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [table],
    );
    const columns = cols.rows.map((c) => pg.escapeIdentifier(c.name));
    await store.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(target)}`);
    await store.query(
      `CREATE TABLE ${pg.escapeIdentifier(target)} (${cols.rows.map((c) => `${pg.escapeIdentifier(c.name)} ${c.type}`).join(', ')})`,
    );
    const started = process.hrtime.bigint();
    const out = source.query(
      copyTo(`COPY (SELECT ${columns.join(', ')} FROM ${pg.escapeIdentifier(table)}) TO STDOUT`),
    );
    const into = store.query(copyFrom(`COPY ${pg.escapeIdentifier(target)} (${columns.join(', ')}) FROM STDIN`));
    await pipeline(out, into);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rows = Number(into.rowCount);
    await store.query(`DROP TABLE ${pg.escapeIdentifier(target)}`);
    return { rows, seconds };
  } finally {
    await source.end();
    await store.end();
  }
}
