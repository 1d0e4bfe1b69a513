/**
 * `npm run bench:profile-costs`: what the store's own work costs per profile row, on one backend, apart from
 * the rest of the pipeline (a batch's merges run on one backend, whose CPU per row bounds the import).
 *
 * On a fresh cluster with the bench's settings, with 1,200,000 profiles already stored by the import
 * (PROFILE_COSTS_STORED=N for another size), it measures, each three times in a transaction rolled back and
 * on other users each time (median, backend CPU from /proc), 200,000 rows staged as the import stages them
 * (the profile stage layout, chunks of 20,000, canonical JSON attributes):
 * - the staging COPY alone;
 * - stage + the profile loader's merge of new users (created: the path for chunks of new users), of
 *   stored users with a changed attribute (updated), and of stored users as stored (unchanged);
 * - stage + the general merge (mergeProfiles) of new users, as every chunk was merged before that path;
 * - parts of the work of new users: the identities insert alone, the profile_attributes insert alone,
 *   both, and the merge's reading part alone (the CTEs up to the outcome, no write).
 * Its last line: `profile-costs: stage_us=… created_us=… created_general_us=… updated_us=… unchanged_us=…`
 * (merge only, per row).
 * PROFILE_COSTS_EXPLAIN=1 also prints EXPLAIN (ANALYZE, BUFFERS) of one chunk's merge of new users.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ensureDatabase, startEmbeddedPostgres } from '../store/embeddedPostgres';
import { migrate } from '../store/migrate';
import { mergeProfiles, profileLoader } from '../dataTypes/profile/merge';
import { profileType } from '../dataTypes/profile/profile';
import { stageTableColumns } from '../dataTypes/dataType';
import { parseImportSpec } from '../domain/importSpec';
import { freePort } from '../dev/devServer';
import { cpuSecondsOf } from './cpu';
import { PG_SETTINGS } from './pgSettings';
import { profilesScenario } from './scenarios';

const STORED = Number(process.env.PROFILE_COSTS_STORED ?? 1_200_000);
const ROWS = 200_000;
const CHUNK = 20_000;
const RUNS = 3;
const IMPORT = 'bench';
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

/** A user's attributes as the mapping stages them (canonical JSON: keys sorted, no spaces); `v` varies the plan. */
const ATTRIBUTES = (u: string, v: string) => `'{"country":"' || (ARRAY['FR','DE','US','GB','JP'])[1 + ${u} % 5]
  || '","email":"customer.' || ${u} || '@example.com","first_name":"' || (ARRAY['Alice','Bruno','Chloé','Hiro'])[1 + ${u} % 4]
  || '","is_active":' || (${u} % 9 <> 0) || ',"last_name":"' || (ARRAY['Martin','Okafor','Rossi'])[1 + ${u} % 3]
  || '","lifetime_value":' || ((${u}::bigint * 7919) % 10000000) / 100.0 || ',"plan":"' || (ARRAY['free','starter','pro','enterprise'])[1 + (${u} + ${v}) % 4]
  || '","signup_at":"2020-01-01T00:00:00.000Z"}'`;
