/**
 * Profiles: upsert, insert-only or update-only of the mapped attributes; unchanged rows detected.
 * Each user of the chunk is looked up by index (LATERAL probes, in key order), so a chunk costs the same
 * however large the store has grown. A chunk of users all new to the store takes a shorter path
 * (newUsers.ts) to the same rows and counts.
 */
import { type LoadContext, type Loader, type MergeResult, num, ROW_COUNTS } from '../../store/loaders/types';
import { mergeNewUsers } from './newUsers';

export const profileLoader: Loader = {
  async merge(ctx) {
    const mode = ctx.spec.dataType === 'profile' ? ctx.spec.mode : 'upsert';
    if (mode !== 'update-only') {
      const merged = await mergeNewUsers(ctx.client, ctx.importId, ctx.runId, mode);
      if (merged) return merged;
    }
    return mergeProfiles(ctx);
  },
};

/** The merge of any chunk: each user looked up, then created, updated, left unchanged or skipped. */
export async function mergeProfiles({ client, spec, importId, runId }: LoadContext): Promise<MergeResult> {
  const mode = spec.dataType === 'profile' ? spec.mode : 'upsert';
  const res = await client.query(
    `WITH rows AS (
         SELECT seq, id_type, id_value, attributes, source_order,
                lag(attributes) OVER w AS prev, row_number() OVER w AS k,
                count(*) OVER (PARTITION BY id_type, id_value) AS n
         FROM stage WINDOW w AS (PARTITION BY id_type, id_value ORDER BY seq)),
       -- The row applied per user: the last; insert-only applies the first, as the rows after it
       -- would touch a user that exists by then (as they would in a later chunk).
       latest AS (
         SELECT id_type, id_value, attributes, source_order, n FROM rows WHERE k = CASE WHEN $3 = 'insert-only' THEN 1 ELSE n END),
       cls AS (
         SELECT l.*, i.person_id IS NULL AS new_user, p.attributes AS old, l.source_order < p.source_order AS stale
         FROM latest l
         LEFT JOIN LATERAL (
           SELECT i.person_id FROM identities i WHERE i.id_type = l.id_type AND i.id_value = l.id_value LIMIT 1) i ON true
         LEFT JOIN LATERAL (
           SELECT p.attributes, p.source_order FROM profile_attributes p
           WHERE p.id_type = l.id_type AND p.id_value = l.id_value AND p.import_id = $1 LIMIT 1) p ON true),
       act AS (
         SELECT *, CASE
           -- Insert-only: the first row in source order wins. A user this import created from a row that is
           -- newer in the source (another stream committed it first) takes this older row instead.
           WHEN $3 = 'insert-only' AND NOT new_user THEN CASE WHEN stale THEN 'updated' ELSE 'skipped' END
           WHEN $3 = 'update-only' AND new_user THEN 'skipped'
           WHEN new_user THEN 'created'
           -- Older in the source than the row that wrote the profile (committed earlier by another stream).
           WHEN stale THEN 'unchanged'
           WHEN old IS NOT NULL AND old || attributes = old THEN 'unchanged'
           ELSE 'updated' END AS outcome
         FROM cls),
       -- Each source row counted. A user with one row in the chunk: the user's outcome. A user the chunk
       -- leaves as the store had it: all its rows unchanged (the same rows read again). Otherwise the first
       -- row takes the user's outcome, and each next one is unchanged when it repeats the row before it
       -- (every row carries all the mapped attributes), else an update of it. Insert-only: the rows after
       -- the first would touch a user that exists by then, skipped. (Only users with several rows are
       -- joined back to their rows: most users have one.)
       per_row AS (
         SELECT outcome FROM act WHERE n = 1
         UNION ALL
         SELECT CASE
           WHEN a.outcome IN ('skipped', 'unchanged') THEN a.outcome
           WHEN $3 = 'insert-only' THEN CASE WHEN r.k = 1 THEN a.outcome ELSE 'skipped' END
           WHEN r.k = 1 AND a.outcome = 'updated' AND a.old || r.attributes = a.old THEN 'unchanged'
           WHEN r.k = 1 THEN a.outcome
           WHEN r.prev || r.attributes = r.prev THEN 'unchanged'
           ELSE 'updated' END
         FROM rows r JOIN act a ON a.id_type = r.id_type AND a.id_value = r.id_value
         WHERE r.n > 1 AND a.n > 1),
       -- A user another transaction created meanwhile (its insert committed while this one waited on it)
       -- is not created here: the statement's own inserts (RETURNING) say which users it created.
       ids AS (
         INSERT INTO identities (id_type, id_value, person_id, import_id)
         SELECT id_type, id_value, nextval('person_ids'), $1 FROM act WHERE outcome = 'created'
         ON CONFLICT (id_type, id_value) DO NOTHING RETURNING id_type, id_value),
       written AS (
         INSERT INTO profile_attributes AS p (id_type, id_value, import_id, attributes, run_id, updated_at, source_order)
         SELECT id_type, id_value, $1, attributes, $2, clock_timestamp(), source_order FROM act a
         WHERE outcome = 'updated' OR (outcome = 'created' AND ($3 <> 'insert-only'
           OR EXISTS (SELECT 1 FROM ids i WHERE i.id_type = a.id_type AND i.id_value = a.id_value)))
         ON CONFLICT (id_type, id_value, import_id) DO UPDATE
           SET attributes = p.attributes || EXCLUDED.attributes, run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at,
               source_order = coalesce(EXCLUDED.source_order, p.source_order)
           -- Checked again on the row as it is now: another stream may have written it since this statement
           -- began. Upserts keep the newest row in source order, insert-only the oldest.
           WHERE CASE WHEN $3 = 'insert-only' THEN coalesce(EXCLUDED.source_order < p.source_order, false)
                      ELSE NOT coalesce(EXCLUDED.source_order < p.source_order, false) END
         RETURNING 1)
       SELECT ${ROW_COUNTS}, (SELECT count(*) FROM ids) AS profiles_created, (SELECT count(*) FROM written) AS written,
              (SELECT count(*) FROM act WHERE outcome = 'created') AS to_create
       FROM per_row`,
    [importId, runId, mode],
  );
  const r = res.rows[0];
  // Users another import created first: not created here, but updated (upsert) or left alone (insert-only).
  const lost = num(r.to_create) - num(r.profiles_created);
  return {
    created: num(r.created) - lost,
    updated: num(r.updated) + (mode === 'insert-only' ? 0 : lost),
    unchanged: num(r.unchanged),
    skipped: num(r.skipped) + (mode === 'insert-only' ? lost : 0),
    profilesCreated: num(r.profiles_created),
  };
}
