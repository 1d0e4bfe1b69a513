/**
 * Crash mid-file: the worker process is killed with SIGKILL at random moments while it imports a
 * 500,000-row CSV (with quoted fields holding newlines, commas, quotes and multi-byte characters), and is
 * started again each time. The position in the file is committed with the rows, so at the end the store
 * holds every row exactly once: count and checksum against the rows the file was written from.
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../../activities';
import { count, createHarness, type Harness, uniqueId } from '../helpers/harness';
import { killRepeatedly } from '../helpers/killLoop';
import { spawnWorker, type WorkerProcess, workerEnv } from '../helpers/workerProcess';
import { tempDir } from './readFile';

const ROWS = 500_000;
const KILLS = 5;

let h: Harness;
let worker: WorkerProcess | null = null;
beforeAll(async () => {
  h = await createHarness('filecrash', { inProcessWorker: false });
});
afterAll(async () => {
  await worker?.kill();
  await h?.close();
});

const ROWS_SQL = `SELECT g AS id, 'user-' || (g % 50000) AS user_id, (ARRAY['view','click','buy','refund'])[1 + g % 4] AS kind,
    to_char((timestamptz '2026-01-01' + g * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at,
    'sku-' || md5(g::text) AS sku, (g % 7) AS qty,
    CASE WHEN g % 997 = 0 THEN E'line one, "quoted"\\nline two ✓ ' || g ELSE 'ünï ' || g END AS note
  FROM generate_series(1, ${ROWS}) g`;
const SOURCE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT user_id || '|' || kind || '|' || at || '|' || jsonb_build_object('sku', sku, 'qty', qty, 'note', note)::text AS line FROM (${ROWS_SQL}) s) t`;
const STORE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT id_value || '|' || event_type || '|' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '|' ||
         properties::text AS line FROM events WHERE import_id = $1) t`;

it(`survives ${KILLS} SIGKILLs of the worker in the middle of a ${ROWS.toLocaleString('en')}-row CSV, loading every row exactly once`, async () => {
  const dir = await tempDir();
  // Postgres writes the CSV (RFC 4180 quoting of the multi-line notes), from the same rows the checksum is over.
  const client = await h.source.connect();
  try {
    await pipeline(
      client.query(copyTo(`COPY (${ROWS_SQL}) TO STDOUT WITH (FORMAT csv, HEADER true)`)),
      createWriteStream(path.join(dir, 'events.csv')),
    );
  } finally {
    client.release();
  }
  const expected = (await h.source.query(SOURCE_CHECKSUM)).rows[0];
  expect(expected.n).toBe(ROWS);

  const env = workerEnv(h, {
    TRIBUTARY_CONNECTION_FILES: pathToFileURL(dir).toString(),
  });
  const spec = {
    id: uniqueId('filecrash'),
    name: 'file crash test',
    dataType: 'activity' as const,
    source: { connection: 'files', file: { path: 'events.csv', format: 'csv' as const } },
    cursor: { column: '_line', key: '_source' },
    batchSize: 2000,
    mapping: {
      userId: { column: 'user_id' },
      eventType: { column: 'kind' },
      timestamp: { column: 'at' },
      properties: [{ column: 'sku' }, { column: 'qty', type: 'number' as const }, { column: 'note' }],
    },
  };

  worker = await spawnWorker(env);
  const handle = await h.startImport(spec);
  const result = handle.result() as Promise<RunRecord>;
  let finished = false;
  void result.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );

  const committedRows = () =>
    count(h.store, 'SELECT coalesce(sum(rows_read), 0) FROM runs WHERE import_id = $1', [spec.id]);
  const killedAt = await killRepeatedly({
    worker,
    env,
    kills: KILLS,
    committedRows,
    finished: () => finished,
    onRestart: (w) => {
      worker = w;
    },
  });
  expect(killedAt.length, `the import finished after only ${killedAt.length} kills; slow it down`).toBe(KILLS);
  expect(killedAt.every((r) => r > 0 && r < ROWS)).toBe(true);

  const run = await result;
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS, duplicates: 0, rejected: 0 });
  const got = (await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0];
  expect(got).toEqual(expected);
  const pos = await h.store.query(
    "SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = ''",
    [spec.id],
  );
  // The last record starts on the file's last line: the 500,000 records plus the header and one extra
  // line for each multi-line note.
  expect(Number(pos.rows[0].cursor_value)).toBe(ROWS + 1 + Math.floor(ROWS / 997));
}, 900_000);
