/**
 * The events' dedup memory kept in the event rows (migration 070): a store whose memory was written the
 * way it was before (every key in event_dedup, rows without a key) keeps its duplicates and windows, and
 * two transactions loading the same new event at once load it once, the second counting a duplicate.
 * Driven at the store's level (the events loader's merge and the chunk's COPY, as loadBatch runs them),
 * against a real Postgres; what is expected comes from the rows the store ends with.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImportSpec } from '../domain/importSpec';
import { mergeChunk } from '../engine/loadBatch';
import { RowLineBuffer } from '../engine/chunkBuffers';
import { eventLoader } from '../dataTypes/activity/events';
import { activityType } from '../dataTypes/activity/activity';
import { stageTableColumns } from '../dataTypes/dataType';
import { migrate } from '../store/migrate';
import { createPool } from '../store/store';
import { freshDatabase } from './helpers/harness';

const IMPORT = 'memory-test';
const spec = parseImportSpec({
  id: IMPORT,
  name: 'memory test',
  dataType: 'activity',
  source: { connection: 'warehouse', table: 'acts' },
  cursor: { column: 'updated_at', key: 'id', lag: 0 },
  mapping: { userId: { column: 'uid' }, eventType: { column: 'kind' }, timestamp: { column: 'at' }, properties: [] },
});

interface Ev {
  user: string;
  at: string;
  dedupKey: string;
  memoryKey?: string;
}

/** An event of user `user` at `at`: its dedup key and (from the store's own function) its memory key. */
async function event(pool: pg.Pool, user: string, at: string): Promise<Ev> {
  const r = await pool.query(
    `SELECT md5($1 || $2)::uuid::text AS d,
      event_memory_key('external_id', $1, md5($1 || $2)::uuid, $2::timestamptz)::text AS m`,
    [user, at],
  );
  return { user, at, dedupKey: r.rows[0].d, memoryKey: r.rows[0].m };
}

/**
 * Stage `events` as one chunk and merge it with loadBatch's own chunk step; the counts it returns.
 * stageUsers false: the users staged as already known (as the worker stages a user after its first row).
 */
async function loadChunk(client: pg.PoolClient, events: Ev[], stageUsers = true) {
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS stage (seq integer, ${stageTableColumns(activityType.stage)}) ON COMMIT DROP`,
  );
  await client.query('TRUNCATE stage');
  const lines = new RowLineBuffer(64 * 1024, `${IMPORT}\t1\t`);
  for (const [i, e] of events.entries()) {
    await client.query('INSERT INTO stage VALUES ($1, $2, $3, $4)', [
      i + 1,
      stageUsers ? 'external_id' : null,
      stageUsers ? e.user : null,
      e.memoryKey,
    ]);
    lines.append(i + 1, `external_id\t${e.user}\tview\t${e.at}\t{}\t${e.dedupKey}\t${e.memoryKey}\n`);
  }
  return mergeChunk(client, eventLoader, { client, spec, importId: IMPORT, runId: 1 }, lines.take());
}

const rowsOf = async (pool: pg.Pool, user: string) =>
  (
    await pool.query(
      'SELECT memory_key::text AS m FROM events WHERE id_value = $1 ORDER BY loaded_at, memory_key NULLS FIRST',
      [user],
    )
  ).rows.map((r) => r.m as string | null);

describe('the dedup memory in the event rows', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = createPool(await freshDatabase('evmemory'), 4);
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('keeps the memory of a store written before migration 070: duplicates stay duplicates, windows stay', async () => {
    await migrate(pool, { before: 70 });
    expect(
      (
        await pool.query(
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'memory_key'`,
        )
      ).rowCount,
    ).toBe(0);
    // As the loader before 070 left them: the events without a key, every key in event_dedup.
    const recent = await event(pool, 'old_recent', '2026-01-01T10:00:00.000001Z');
    const aged = await event(pool, 'old_aged', '2026-01-01T10:00:00.000002Z');
    for (const [e, lastSeen] of [
      [recent, 'now()'],
      [aged, "now() - interval '100 days'"],
    ] as const) {
      await pool.query(
        `INSERT INTO events (import_id, run_id, id_type, id_value, event_type, occurred_at, properties, dedup_key, loaded_at)
        VALUES ('before', 1, 'external_id', $1, 'view', $2, '{}', $3, ${lastSeen})`,
        [e.user, e.at, e.dedupKey],
      );
      await pool.query(
        `INSERT INTO event_dedup (memory_key, last_seen_at, loaded_at) VALUES ($1, ${lastSeen}, ${lastSeen})`,
        [e.memoryKey],
      );
    }
    await pool.query(`INSERT INTO identities (id_type, id_value, person_id, import_id)
      VALUES ('external_id', 'old_recent', nextval('person_ids'), 'before'), ('external_id', 'old_aged', nextval('person_ids'), 'before')`);

    expect(await migrate(pool)).toContain('070_event_memory_in_events.sql');
    const fresh = await event(pool, 'new_user', '2026-01-01T10:00:00.000003Z');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Within the window: a duplicate. Past it: loaded again. Never seen: loaded, its user created.
      const first = await loadChunk(client, [recent, aged, fresh]);
      expect(first).toMatchObject({ created: 2, duplicates: 1, profilesCreated: 1, skip: [1] });
      await client.query('COMMIT');
      await client.query('BEGIN');
      // Every one of them was just seen: all duplicates now, whichever way each is remembered.
      const second = await loadChunk(client, [recent, aged, fresh]);
      expect(second).toMatchObject({ created: 0, duplicates: 3, profilesCreated: 0 });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await rowsOf(pool, 'old_recent')).toEqual([null]);
    // The aged event twice: the row from before (no key) and the one loaded again, holding the key.
    expect(await rowsOf(pool, 'old_aged')).toEqual([null, aged.memoryKey]);
    expect(await rowsOf(pool, 'new_user')).toEqual([fresh.memoryKey]);
  });

  it('loads an event once when two transactions load it at the same time', async () => {
    await migrate(pool);
    for (const outcome of ['COMMIT', 'ROLLBACK'] as const) {
      const e = await event(pool, `racer_${outcome}`, '2026-02-01T10:00:00.000001Z');
      const a = await pool.connect();
      const b = await pool.connect();
      try {
        await a.query('BEGIN');
        await b.query('BEGIN');
        expect(await loadChunk(a, [e], false)).toMatchObject({ created: 1, duplicates: 0 });
        // b finds nothing committed, and its COPY waits for a at the unique index.
        const second = loadChunk(b, [e], false);
        const settled = await Promise.race([
          second.then(
            () => 'done',
            () => 'failed',
          ),
          new Promise((r) => setTimeout(() => r('waiting'), 500)),
        ]);
        expect(settled).toBe('waiting');
        await a.query(outcome);
        // a committed: b merges its chunk again and finds the event (a duplicate); a rolled back: b loads it.
        expect(await second).toMatchObject(
          outcome === 'COMMIT' ? { created: 0, duplicates: 1, skip: [1] } : { created: 1, duplicates: 0 },
        );
        await b.query('COMMIT');
      } finally {
        a.release();
        b.release();
      }
      expect(await rowsOf(pool, e.user)).toEqual([e.memoryKey]);
    }
  });
});
