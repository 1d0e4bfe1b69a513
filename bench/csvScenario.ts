/**
 * The CSV scenario: the events scenario's rows written to a CSV file (by Postgres, RFC 4180 quoting),
 * imported from that file through a `file://` connection. Its floor is the fastest way the same file
 * reaches the store: piped into `COPY … FROM STDIN (FORMAT csv)` of a plain table (no mapping, no merge,
 * no indexes). Memory must not grow with the file: the worker streams it (compare --rows 1000000 with
 * --rows 10000000).
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { FloorResult } from './floor';
import { eventsScenario, type Scenario } from './scenarios';

const FILE = 'bench_events.csv';
const COLUMNS = 'id, user_id, event_type, occurred_at, updated_at, page_url, amount, is_mobile, session_id, context';

export const csvScenario: Scenario = {
  ...eventsScenario,
  name: 'csv',
  spec(importId, batchSize) {
    const events = eventsScenario.spec(importId, batchSize);
    return {
      ...events,
      name: 'bench csv events',
      source: { connection: 'files', file: { path: FILE, format: 'csv' } },
      cursor: { column: '_line', key: '_source', lag: 0 },
    };
  },
  files: {
    async write(sourceUrl, dir, log) {
      const client = new pg.Client({ connectionString: sourceUrl });
      await client.connect();
      try {
        await pipeline(
          client.query(
            copyTo(`COPY (SELECT ${COLUMNS} FROM bench_events ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)`),
          ),
          createWriteStream(path.join(dir, FILE)),
        );
      } finally {
        await client.end();
      }
      log(`wrote ${path.join(dir, FILE)}: ${(statSync(path.join(dir, FILE)).size / 1024 / 1024).toFixed(0)} MB`);
    },
    async floor(sourceUrl, storeUrl, dir): Promise<FloorResult> {
      const source = new pg.Client({ connectionString: sourceUrl });
      const store = new pg.Client({ connectionString: storeUrl });
      await source.connect();
      await store.connect();
      try {
        const cols = await source.query<{ name: string; type: string }>(
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
           FROM pg_attribute a WHERE a.attrelid = 'bench_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        );
        await store.query('DROP TABLE IF EXISTS floor_csv');
        await store.query(
          `CREATE TABLE floor_csv (${cols.rows.map((c) => `${pg.escapeIdentifier(c.name)} ${c.type}`).join(', ')})`,
        );
        const started = process.hrtime.bigint();
        const into = store.query(copyFrom(`COPY floor_csv (${COLUMNS}) FROM STDIN WITH (FORMAT csv, HEADER true)`));
        await pipeline(createReadStream(path.join(dir, FILE), { highWaterMark: 256 * 1024 }), into);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const rows = Number(into.rowCount);
        await store.query('DROP TABLE floor_csv');
        return { rows, seconds };
      } finally {
        await source.end();
        await store.end();
      }
    },
    // The worker reads local files only under its file roots: the bench's folder is one.
    connections: (dir) => ({ TRIBUTARY_CONNECTION_FILES: pathToFileURL(dir).toString(), TRIBUTARY_FILE_ROOTS: dir }),
  },
};
