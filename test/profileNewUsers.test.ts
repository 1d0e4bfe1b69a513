/**
 * The profile merge's path for chunks of new users (dataTypes/profile/newUsers.ts) against the general
 * merge (mergeProfiles), on a real Postgres: the same chunk, staged for two imports and two sets of users,
 * must leave the same rows and counts. A chunk with a known user, a profile row left without its identity,
 * and a user another transaction creates meanwhile must fall back, with nothing of the chunk written.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeProfiles, profileLoader } from '../dataTypes/profile/merge';
import { mergeNewUsers } from '../dataTypes/profile/newUsers';
import { profileType } from '../dataTypes/profile/profile';
import { stageTableColumns } from '../dataTypes/dataType';
import type { ImportSpec } from '../domain/importSpec';
import { migrate } from '../store/migrate';
import { createPool } from '../store/store';
import { freshDatabase, uniqueId } from './helpers/harness';

/** A staged row: the user (a suffix, prefixed per run), its attributes, its source order. */
type Row = [user: string, attributes: Record<string, unknown>, sourceOrder: number | null];

let pool: pg.Pool;
beforeAll(async () => {
  pool = createPool(await freshDatabase('profnew'), 4);
  await migrate(pool);
});
afterAll(async () => {
  await pool?.end();
});

