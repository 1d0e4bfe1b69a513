/** Shared pieces of the backfill tests: an event source with many cursor ties, checksums, and waits. */
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { type ImportSpec, parseImportSpec } from '../../domain/importSpec';
import { startBackfill } from '../../api/backfills';
import type { BackfillInput } from '../../workflows/backfillDefinitions';

import { waitFor as waitForReading } from './wait';

export { sleep } from './wait';

/**
 * `rows` events, one second apart in `at`, 100 rows per second of the cursor `updated_at` (so partition
 * boundaries and batches fall inside ties), starting 2023-01-01.
 */
export async function createEventSource(source: pg.Pool, rows: number, table = 'events_src'): Promise<void> {
  // Users are named after the table: event dedup is per user across imports, so tables must not share events.
  await source.query(`CREATE TABLE ${table} AS
    SELECT g AS id, '${table}-user-' || (g % 50000) AS user_id, (ARRAY['view','click','buy','refund'])[1 + g % 4] AS kind,
           timestamptz '2023-01-01' + g * interval '1 second' AS at,
           'sku-' || (g % 1000) AS sku, (g % 7) AS qty,
           timestamptz '2023-01-01' + (g / 100) * interval '1 second' AS updated_at
    FROM generate_series(1, ${rows}) g`);
  await source.query(`ALTER TABLE ${table} ADD PRIMARY KEY (id)`);
  await source.query(`CREATE INDEX ON ${table} (updated_at, id)`);
}

export const eventSpec = (id: string, table = 'events_src', batchSize = 5000) =>
  parseImportSpec({
    id,
    name: `events ${id}`,
    dataType: 'activity',
    source: { connection: 'warehouse', table },
    cursor: { column: 'updated_at', key: 'id' },
    batchSize,
    mapping: {
      userId: { column: 'user_id' },
      eventType: { column: 'kind' },
      timestamp: { column: 'at' },
      properties: [{ column: 'sku' }, { column: 'qty', type: 'number' }],
    },
  });

/** The same canonical text per event on both sides, hashed in a fixed order (as test/crash.test.ts). */
export const sourceChecksum = (
  table = 'events_src',
  where = 'true',
) => `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT user_id || '|' || kind || '|' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '|' ||
         jsonb_build_object('sku', sku, 'qty', qty)::text AS line FROM ${table} WHERE ${where}) t`;
export const STORE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT id_value || '|' || event_type || '|' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '|' ||
         properties::text AS line FROM events WHERE import_id = $1) t`;

export function backfillInput(
  spec: ImportSpec,
  over: Partial<Omit<BackfillInput, 'spec'>> & { backfillId: string },
): BackfillInput & { spec: ImportSpec } {
  return {
    from: null,
    to: null,
    partitions: null,
    throttle: { rowsPerSecond: null, concurrency: 4 },
    ...over,
    spec,
  };
}

export async function runBackfill(client: Client, taskQueue: string, input: BackfillInput & { spec: ImportSpec }) {
  return startBackfill(client, taskQueue, input);
}

/** Statuses of every execution of a workflow id (CONTINUED_AS_NEW ones included). */
export async function executions(client: Client, workflowId: string): Promise<string[]> {
  const statuses: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) statuses.push(w.status.name);
  return statuses.sort();
}

/** waitFor with backfills' patience: two minutes by default. */
export const waitFor = <T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 120_000,
  everyMs = 200,
): Promise<T> => waitForReading(what, read, ok, timeoutMs, everyMs);