const USER = (u: string) => `'cust_' || lpad(${u}::text, 9, '0')`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-profile-costs-'));
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
    const db = (await q('SELECT datcollate, datlocprovider FROM pg_database WHERE datname = current_database()'))
      .rows[0] as { datcollate: string; datlocprovider: string };
    log(`store collation ${db.datcollate} (provider ${db.datlocprovider})`);

    log(`storing ${STORED.toLocaleString('en-US')} profiles (users 1..${STORED}) as the import stores them`);
    await q(`INSERT INTO identities (id_type, id_value, person_id, import_id)
             SELECT 'customer_id', ${USER('u')}, nextval('person_ids'), '${IMPORT}' FROM generate_series(1, ${STORED}) u`);
    await q(`INSERT INTO profile_attributes (id_type, id_value, import_id, attributes, run_id, updated_at, source_order)
             SELECT 'customer_id', ${USER('u')}, '${IMPORT}', (${ATTRIBUTES('u', '0')})::jsonb, 1, clock_timestamp(), u
             FROM generate_series(1, ${STORED}) u`);
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
    const split = (data: Buffer): Buffer[] => {
      const chunks: Buffer[] = [];
      for (let at = 0; at < data.length;) {
        let end = at;
        for (let k = 0; k < CHUNK && end < data.length; k++) end = data.indexOf(10, end) + 1;
        chunks.push(data.subarray(at, end));
        at = end;
      }
      return chunks;
    };
    /** Stage lines (seq, id_type, id_value, attributes, source_order) of users `from`.. with plan shift `v`. */
    const stageOf = async (from: number, v: number): Promise<Buffer[]> =>
      split(
        await dump(`COPY (SELECT g - ${from} + 1, 'customer_id', ${USER('g')}, ${ATTRIBUTES('g', String(v))}, ${STORED} + g
                         FROM generate_series(${from}, ${from + ROWS - 1}) g) TO STDOUT`),
      );
    // Users for each run of each measurement, never used twice (a run rolled back leaves its index entries
    // behind, and a later run's unique checks would meet them): new ones past the stored ones, and stored
    // ones (changed, or as stored) from two halves of the stored users.
    let nextNew = STORED + 1;
    let nextChanged = 1;
    let nextSame = STORED / 2 + 1;
    const fresh = async (): Promise<Buffer[]> => stageOf((nextNew += ROWS) - ROWS, 0);
    const changed = async (): Promise<Buffer[]> => stageOf((nextChanged += ROWS) - ROWS, 1);
    const same = async (): Promise<Buffer[]> => stageOf((nextSame += ROWS) - ROWS, 0);

    /** Median backend CPU µs per row of `work`, run RUNS times in a transaction rolled back, each on its own rows. */
    const measure = async (
      name: string,
      rowsOf: () => Promise<Buffer[]>,
      work: (chunks: Buffer[]) => Promise<void>,
    ): Promise<number> => {
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const chunks = await rowsOf();
        await q('BEGIN');
        const c0 = cpu();
        await work(chunks);
        runs.push(((cpu() - c0) * 1e6) / ROWS);
        await q('ROLLBACK');
      }
      runs.sort((a, b) => a - b);
      log(
        `${name.padEnd(64)} ${runs[1]!.toFixed(1).padStart(5)} µs/row CPU (runs ${runs.map((r) => r.toFixed(1)).join(', ')})`,
      );
      return runs[1]!;
    };

    const spec = parseImportSpec(profilesScenario.spec(IMPORT, ROWS));
    const ctx = { client: client as unknown as pg.PoolClient, spec, importId: IMPORT, runId: 2 };
    const merge = () => profileLoader.merge(ctx);
    /** Stage each chunk as loadBatch does, then run `after` on it (the merge, or a part of it). */
    const staged =
      (after: (() => Promise<unknown>) | null) =>
      async (chunks: Buffer[]): Promise<void> => {
        await q("SET LOCAL work_mem = '64MB'");
        await q(`CREATE TEMP TABLE stage (seq integer, ${stageTableColumns(profileType.stage)}) ON COMMIT DROP`);
        for (const [i, chunk] of chunks.entries()) {
          if (i > 0) await q('TRUNCATE stage');
          await copyIn('COPY stage FROM STDIN', chunk);
          if (after) await after();
        }
      };

    const stageUs = await measure('stage COPY (chunks of 20,000)', fresh, staged(null));
    const createdUs = (await measure('stage + merge: new users', fresh, staged(merge))) - stageUs;
    const generalUs =
      (await measure(
        'stage + the general merge (every user looked up): new users',
        fresh,
        staged(() => mergeProfiles(ctx)),
      )) - stageUs;
    const updatedUs =
      (await measure('stage + merge: stored users, a changed attribute', changed, staged(merge))) - stageUs;
    const unchangedUs = (await measure('stage + merge: stored users as stored', same, staged(merge))) - stageUs;
    const sql = (text: string) => () => q(text, [IMPORT]);
    await measure(
      'stage + identities insert alone (new users, ordered)',
      fresh,
      staged(
        sql(`INSERT INTO identities (id_type, id_value, person_id, import_id)
             SELECT id_type, id_value, nextval('person_ids'), $1 FROM stage ORDER BY id_type, id_value`),
      ),
    );
    await measure(
      'stage + profile_attributes plain insert alone (new users, ordered)',
      fresh,
      staged(
        sql(`INSERT INTO profile_attributes (id_type, id_value, import_id, attributes, run_id, updated_at, source_order)
             SELECT id_type, id_value, $1, attributes, 2, clock_timestamp(), source_order FROM stage ORDER BY id_type, id_value`),
      ),
    );
    await measure(
      'stage + profile_attributes ON CONFLICT insert alone (new users)',
      fresh,
      staged(
        sql(`INSERT INTO profile_attributes AS p (id_type, id_value, import_id, attributes, run_id, updated_at, source_order)
             SELECT id_type, id_value, $1, attributes, 2, clock_timestamp(), source_order FROM stage ORDER BY id_type, id_value
             ON CONFLICT (id_type, id_value, import_id) DO UPDATE SET attributes = p.attributes || EXCLUDED.attributes`),
      ),
    );
    await measure(
      'stage + both lookups alone (identities, profile_attributes)',
      fresh,
      staged(
        sql(`SELECT count(i.person_id), count(p.source_order) FROM stage l
             LEFT JOIN LATERAL (SELECT i.person_id FROM identities i WHERE i.id_type = l.id_type AND i.id_value = l.id_value LIMIT 1) i ON true
             LEFT JOIN LATERAL (SELECT p.attributes, p.source_order FROM profile_attributes p
               WHERE p.id_type = l.id_type AND p.id_value = l.id_value AND p.import_id = $1 LIMIT 1) p ON true`),
      ),
    );
    await measure(
      'stage + the window over the stage alone',
      fresh,
      staged(
        sql(`SELECT count(*), sum(k), $1 FROM (SELECT lag(attributes) OVER w AS prev, row_number() OVER w AS k,
               count(*) OVER (PARTITION BY id_type, id_value) AS n
             FROM stage WINDOW w AS (PARTITION BY id_type, id_value ORDER BY seq)) r`),
      ),
    );

    if (process.env.PROFILE_COSTS_EXPLAIN) {
      await q('BEGIN');
      await q(`CREATE TEMP TABLE stage (seq integer, ${stageTableColumns(profileType.stage)}) ON COMMIT DROP`);
      await copyIn('COPY stage FROM STDIN', (await fresh())[0]!);
      const orig = client.query.bind(client);
      let explaining = false;
      // The merges' statements, explained (savepoints passed on); the new users' check answers "none known".
      (client as unknown as { query: unknown }).query = (text: string | object, params: unknown[]) =>
        !explaining || typeof text !== 'string' || /^\s*(SAVEPOINT|RELEASE|ROLLBACK)/.test(text)
          ? orig(text as string, params)
          : orig(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`, params).then((r) => {
              process.stderr.write(r.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n') + '\n');
              return { rows: [{ known: false }] };
            });
      process.stderr.write('-- the loader: new users\n');
      explaining = true;
      await merge();
      explaining = false;
      await q('TRUNCATE stage');
      await copyIn('COPY stage FROM STDIN', (await fresh())[0]!);
      process.stderr.write('-- the general merge: new users\n');
      explaining = true;
      await mergeProfiles(ctx);
      explaining = false;
      (client as unknown as { query: unknown }).query = orig;
      await q('ROLLBACK');
    }

    process.stdout.write(
      `profile-costs: stage_us=${stageUs.toFixed(1)} created_us=${createdUs.toFixed(1)} created_general_us=${generalUs.toFixed(1)} updated_us=${updatedUs.toFixed(1)} unchanged_us=${unchangedUs.toFixed(1)}\n`,
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
    process.stderr.write(`profile-costs failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