async function stage(client: pg.PoolClient, prefix: string, rows: Row[]): Promise<void> {
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS stage (seq integer, ${stageTableColumns(profileType.stage)}) ON COMMIT DROP`,
  );
  await client.query('TRUNCATE stage');
  for (const [i, [user, attributes, order]] of rows.entries()) {
    await client.query(`INSERT INTO stage VALUES ($1, 'email', $2, $3, $4)`, [i + 1, prefix + user, attributes, order]);
  }
}

const specOf = (mode: 'upsert' | 'insert-only' | 'update-only') =>
  ({ dataType: 'profile', mode }) as unknown as ImportSpec;

/** What a merge left for one import: its profile rows and its identities in person id order (prefix removed). */
async function storedBy(importId: string, prefix: string) {
  const strip = (v: string) => v.slice(prefix.length);
  const profiles = await pool.query(
    `SELECT id_value, attributes, source_order::text AS source_order, run_id::int AS run_id
     FROM profile_attributes WHERE import_id = $1 ORDER BY id_value`,
    [importId],
  );
  const ids = await pool.query(`SELECT id_value FROM identities WHERE import_id = $1 ORDER BY person_id`, [importId]);
  return {
    profiles: profiles.rows.map((r) => ({ ...r, id_value: strip(r.id_value as string) })),
    personOrder: ids.rows.map((r) => strip(r.id_value as string)),
  };
}

/** One chunk in its own transaction, merged by `merge`. */
async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } finally {
    client.release();
  }
}

/** Users repeated in the chunk (the same row again, a changed row), in an order other than key order. */
const CHUNK: Row[] = [
  ['carol', { plan: 'free' }, 10],
  ['ann', { plan: 'free', seats: 1 }, 11],
  ['bob', { plan: 'pro' }, 12],
  ['ann', { plan: 'free', seats: 1 }, 13],
  ['ann', { plan: 'gold', seats: 1 }, 14],
  ['bob', { plan: 'pro', seats: 3 }, 15],
  ['dan', {}, null],
];

describe('a chunk of users new to the store', () => {
  for (const mode of ['upsert', 'insert-only'] as const) {
    it(`${mode}: the same rows, counts and person id order as the general merge`, async () => {
      const [fast, general] = [uniqueId(`fast-${mode}`), uniqueId(`general-${mode}`)];
      const fastCounts = await inTransaction(async (client) => {
        await stage(client, `${fast}:`, CHUNK);
        return mergeNewUsers(client, fast, 7, mode);
      });
      const generalCounts = await inTransaction(async (client) => {
        await stage(client, `${general}:`, CHUNK);
        return mergeProfiles({ client, spec: specOf(mode), importId: general, runId: 7 });
      });
      expect(fastCounts).not.toBeNull();
      expect(fastCounts).toEqual(generalCounts);
      expect(fastCounts).toEqual(
        mode === 'upsert'
          ? { created: 4, updated: 2, unchanged: 1, skipped: 0, profilesCreated: 4 }
          : { created: 4, updated: 0, unchanged: 0, skipped: 3, profilesCreated: 4 },
      );
      const stored = await storedBy(fast, `${fast}:`);
      expect(stored).toEqual(await storedBy(general, `${general}:`));
      expect(stored.personOrder).toEqual(['ann', 'bob', 'carol', 'dan']);
      expect(stored.profiles.find((p) => p.id_value === 'ann')).toEqual(
        mode === 'upsert'
          ? { id_value: 'ann', attributes: { plan: 'gold', seats: 1 }, source_order: '14', run_id: 7 }
          : { id_value: 'ann', attributes: { plan: 'free', seats: 1 }, source_order: '11', run_id: 7 },
      );
    });
  }
});

describe('a chunk the shorter path does not take', () => {
  it('a known user: nothing written by it, and the loader counts as the general merge does', async () => {
    const [a, b] = [uniqueId('known-a'), uniqueId('known-b')];
    await pool.query(`INSERT INTO identities (id_type, id_value, person_id, import_id)
      VALUES ('email', 'ka:bob', nextval('person_ids'), 'other'), ('email', 'kb:bob', nextval('person_ids'), 'other')`);
    const chunk: Row[] = [
      ['ann', { plan: 'free' }, 1],
      ['bob', { plan: 'pro' }, 2],
    ];
    const viaLoader = await inTransaction(async (client) => {
      await stage(client, 'ka:', chunk);
      expect(await mergeNewUsers(client, a, 1, 'upsert')).toBeNull();
      expect((await client.query(`SELECT 1 FROM identities WHERE id_value = 'ka:ann'`)).rowCount).toBe(0);
      return profileLoader.merge({ client, spec: specOf('upsert'), importId: a, runId: 1 });
    });
    const general = await inTransaction(async (client) => {
      await stage(client, 'kb:', chunk);
      return mergeProfiles({ client, spec: specOf('upsert'), importId: b, runId: 1 });
    });
    expect(viaLoader).toEqual({ created: 1, updated: 1, unchanged: 0, skipped: 0, profilesCreated: 1 });
    expect(viaLoader).toEqual(general);
    expect(await storedBy(a, 'ka:')).toEqual(await storedBy(b, 'kb:'));
  });

  it('a profile row of the import without its identity: rolled back to the savepoint, then merged as before', async () => {
    const [a, b] = [uniqueId('orphan-a'), uniqueId('orphan-b')];
    for (const [importId, prefix] of [
      [a, 'oa:'],
      [b, 'ob:'],
    ] as const) {
      await pool.query(
        `INSERT INTO profile_attributes (id_type, id_value, import_id, attributes, run_id, source_order)
         VALUES ('email', $1, $2, '{"plan": "free", "seats": 2}', 1, 1)`,
        [`${prefix}bob`, importId],
      );
    }
    const chunk: Row[] = [
      ['ann', { plan: 'free' }, 5],
      ['bob', { plan: 'pro' }, 6],
    ];
    const viaLoader = await inTransaction(async (client) => {
      await stage(client, 'oa:', chunk);
      // The identities index knows neither user; the profile row's unique index stops the insert.
      expect(await mergeNewUsers(client, a, 2, 'upsert')).toBeNull();
      expect((await client.query(`SELECT 1 FROM identities WHERE id_value LIKE 'oa:%'`)).rowCount).toBe(0);
      return profileLoader.merge({ client, spec: specOf('upsert'), importId: a, runId: 2 });
    });
    const general = await inTransaction(async (client) => {
      await stage(client, 'ob:', chunk);
      return mergeProfiles({ client, spec: specOf('upsert'), importId: b, runId: 2 });
    });
    expect(viaLoader).toEqual({ created: 2, updated: 0, unchanged: 0, skipped: 0, profilesCreated: 2 });
    expect(viaLoader).toEqual(general);
    const stored = await storedBy(a, 'oa:');
    expect(stored).toEqual(await storedBy(b, 'ob:'));
    expect(stored.profiles.find((p) => p.id_value === 'bob')?.attributes).toEqual({ plan: 'pro', seats: 2 });
  });

  it('a user another transaction creates meanwhile: the insert waits for it, then the chunk falls back', async () => {
    const [a, b] = [uniqueId('race-a'), uniqueId('race-b')];
    const first = await pool.connect();
    const second = await pool.connect();
    try {
      await first.query('BEGIN');
      await stage(first, 'r:', [['zoe', { plan: 'free' }, 1]]);
      expect(await mergeNewUsers(first, a, 1, 'upsert')).toMatchObject({ created: 1, profilesCreated: 1 });
      await second.query('BEGIN');
      await stage(second, 'r:', [
        ['yan', { plan: 'pro' }, 2],
        ['zoe', { plan: 'pro' }, 2],
      ]);
      const pending = mergeNewUsers(second, b, 1, 'upsert');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await first.query('COMMIT');
      expect(await pending).toBeNull();
      expect((await second.query(`SELECT 1 FROM identities WHERE id_value = 'r:yan'`)).rowCount).toBe(0);
      // The general merge then finds zoe created by the other import.
      expect(await profileLoader.merge({ client: second, spec: specOf('upsert'), importId: b, runId: 1 })).toEqual({
        created: 1,
        updated: 1,
        unchanged: 0,
        skipped: 0,
        profilesCreated: 1,
      });
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
  });
});
