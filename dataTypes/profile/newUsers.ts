/**
 * The profile merge of a chunk whose users are all new to the store (a first load): each user's identity
 * and attributes are inserted plainly, without looking each user up and without ON CONFLICT.
 *
 * The general merge (merge.ts) gives every user of such a chunk the outcome `created` and writes the same
 * rows: an identity with the next person id (in key order) and the applied row's attributes and source
 * order. Its per-user lookups and its speculative inserts (ON CONFLICT) are what this path leaves out.
 *
 * Whether the chunk's users are all new is first asked of the identities index (it stops at the first user
 * it knows). The unique indexes then make sure of it: a user whose identity or profile row of this import
 * exists after all (committed since, or a profile row left without its identity) fails the insert, the
 * chunk's writes are rolled back to a savepoint, and the caller runs the general merge instead.
 */
import type pg from 'pg';
import { type MergeResult, num } from '../../store/loaders/types';

/** The chunk's users, each probed in the identities index until one is found. */
const ANY_USER_KNOWN = `
  SELECT EXISTS (
    SELECT 1 FROM stage s
    CROSS JOIN LATERAL (
      SELECT 1 FROM identities i WHERE i.id_type = s.id_type AND i.id_value = s.id_value LIMIT 1) i) AS known`;

/**
 * Every user created: the applied row per user (upsert the last, insert-only the first) inserted. Each
 * source row counted as the general merge counts a created user's rows: its first row created, each next
 * one an update of the row before it, or unchanged when it repeats it; insert-only skips the rows after the
 * first.
 */
const INSERT_NEW_USERS = `
  WITH rows AS (
    SELECT id_type, id_value, attributes, source_order,
           lag(attributes) OVER w AS prev, row_number() OVER w AS k,
           count(*) OVER (PARTITION BY id_type, id_value) AS n
    FROM stage WINDOW w AS (PARTITION BY id_type, id_value ORDER BY seq)),
  applied AS (
    SELECT id_type, id_value, attributes, source_order FROM rows
    WHERE k = CASE WHEN $3 = 'insert-only' THEN 1 ELSE n END),
  ids AS (
    INSERT INTO identities (id_type, id_value, person_id, import_id)
    SELECT id_type, id_value, nextval('person_ids'), $1 FROM applied
    RETURNING 1),
  written AS (
    INSERT INTO profile_attributes (id_type, id_value, import_id, attributes, run_id, updated_at, source_order)
    SELECT id_type, id_value, $1, attributes, $2, clock_timestamp(), source_order FROM applied
    RETURNING 1)
  SELECT count(*) FILTER (WHERE k = 1) AS created,
         count(*) FILTER (WHERE k > 1 AND $3 <> 'insert-only' AND prev || attributes <> prev) AS updated,
         count(*) FILTER (WHERE k > 1 AND $3 <> 'insert-only' AND prev || attributes = prev) AS unchanged,
         count(*) FILTER (WHERE k > 1 AND $3 = 'insert-only') AS skipped,
         (SELECT count(*) FROM ids) AS profiles_created, (SELECT count(*) FROM written) AS written
  FROM rows`;

/** The unique indexes a plain insert of a user that exists after all fails on. */
const EXISTING_USER = new Set(['identities_pkey', 'profile_attributes_pkey']);

/**
 * Merge the staged chunk when all its users are new (upsert and insert-only), inside the caller's
 * transaction; null when some user is known, or turned out to be, with the store as it was before.
 */
export async function mergeNewUsers(
  client: pg.PoolClient,
  importId: string,
  runId: number,
  mode: 'upsert' | 'insert-only',
): Promise<MergeResult | null> {
  const known = await client.query<{ known: boolean }>(ANY_USER_KNOWN);
  if (known.rows[0]?.known !== false) return null;
  await client.query('SAVEPOINT profile_new_users');
  let r: Record<string, unknown>;
  try {
    r = (await client.query(INSERT_NEW_USERS, [importId, runId, mode])).rows[0] as Record<string, unknown>;
  } catch (err) {
    const e = err as { code?: unknown; constraint?: unknown };
    if (e.code !== '23505' || typeof e.constraint !== 'string' || !EXISTING_USER.has(e.constraint)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT profile_new_users');
    await client.query('RELEASE SAVEPOINT profile_new_users');
    return null;
  }
  await client.query('RELEASE SAVEPOINT profile_new_users');
  return {
    created: num(r.created),
    updated: num(r.updated),
    unchanged: num(r.unchanged),
    skipped: num(r.skipped),
    profilesCreated: num(r.profiles_created),
  };
}
