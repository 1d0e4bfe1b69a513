/**
 * The raw floor for ClickHouse → store: the table's rows as TabSeparated straight from ClickHouse's HTTP
 * interface into `COPY … FROM STDIN` of a same-shaped plain table in the store (ClickHouse's TSV escaping
 * and \N are COPY's text format). No mapping, no merge, no indexes: the fastest these rows can move.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export async function measureClickHouseFloor(
  httpPort: number,
  table: string,
  columns: { name: string; pgType: string; select: string }[],
  storeUrl: string,
): Promise<{ rows: number; seconds: number }> {
  const store = new pg.Client({ connectionString: storeUrl, application_name: 'bench-floor' });
  await store.connect();
  const target = pg.escapeIdentifier(`floor_${table}`);
  try {
    await store.query(`DROP TABLE IF EXISTS ${target}`);
    await store.query(
      `CREATE TABLE ${target} (${columns.map((c) => `${pg.escapeIdentifier(c.name)} ${c.pgType}`).join(', ')})`,
    );
    const started = process.hrtime.bigint();
    const query = `SELECT ${columns.map((c) => c.select).join(', ')} FROM ${table} FORMAT TabSeparated`;
    const res = await fetch(`http://127.0.0.1:${httpPort}/`, { method: 'POST', body: query });
    if (!res.ok || !res.body) throw new Error(`clickhouse: ${res.status} ${await res.text()}`);
    const into = store.query(copyFrom(`COPY ${target} FROM STDIN`));
    await pipeline(Readable.fromWeb(res.body), into);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rows = Number(into.rowCount);
    await store.query(`DROP TABLE ${target}`);
    return { rows, seconds };
  } finally {
    await store.end();
  }
}
