/**
 * `npx tsx bench/memoryLayouts.ts`: the store's CPU per new event with the events' dedup memory as it was
 * before migration 070 (a second row per event in event_dedup, every key upserted) and as it is (the event
 * row's key under a unique index, event_dedup for later sightings), measured in turns on the same events in
 * one cluster, so that both meet the same load of a shared machine.
 * Two databases, each holding STORED events (MEMORY_LAYOUTS_STORED) in its layout; each turn, in a
 * transaction rolled back, stages 100,000 new keys in chunks of 20,000, merges each chunk with that layout's
 * statement and COPYs the chunk's events, on other events each turn. Prints each turn and the medians:
 * `memory-layouts: before_070_us=… after_070_us=… ratio=…`.
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
import { ENSURE_IDENTITIES } from '../store/loaders/types';
import { createPool } from '../store/store';
import { freePort } from '../dev/devServer';
import { cpuSecondsOf } from './cpu';
import { PG_SETTINGS } from './pgSettings';
import { EVENT_ROW, MEMORY_KEY } from './syntheticEvents';

const STORED = Number(process.env.MEMORY_LAYOUTS_STORED ?? 800_000);
const KEYS = 100_000;
const CHUNK = 20_000;
const TURNS = Number(process.env.MEMORY_LAYOUTS_TURNS ?? 4);
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

/** The events merge before migration 070: every staged key upserted into event_dedup. */
const MERGE_BEFORE_070 = `WITH ids AS (${ENSURE_IDENTITIES('(SELECT id_type, id_value FROM stage WHERE id_type IS NOT NULL) f')}),
  seen AS (
    INSERT INTO event_dedup AS d (memory_key, last_seen_at, loaded_at, prev_seen_at)
    SELECT memory_key, now(), now(), NULL FROM stage ORDER BY memory_key
    ON CONFLICT (memory_key) DO UPDATE
      SET prev_seen_at = d.last_seen_at, last_seen_at = EXCLUDED.last_seen_at,
          loaded_at = CASE WHEN d.last_seen_at < EXCLUDED.last_seen_at - make_interval(days => $2::int)
                           THEN EXCLUDED.loaded_at ELSE d.loaded_at END
    RETURNING memory_key, prev_seen_at)
  SELECT (SELECT coalesce(array_agg(s.seq ORDER BY s.seq), '{}') FROM seen JOIN stage s ON s.memory_key = seen.memory_key
          WHERE seen.prev_seen_at >= now() - make_interval(days => $2::int)) AS duplicates,
         (SELECT count(*) FROM ids) AS profiles_created`;
const OLD_COLS = '(import_id, run_id, id_type, id_value, event_type, occurred_at, properties, dedup_key)';
const NEW_COLS = eventLoader.copyRowsInto!.slice(eventLoader.copyRowsInto!.indexOf('('));

