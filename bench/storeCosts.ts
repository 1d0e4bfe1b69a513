/**
 * `npm run bench:store-costs`: what the store's own writes cost per event, on one backend, apart from the
 * rest of the pipeline. A batch commits its rows with its position, so one import's writes run on one
 * Postgres backend, and that backend's CPU per event bounds the import's rate whatever the worker does.
 *
 * On a fresh cluster with the bench's settings, with 800,000 events already stored (indexes of a realistic
 * size; STORE_COSTS_STORED=N for another size), it measures, each three times in a transaction rolled back
 * and on other events each time (median, backend CPU from /proc):
 * - COPY of 200,000 events into `events` as it is (each row carrying its dedup memory key under a unique
 *   index), and into copies of it without the user index, without either index, with `json` properties,
 *   unlogged, and with every column text and unlogged (what each part costs: user index, memory index,
 *   jsonb, WAL, parsing and the heap), and the same rows in COPY's binary format, with and without the indexes
 *   (what parsing the text of the typed columns costs);
 * - the events loader's merge (its real statement) of 100,000 new keys in chunks of 20,000, beside the
 *   upsert of every key into event_dedup and a plain INSERT of them there (the memory as it was before);
 * - the staging COPY of those keys.
 * Its last line: `store-costs: events_copy_us=… merge_us=… stage_us=… one_backend_ceiling_rows_per_s=…`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ensureDatabase, startEmbeddedPostgres } from '../store/embeddedPostgres';
import { migrate } from '../store/migrate';
import { eventLoader } from '../dataTypes/activity/events';
import { activityType } from '../dataTypes/activity/activity';
import { stageTableColumns } from '../dataTypes/dataType';
import { parseImportSpec } from '../domain/importSpec';
import { freePort } from '../dev/devServer';
import { cpuSecondsOf } from './cpu';
import { PG_SETTINGS } from './pgSettings';
import { eventsScenario } from './scenarios';
import { EVENT_ROW, MEMORY_KEY } from './syntheticEvents';

// STORE_COSTS_STORED: how many events the store holds before measuring (to see what grows with it).
const STORED = Number(process.env.STORE_COSTS_STORED ?? 800_000);
const COPIED = 200_000;
const KEYS = 100_000;
const CHUNK = 20_000;
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-store-costs-'));
  const cluster = await startEmbeddedPostgres({
    dir: path.join(dir, 'pg'),
    port: await freePort(),
    settings: PG_SETTINGS,
  });
  const client = new pg.Client({ connectionString: cluster.url('store') });
  try {
    await ensureDatabase(cluster.url('postgres'), 'store');
    const pool = new pg.Pool({ connectionString: cluster.url('store'), max: 1 });
    await migrate(pool);
    await pool.end();
    await client.connect();
    const q = (sql: string, params: unknown[] = []) => client.query(sql, params);
    const pid = (await q('SELECT pg_backend_pid() AS p')).rows[0].p as number;
    const cpu = (): number => cpuSecondsOf(pid);
    const wal = async (): Promise<string> =>
      (await q('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l as string;

    log(`storing ${STORED.toLocaleString('en-US')} events and their dedup keys (indexes of a realistic size)`);
    // As the events loader writes them: each event row carries its dedup memory key (migration 070).
    const cols = eventLoader.copyRowsInto!.slice(eventLoader.copyRowsInto!.indexOf('('));
    await q(
      `INSERT INTO events ${cols} SELECT ${EVENT_ROW('g')}::jsonb, md5(g::text)::uuid, ${MEMORY_KEY('g')} FROM generate_series(1::bigint, ${STORED}) g`,
    );
    // The sightings after the first (every 40th event seen again) are what event_dedup holds.
    await q(`INSERT INTO event_dedup (memory_key, last_seen_at, loaded_at) SELECT ${MEMORY_KEY('g')}, now(), now()
             FROM generate_series(1::bigint, ${STORED}) g WHERE g % 40 = 0 ON CONFLICT DO NOTHING`);
    await q(`INSERT INTO identities (id_type, id_value, person_id, import_id)
             SELECT 'external_id', 'user_' || lpad(u::text, 8, '0'), nextval('person_ids'), 'bench' FROM generate_series(0, 99999) u`);
    for (const [name, change] of [
      // events without the user index (the memory key's unique index kept), and without either index
      ['events_no_user_index', 'CREATE UNIQUE INDEX ON events_no_user_index (memory_key) WHERE memory_key IS NOT NULL'],
      ['events_no_index', ''],
      ['events_json_no_index', 'ALTER TABLE events_json_no_index ALTER properties TYPE json'],
      // The same typed table as events_no_index without WAL: what logging the rows costs.
      ['events_unlogged_no_index', 'ALTER TABLE events_unlogged_no_index SET UNLOGGED'],
      // The COPY's parsing and heap writes alone: every column text, no index, no WAL.
      [
        'events_text_unlogged',
        `ALTER TABLE events_text_unlogged SET UNLOGGED, ALTER run_id TYPE text, ALTER occurred_at TYPE text,
         ALTER properties TYPE text, ALTER dedup_key TYPE text, ALTER memory_key TYPE text, ALTER loaded_at DROP DEFAULT,
         ALTER loaded_at DROP NOT NULL, ALTER loaded_at TYPE text`,
      ],
    ]) {
      await q(`CREATE TABLE ${name} (LIKE events INCLUDING DEFAULTS)`);
      await q(`INSERT INTO ${name} SELECT * FROM events`);
      if (change) await q(change);
    }
    await q('VACUUM ANALYZE');
    await q('CHECKPOINT');

    const dump = async (sql: string): Promise<Buffer> => {
      const s = client.query(copyTo(sql));
      const parts: Buffer[] = [];
      s.on('data', (d: Buffer) => parts.push(d));
      await once(s, 'end');
      return Buffer.concat(parts);
    };
    const copyIn = async (sql: string, data: Buffer): Promise<void> => {
      const s = client.query(copyFrom(sql));
      const done = once(s, 'finish');
      s.end(data);
      await done;
    };
    // Each of a measurement's three runs writes other events (and keys): a run rolled back leaves its index
    // entries behind, and the next run's unique checks would otherwise meet them.
    const RUNS = 3;
    const lines: Buffer[] = [];
    const binaryLines: Buffer[] = [];
    const stageChunks: Buffer[][] = [];
    for (let run = 0; run < RUNS; run++) {
      const from = STORED + run * COPIED + 1;
      lines.push(
        await dump(
          `COPY (SELECT ${EVENT_ROW('g')}, md5(g::text)::uuid, ${MEMORY_KEY('g')} FROM generate_series(${from}::bigint, ${from + COPIED - 1}) g) TO STDOUT`,
        ),
      );
      // The same rows in COPY's binary format (timestamps as integers, uuids as 16 bytes, jsonb as a version
      // byte and its text, which the store still parses and validates).
      await q(`CREATE TEMP TABLE binary_rows AS SELECT * FROM events_no_index LIMIT 0`);
      await copyIn(`COPY binary_rows ${cols} FROM STDIN`, lines[run]!);
      binaryLines.push(await dump(`COPY (SELECT ${cols.slice(1, -1)} FROM binary_rows) TO STDOUT (FORMAT binary)`));
      await q('DROP TABLE binary_rows');
      // Stage rows as importBatch writes them: seq, the user only on its first row (known users: NULL), the key.
      const stage = await dump(
        `COPY (SELECT g, NULL, NULL, ${MEMORY_KEY('g')} FROM generate_series(${from}::bigint, ${from + KEYS - 1}) g) TO STDOUT`,
      );
      const chunks: Buffer[] = [];
      for (let at = 0; at < stage.length;) {
        let end = at;
        for (let k = 0; k < CHUNK && end < stage.length; k++) end = stage.indexOf(10, end) + 1;
        chunks.push(stage.subarray(at, end));
        at = end;
      }
      stageChunks.push(chunks);
    }

    /** Median CPU µs and WAL bytes per row of `work`, run three times in a transaction rolled back. */
    const measure = async (name: string, rows: number, work: (run: number) => Promise<void>): Promise<number> => {
      const runs: { us: number; wal: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        await q('BEGIN');
        const w0 = await wal();
        const c0 = cpu();
        await work(i);
        const us = ((cpu() - c0) * 1e6) / rows;
        const bytes = Number((await q('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1) AS d', [w0])).rows[0].d);
        await q('ROLLBACK');
        runs.push({ us, wal: bytes / rows });
      }
      runs.sort((a, b) => a.us - b.us);
      const m = runs[1]!;
      log(
        `${name.padEnd(58)} ${m.us.toFixed(1).padStart(5)} µs/row CPU (runs ${runs.map((r) => r.us.toFixed(1)).join(', ')}), ${Math.round(m.wal)} B/row WAL`,
      );
      return m.us;
    };

    const copyInto = (table: string) => (run: number) => copyIn(`COPY ${table} ${cols} FROM STDIN`, lines[run]!);
    const eventsCopy = await measure(
      'COPY into events (jsonb, user hash index, memory key index)',
      COPIED,
      copyInto('events'),
    );
    await measure('COPY into events, binary format', COPIED, (run) =>
      copyIn(`COPY events ${cols} FROM STDIN (FORMAT binary)`, binaryLines[run]!),
    );
    await measure('COPY into events without either index, binary format', COPIED, (run) =>
      copyIn(`COPY events_no_index ${cols} FROM STDIN (FORMAT binary)`, binaryLines[run]!),
    );
    await measure('COPY into events without the user index', COPIED, copyInto('events_no_user_index'));
    await measure('COPY into events without either index', COPIED, copyInto('events_no_index'));
    await measure('COPY into events without either index, json properties', COPIED, copyInto('events_json_no_index'));
    await measure('COPY into events without either index, unlogged', COPIED, copyInto('events_unlogged_no_index'));
    await measure('COPY into an unlogged all-text table (parse + heap only)', COPIED, copyInto('events_text_unlogged'));

    const spec = parseImportSpec(eventsScenario.spec('bench', 200_000));
    const stageAndMerge = (merge: boolean | string) => async (run: number) => {
      await q(`CREATE TEMP TABLE stage (seq integer, ${stageTableColumns(activityType.stage)}) ON COMMIT DROP`);
      for (const chunk of stageChunks[run]!) {
        await q('TRUNCATE stage');
        await copyIn('COPY stage FROM STDIN', chunk);
        if (typeof merge === 'string') await q(merge);
        else if (merge)
          await eventLoader.merge({ client: client as unknown as pg.PoolClient, spec, importId: 'bench', runId: 1 });
      }
    };
    const stageUs = await measure('stage COPY of the keys (chunks of 20,000)', KEYS, stageAndMerge(false));
    const mergeUs = (await measure('stage COPY + the events merge', KEYS, stageAndMerge(true))) - stageUs;
    await measure(
      'stage COPY + every key upserted into event_dedup (before 070)',
      KEYS,
      stageAndMerge(`
      INSERT INTO event_dedup AS d (memory_key, last_seen_at, loaded_at, prev_seen_at)
      SELECT memory_key, now(), now(), NULL FROM stage ORDER BY memory_key
      ON CONFLICT (memory_key) DO UPDATE SET prev_seen_at = d.last_seen_at, last_seen_at = EXCLUDED.last_seen_at`),
    );
    await measure('plain INSERT of the same keys into event_dedup (the memory before 070)', KEYS, async (run) => {
      const from = STORED + run * COPIED + 1;
      await q(`INSERT INTO event_dedup (memory_key, last_seen_at, loaded_at) SELECT ${MEMORY_KEY('g')}, now(), now()
               FROM generate_series(${from}::bigint, ${from + KEYS - 1}) g ORDER BY 1`);
    });
    const perEvent = eventsCopy + mergeUs + stageUs;
    log(`one backend per batch: ${perEvent.toFixed(1)} µs of store CPU per new event`);
    process.stdout.write(
      `store-costs: events_copy_us=${eventsCopy.toFixed(1)} merge_us=${mergeUs.toFixed(1)} stage_us=${stageUs.toFixed(1)} one_backend_ceiling_rows_per_s=${Math.round(1e6 / perEvent)}\n`,
    );
  } finally {
    await client.end().catch(() => undefined);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`store-costs failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
