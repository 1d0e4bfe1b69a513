/**
 * Source connections dropped under a running import: terminated from outside (a DBA's
 * pg_terminate_backend) mid-batch, the batch fails and is retried from the committed position, and the
 * import loads every row exactly once; terminated by the custom query itself, the run fails at once with
 * a clear error instead of being retried without end. Either way the worker stays up.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../activities';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { sleep } from './helpers/wait';

const ROWS = 40_000;
const TERMINATIONS = 3;

let h: Harness;
beforeAll(async () => {
  h = await createHarness('dropsrc');
  await h.source.query(`CREATE TABLE events_src AS
    SELECT g AS id, 'user-' || (g % 5000) AS user_id, (ARRAY['view','click','buy'])[1 + g % 3] AS kind,
           timestamptz '2026-01-01' + g * interval '1 second' AS at,
           timestamptz '2026-01-01' + (g / 10) * interval '1 second' AS updated_at
    FROM generate_series(1, ${ROWS}) g`);
  await h.source.query('ALTER TABLE events_src ADD PRIMARY KEY (id)');
  await h.source.query('CREATE INDEX ON events_src (updated_at, id)');
});
afterAll(async () => {
  await h?.close();
});

const SOURCE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT id || '|' || user_id || '|' || kind || '|' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS line
  FROM events_src) t`;
const STORE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT (properties->>'n') || '|' || id_value || '|' || event_type || '|' ||
         to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS line
  FROM events WHERE import_id = $1) t`;

/** A copy of the source table with its own event types, so imports in one store do not see each other's as duplicates. */
async function sourceTable(name: string): Promise<string> {
  await h.source.query(
    `CREATE TABLE ${name} AS SELECT id, user_id, '${name}-' || kind AS kind, at, updated_at FROM events_src`,
  );
  await h.source.query(`ALTER TABLE ${name} ADD PRIMARY KEY (id)`);
  await h.source.query(`CREATE INDEX ON ${name} (updated_at, id)`);
  return name;
}

const specOf = (id: string, source: { table: string } | { query: string }) => ({
  id,
  name: 'dropped source',
  dataType: 'activity' as const,
  source: { connection: 'warehouse', ...source },
  cursor: { column: 'updated_at', key: 'id' },
  batchSize: 2000,
  mapping: {
    userId: { column: 'user_id' },
    eventType: { column: 'kind' },
    timestamp: { column: 'at' },
    properties: [{ column: 'id', property: 'n', type: 'number' as const }],
  },
});

const committedRows = async (importId: string): Promise<number> =>
  Number(
    (await h.store.query('SELECT coalesce(sum(rows_read), 0) AS n FROM runs WHERE import_id = $1', [importId])).rows[0]
      .n,
  );

/** Terminate, from an admin connection, a source session the worker holds inside a transaction (a batch). */
async function terminateBusySourceBackend(): Promise<number | null> {
  const r = await h.source.query(
    `SELECT pg_terminate_backend(pid) AS ok, pid FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'tributary-source' AND state <> 'idle' AND pid <> pg_backend_pid()
     LIMIT 1`,
  );
  return r.rows[0]?.ok ? (r.rows[0].pid as number) : null;
}

for (const [label, source] of [
  ['table', (table: string) => ({ table })],
  ['custom query', (table: string) => ({ query: `SELECT id, user_id, kind, at, updated_at FROM ${table}` })],
] as const) {
  it(`a source session of a ${label} terminated from outside mid-batch ${TERMINATIONS} times: retried, every row loaded exactly once`, async () => {
    const table = await sourceTable(label === 'table' ? 'src_table' : 'src_query');
    const spec = specOf(uniqueId('dropsrc'), source(table));
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

    const terminated: number[] = [];
    while (terminated.length < TERMINATIONS && !finished) {
      const pid = await terminateBusySourceBackend();
      if (pid === null) {
        await sleep(20);
        continue;
      }
      terminated.push(pid);
      // The next one only once a batch has committed after this termination (the terminated batch's
      // retry, or a later one): each termination hits a different activity. Counted from after the
      // termination, since batches committed before it say nothing about its retry.
      const last = await committedRows(spec.id);
      const deadline = Date.now() + 120_000;
      while (!finished && (await committedRows(spec.id)) <= last) {
        if (Date.now() > deadline) throw new Error('no progress after the source session was terminated');
        await sleep(50);
      }
    }
    expect(terminated.length, 'the import finished before every termination; slow it down').toBe(TERMINATIONS);

    const run = await result;
    expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS, duplicates: 0, rejected: 0 });
    const expected = (await h.source.query(SOURCE_CHECKSUM.replace('FROM events_src', `FROM ${table}`))).rows[0];
    expect((await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0]).toEqual(expected);
    if (label === 'table') {
      // The terminations failed batches (the sessions were busy), which Temporal retried. (A custom
      // query's activity tries once more on its own first, to tell an outside termination from its own.)
      const { events } = await handle.fetchHistory();
      expect(
        events!.filter(
          (e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
        ).length,
      ).toBeGreaterThan(0);
    }
  });
}

it('a custom query that terminates its own backend fails its run at once, with a clear error; the worker stays up', async () => {
  const spec = specOf(uniqueId('selfkill'), {
    query: 'SELECT id, user_id, kind, at, updated_at FROM events_src WHERE pg_terminate_backend(pg_backend_pid())',
  });
  const handle = await h.startImport(spec);
  const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const message = String((err.cause?.cause as Error | undefined)?.message ?? err.cause?.message);
  expect(message).toMatch(/terminated its own connection to the source \(SQLSTATE 57P01/);
  // Not retried by Temporal: the one attempt told it (by trying twice on new connections itself).
  const { events } = await handle.fetchHistory();
  const attempts = events!
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
  expect(Math.max(...attempts)).toBe(1);
  // The worker still imports.
  const ok = await h.runImport({
    ...specOf(uniqueId('after'), { query: 'SELECT id, user_id, kind, at, updated_at FROM events_src WHERE id <= 100' }),
  });
  expect(ok).toMatchObject({ status: 'succeeded', rowsRead: 100 });
});
