/**
 * Events: appended to the user's history unless the same event (user, type, µs timestamp, typed
 * properties) was seen within the dedup window; each sighting renews the window.
 * Duplicates within a chunk are removed before staging, so each key appears once in the stage; a batch
 * is merged chunk by chunk in one transaction, so a key can be in the dedup memory from an earlier chunk.
 *
 * Only the keys are staged: the events themselves go straight into `events` with COPY once the merge
 * has named the duplicates to leave out (copyRowsInto), so each event is parsed once and written with
 * multi-row inserts. The dedup memory is keyed by one uuid per event, the user folded in (migration 050),
 * and the user is staged only on its first row of the batch, to create identifiers the store has not seen.
 * One statement per chunk, costing one index insertion (or conflict) per staged key: every key is upserted
 * into the memory, in key order; the update of a key that was there keeps its previous sighting in
 * prev_seen_at, which the statement returns: within the window of this one, a duplicate; past it (or NULL,
 * a new key), the event is loaded. Either way the sighting renews the window. (A key inserted by an earlier
 * chunk of the same batch was seen at now(): a duplicate, as it should be.) A key a concurrent transaction has just inserted makes this
 * one wait for it: committed, its event is the one loaded and this is a duplicate; rolled back, this one
 * inserts the key and loads the event. The worker stages each key at most once per chunk (BatchDedup), as
 * an upsert may not touch one row twice.
 */
import { ENSURE_IDENTITIES, type Loader, num } from '../../store/loaders/types';

export const eventLoader: Loader = {
  copyRowsInto: 'events (import_id, run_id, id_type, id_value, event_type, occurred_at, properties, dedup_key)',
  async merge({ client, spec, importId }) {
    const windowDays = spec.dataType === 'activity' ? spec.dedupWindowDays : 90;
    const res = await client.query(
      `WITH ids AS (${ENSURE_IDENTITIES('(SELECT id_type, id_value FROM stage WHERE id_type IS NOT NULL) f')}),
       seen AS (
         INSERT INTO event_dedup AS d (memory_key, last_seen_at, loaded_at, prev_seen_at)
         SELECT memory_key, now(), now(), NULL FROM stage
         ORDER BY memory_key -- in index order: neighbouring keys land on the same pages, locks taken in one order
         ON CONFLICT (memory_key) DO UPDATE
           SET prev_seen_at = d.last_seen_at,
               last_seen_at = EXCLUDED.last_seen_at,
               loaded_at = CASE WHEN d.last_seen_at < EXCLUDED.last_seen_at - make_interval(days => $2::int)
                                THEN EXCLUDED.loaded_at ELSE d.loaded_at END
         RETURNING memory_key, prev_seen_at)
       SELECT (SELECT coalesce(array_agg(s.seq ORDER BY s.seq), '{}')
               FROM seen JOIN stage s ON s.memory_key = seen.memory_key
               WHERE seen.prev_seen_at >= now() - make_interval(days => $2::int)) AS duplicates,
              (SELECT count(*) FROM ids) AS profiles_created`,
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