interface Layout {
  name: string;
  client: pg.Client;
  pid: number;
  runs: number[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-memory-layouts-'));
  const cluster = await startEmbeddedPostgres({
    dir: path.join(dir, 'pg'),
    port: await freePort(),
    settings: PG_SETTINGS,
  });
  const clients: pg.Client[] = [];
  try {
    const layouts: Layout[] = [];
    for (const [name, before] of [
      ['before_070', 70],
      ['after_070', undefined],
    ] as const) {
      await ensureDatabase(cluster.url('postgres'), name);
      const pool = createPool(cluster.url(name), 1);
      await migrate(pool, before === undefined ? {} : { before });
      await pool.end();
      const client = new pg.Client({ connectionString: cluster.url(name) });
      await client.connect();
      clients.push(client);
      log(`${name}: storing ${STORED.toLocaleString('en-US')} events and their memory`);
      if (before === undefined) {
        await client.query(
          `INSERT INTO events ${NEW_COLS} SELECT ${EVENT_ROW('g')}::jsonb, md5(g::text)::uuid, ${MEMORY_KEY('g')} FROM generate_series(1::bigint, ${STORED}) g`,
        );
        await client.query(`INSERT INTO event_dedup (memory_key, last_seen_at, loaded_at) SELECT ${MEMORY_KEY('g')}, now(), now()
                            FROM generate_series(1::bigint, ${STORED}) g WHERE g % 40 = 0 ON CONFLICT DO NOTHING`);
      } else {
        await client.query(
          `INSERT INTO events ${OLD_COLS} SELECT ${EVENT_ROW('g')}::jsonb, md5(g::text)::uuid FROM generate_series(1::bigint, ${STORED}) g`,
        );
        await client.query(`INSERT INTO event_dedup (memory_key, last_seen_at, loaded_at) SELECT ${MEMORY_KEY('g')}, now(), now()
                            FROM generate_series(1::bigint, ${STORED}) g ON CONFLICT DO NOTHING`);
      }
      await client.query(`INSERT INTO identities (id_type, id_value, person_id, import_id)
                          SELECT 'external_id', 'user_' || lpad(u::text, 8, '0'), nextval('person_ids'), 'bench' FROM generate_series(0, 99999) u`);
      await client.query('VACUUM ANALYZE');
      layouts.push({
        name,
        client,
        pid: (await client.query('SELECT pg_backend_pid() AS p')).rows[0].p as number,
        runs: [],
      });
    }
    await layouts[0]!.client.query('CHECKPOINT');

    const dump = async (client: pg.Client, sql: string): Promise<Buffer> => {
      const parts: Buffer[] = [];
      for await (const b of client.query(copyTo(sql))) parts.push(b as Buffer);
      return Buffer.concat(parts);
    };
    const copyIn = async (client: pg.Client, sql: string, data: Buffer): Promise<void> => {
      const s = client.query(copyFrom(sql));
      const done = once(s, 'finish');
      s.end(data);
      await done;
    };
    /** One chunk's stage lines and event lines (with and without the memory key), split on line ends. */
    const chunksOf = (buf: Buffer): Buffer[] => {
      const out: Buffer[] = [];
      for (let at = 0; at < buf.length;) {
        let end = at;
        for (let k = 0; k < CHUNK && end < buf.length; k++) end = buf.indexOf(10, end) + 1;
        out.push(buf.subarray(at, end));
        at = end;
      }
      return out;
    };

    for (let turn = 0; turn < TURNS; turn++) {
      const from = STORED + turn * KEYS + 1;
      const range = `generate_series(${from}::bigint, ${from + KEYS - 1}) g`;
      const c0 = layouts[0]!.client;
      const stage = chunksOf(await dump(c0, `COPY (SELECT g, NULL, NULL, ${MEMORY_KEY('g')} FROM ${range}) TO STDOUT`));
      const oldLines = chunksOf(
        await dump(c0, `COPY (SELECT ${EVENT_ROW('g')}, md5(g::text)::uuid FROM ${range}) TO STDOUT`),
      );
      const newLines = chunksOf(
        await dump(
          c0,
          `COPY (SELECT ${EVENT_ROW('g')}, md5(g::text)::uuid, ${MEMORY_KEY('g')} FROM ${range}) TO STDOUT`,
        ),
      );
      // Alternate which layout goes first, so neither always meets the same moment of the machine's load.
      const order = turn % 2 === 0 ? layouts : [...layouts].reverse();
      for (const l of order) {
        const q = l.client;
        await q.query('BEGIN');
        const cpu0 = cpuSecondsOf(l.pid);
        await q.query(`CREATE TEMP TABLE stage (seq integer, ${stageTableColumns(activityType.stage)}) ON COMMIT DROP`);
        for (const [i, chunk] of stage.entries()) {
          if (i > 0) await q.query('TRUNCATE stage');
          await copyIn(q, 'COPY stage FROM STDIN', chunk);
          if (l.name === 'before_070') {
            await q.query(MERGE_BEFORE_070, ['bench', 90]);
            await copyIn(q, `COPY events ${OLD_COLS} FROM STDIN`, oldLines[i]!);
          } else {
            await eventLoader.merge({
              client: q as unknown as pg.PoolClient,
              spec: { dataType: 'activity', dedupWindowDays: 90 } as never,
              importId: 'bench',
              runId: 1,
            });
            await copyIn(q, `COPY events ${NEW_COLS} FROM STDIN`, newLines[i]!);
          }
        }
        const us = ((cpuSecondsOf(l.pid) - cpu0) * 1e6) / KEYS;
        await q.query('ROLLBACK');
        l.runs.push(us);
        log(`turn ${turn + 1}: ${l.name} ${us.toFixed(1)} store CPU-µs per new event`);
      }
    }
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.floor((s.length - 1) / 2)]!;
    };
    const [before, after] = layouts.map((l) => median(l.runs));
    process.stdout.write(
      `memory-layouts: stored=${STORED} turns=${TURNS} before_070_us=${before!.toFixed(1)} after_070_us=${after!.toFixed(1)} ratio=${(after! / before!).toFixed(3)}\n`,
    );
  } finally {
    for (const c of clients) await c.end().catch(() => undefined);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`memory-layouts failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
