/**
 * `npm run bench:store-growth`: how the cost of writing an event grows with the events already stored,
 * index by index. One cluster with the bench's settings; copies of the `events` table that differ only in
 * their indexes: none, the user index as a hash on id_value, the user index as a btree on id_value, and the
 * dedup memory's unique index on memory_key alone, and a btree on (the event's week, id_value) whose insertions
 * are near-append (STORE_GROWTH_TABLES=ev_none,ev_user_hash,… for some of them). The tables grow together through STORE_GROWTH_STEPS
 * (default 1000000,3000000,5000000 events, the bench's synthetic events); at each size, after a CHECKPOINT,
 * each table gets a COPY of 200,000 new events, three times (the tables in turn), in transactions rolled
 * back: the first run after the checkpoint pays a full-page image in the WAL for every page it is the first
 * to touch, the later runs (the cheaper of the two is printed) meet pages already logged since. The stored
 * events have 100,000 users (bench/syntheticEvents.ts), so a user's events grow with the store.
 * At each size it also reads one user's history (every event of the user) from each user index, for 200
 * users: `store-growth: stored=… table=… history_ms=… events_per_user=… plan: …` (wall time, with the plan).
 * STORE_GROWTH_SETTINGS='{"shared_buffers":"1GB"}' overrides server settings. Prints one line per table and size:
 * `store-growth: stored=… table=… first_us=… first_wal_b=… later_us=… later_wal_b=… blocks_read=… index_pages=…`
 * (blocks_read: per run, the blocks read from outside shared_buffers).
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
import { freePort } from '../dev/devServer';
import { cpuSecondsOf } from './cpu';
import { PG_SETTINGS } from './pgSettings';
import { EVENT_ROW, MEMORY_KEY } from './syntheticEvents';

const STEPS = (process.env.STORE_GROWTH_STEPS ?? '1000000,3000000,5000000').split(',').map(Number);
const COPIED = 200_000;
const RUNS = 3;
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

const TABLES = (
  [
    ['ev_none', ''],
    ['ev_user_hash', 'CREATE INDEX ev_user_hash_i ON ev_user_hash USING hash (id_value)'],
    ['ev_user_btree', 'CREATE INDEX ev_user_btree_i ON ev_user_btree (id_value)'],
    ['ev_user_btree_c', 'CREATE INDEX ev_user_btree_c_i ON ev_user_btree_c (id_value COLLATE "C")'],
    ['ev_memory', 'CREATE UNIQUE INDEX ev_memory_i ON ev_memory (memory_key) WHERE memory_key IS NOT NULL'],
    // A user index whose insertions are near-append: the event's week first, then the user.
    ['ev_user_week', 'CREATE INDEX ev_user_week_i ON ev_user_week (bench_event_week(occurred_at), id_value)'],
  ] as [name: string, index: string][]
).filter(([name]) => !process.env.STORE_GROWTH_TABLES || process.env.STORE_GROWTH_TABLES.split(',').includes(name));
/** The tables with a user index: one user's history is read from each (HISTORY_READS users, their count of events). */
const HISTORY_READS = 200;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-store-growth-'));
  const settings = { ...PG_SETTINGS, ...(JSON.parse(process.env.STORE_GROWTH_SETTINGS ?? '{}') as object) };
  const cluster = await startEmbeddedPostgres({
    dir: path.join(dir, 'pg'),
    port: await freePort(),
    settings,
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
    const coll = (await q('SELECT datcollate FROM pg_database WHERE datname = current_database()')).rows[0];
    log(`database collation ${coll.datcollate}; settings ${JSON.stringify(settings)}`);
    const cols = eventLoader.copyRowsInto!.slice(eventLoader.copyRowsInto!.indexOf('('));
    await q(`CREATE FUNCTION bench_event_week(at timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
             RETURN floor(extract(epoch FROM at) / 604800)::integer`);
    await q('CREATE UNLOGGED TABLE src (LIKE events INCLUDING DEFAULTS)');
    for (const [name, index] of TABLES) {
      await q(`CREATE TABLE ${name} (LIKE events INCLUDING DEFAULTS)`);
      if (index) await q(index);
    }
    const copyIn = async (sql: string, data: Buffer): Promise<void> => {
      const s = client.query(copyFrom(sql));
      const done = once(s, 'finish');
      s.end(data);
      await done;
    };
    const dump = async (sql: string): Promise<Buffer> => {
      const parts: Buffer[] = [];
      for await (const b of client.query(copyTo(sql))) parts.push(b as Buffer);
      return Buffer.concat(parts);
    };
    // Blocks the database read from outside shared_buffers (the kernel's cache or the disk).
    const blocksRead = async (): Promise<number> =>
      Number((await q('SELECT blks_read FROM pg_stat_database WHERE datname = current_database()')).rows[0].blks_read);
    let stored = 0;
    let measured = 10_000_000_000; // the measured events come from far past the stored ones: never the same
    for (const step of STEPS) {
      log(`storing events ${stored + 1} to ${step}`);
      await q('TRUNCATE src');
      await q(
        `INSERT INTO src ${cols} SELECT ${EVENT_ROW('g')}::jsonb, md5(g::text)::uuid, ${MEMORY_KEY('g')} FROM generate_series(${stored + 1}::bigint, ${step}) g`,
      );
      for (const [name] of TABLES) await q(`INSERT INTO ${name} SELECT * FROM src`);
      stored = step;
      await q('VACUUM ANALYZE');
      // The measured events follow the stored ones in time, as a new batch would.
      const lines: Buffer[] = [];
      for (let run = 0; run < RUNS; run++) {
        const from = stored + run * COPIED + 1;
        lines.push(
          await dump(
            `COPY (SELECT ${EVENT_ROW('g')}, md5((g + ${measured})::text)::uuid, ${MEMORY_KEY('g')} FROM generate_series(${from}::bigint, ${from + COPIED - 1}) g) TO STDOUT`,
          ),
        );
      }
      measured += 1_000_000;
      await q('CHECKPOINT');
      // Run by run, every table in turn: a moment of the shared machine's load falls on all of them.
      const runs = new Map<string, { us: number; wal: number; read: number }[]>(TABLES.map(([name]) => [name, []]));
      for (let run = 0; run < RUNS; run++) {
        for (const [name] of TABLES) {
          await q('BEGIN');
          const w0 = (await q('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l as string;
          const read0 = await blocksRead();
          const c0 = cpuSecondsOf(pid);
          await copyIn(`COPY ${name} ${cols} FROM STDIN`, lines[run]!);
          const us = ((cpuSecondsOf(pid) - c0) * 1e6) / COPIED;
          const wal = Number((await q('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1) AS d', [w0])).rows[0].d);
          await q('ROLLBACK');
          await q('SELECT pg_stat_force_next_flush()');
          runs.get(name)!.push({ us, wal: wal / COPIED, read: (await blocksRead()) - read0 });
        }
      }
      // One user's history (every event of the user), for users spread over the store, from each user index.
      for (const [name] of TABLES.filter(([n]) => n.startsWith('ev_user'))) {
        const plan = (
          await q(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM ${name}
                   WHERE id_type = 'external_id' AND id_value = 'user_00012345'`)
        ).rows
          .map((r) => String(r['QUERY PLAN']).trim())
          .join('; ');
        const t0 = process.hrtime.bigint();
        let events = 0;
        for (let u = 0; u < HISTORY_READS; u++) {
          const user = `user_${String((u * 499) % 100_000).padStart(8, '0')}`;
          events += (await q(`SELECT * FROM ${name} WHERE id_type = 'external_id' AND id_value = $1`, [user]))
            .rowCount!;
        }
        const ms = Number(process.hrtime.bigint() - t0) / 1e6 / HISTORY_READS;
        process.stdout.write(
          `store-growth: stored=${stored} table=${name} history_ms=${ms.toFixed(2)} events_per_user=${(events / HISTORY_READS).toFixed(0)} plan: ${plan}\n`,
        );
      }
      for (const [name, index] of TABLES) {
        const r = runs.get(name)!;
        const pages = Number(
          (await q(`SELECT pg_relation_size($1) / 8192 AS p`, [index ? `${name}_i` : name])).rows[0].p,
        );
        const later = [...r.slice(1)].sort((a, b) => a.us - b.us)[0]!;
        process.stdout.write(
          `store-growth: stored=${stored} table=${name} first_us=${r[0]!.us.toFixed(1)} first_wal_b=${Math.round(r[0]!.wal)} later_us=${later.us.toFixed(1)} later_wal_b=${Math.round(later.wal)} blocks_read=${r.map((x) => x.read).join('/')} ${index ? 'index' : 'heap'}_pages=${pages}\n`,
        );
      }
    }
  } finally {
    await client.end().catch(() => undefined);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`store-growth failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
