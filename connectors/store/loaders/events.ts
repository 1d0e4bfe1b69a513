/**
 * Events: appended to the user's history unless the same event (user, type, µs timestamp, typed
 * properties) was seen within the dedup window; each sighting renews the window (brief §3).
 * Duplicates within a chunk are removed before staging, so each key appears once in the stage; a batch
 * is merged chunk by chunk in one transaction, so a key can be in the dedup memory from an earlier chunk.
 *
 * Only the keys are staged (user, dedup key): the events themselves go straight into `events` with COPY
 * once the merge has named the duplicates to leave out (copyRowsInto), so each event is parsed once and
 * written with multi-row inserts. One statement per chunk, costing one index insertion (or conflict) per
 * staged key:
 *   - every key goes into the dedup memory with ON CONFLICT DO NOTHING: the keys it returns are new;
 *   - the others (already remembered, or just inserted by a concurrent transaction) are looked up: if the
 *     window had expired the event is new again; either way the sighting renews the window;
 *   - the seqs of the duplicates are returned, for the COPY to leave out.
 * Events whose key a concurrent transaction inserted are duplicates of that transaction's events.
 */
import { ENSURE_IDENTITIES, type Loader, num } from './types';

export const eventLoader: Loader = {
  // first_use: the batch's first staged row for the user (only those are checked against identities).
  stageColumns: 'id_type text, id_value text, dedup_key uuid, first_use boolean',
  copyRowsInto: 'events (import_id, run_id, id_type, id_value, event_type, occurred_at, properties, dedup_key)',
  async merge({ client, spec, importId }) {
    const windowDays = spec.dataType === 'activity' ? spec.dedupWindowDays : 90;
    const res = await client.query(
      `WITH ids AS (${ENSURE_IDENTITIES('(SELECT id_type, id_value FROM stage WHERE first_use) f')}),
       added AS (
         INSERT INTO event_dedup (id_type, id_value, dedup_key, last_seen_at, loaded_at)
         SELECT id_type, id_value, dedup_key, now(), now() FROM stage
         ORDER BY dedup_key, id_type, id_value -- in index order: neighbouring keys land on the same pages
         ON CONFLICT DO NOTHING
         RETURNING id_type, id_value, dedup_key),
       -- Keys that were not new: already remembered (with the window of their last sighting), or inserted
       -- meanwhile by a concurrent transaction (not visible here: a duplicate of that transaction's event).
       known AS MATERIALIZED (
         SELECT s.seq, s.id_type, s.id_value, s.dedup_key,
                coalesce(p.last_seen_at < now() - make_interval(days => $2::int), false) AS expired
         FROM stage s
         LEFT JOIN LATERAL (
           SELECT d.last_seen_at FROM event_dedup d
           WHERE d.dedup_key = s.dedup_key AND d.id_type = s.id_type AND d.id_value = s.id_value
           LIMIT 1) p ON true
         WHERE NOT EXISTS (
           SELECT 1 FROM added a WHERE a.dedup_key = s.dedup_key AND a.id_type = s.id_type AND a.id_value = s.id_value)),
       renewed AS (
         INSERT INTO event_dedup AS d (id_type, id_value, dedup_key, last_seen_at, loaded_at)
         SELECT id_type, id_value, dedup_key, now(), now() FROM known
         ON CONFLICT (dedup_key, id_type, id_value) DO UPDATE
           SET last_seen_at = EXCLUDED.last_seen_at,
               loaded_at = CASE WHEN d.last_seen_at < EXCLUDED.last_seen_at - make_interval(days => $2::int)
                                THEN EXCLUDED.loaded_at ELSE d.loaded_at END
         RETURNING 1)
       SELECT (SELECT coalesce(array_agg(seq ORDER BY seq), '{}') FROM known WHERE NOT expired) AS duplicates,
              (SELECT count(*) FROM ids) AS profiles_created,
              (SELECT count(*) FROM renewed) AS renewed`,
      [importId, windowDays],
    );
    const r = res.rows[0];
    const skip = (r.duplicates as (number | string)[]).map(Number);
    return {
      created: 0, duplicates: skip.length, profilesCreated: num(r.profiles_created),
      updated: 0, unchanged: 0, skipped: 0, removed: 0, skip,
    };
  },
};
