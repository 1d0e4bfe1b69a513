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
 *
 * The memory of an event seen once is its row in `events` (migration 070): the row carries its memory key
 * under a unique index, so loading a new event is one write. The merge looks each staged key up there and
 * in event_dedup, which holds the sightings after the first (and the memory of events stored before 070);
 * a key found in neither is new, and its event is loaded with the key. A key found is upserted into
 * event_dedup, in key order: the update of a key that was there keeps its previous sighting in
 * prev_seen_at, an insertion takes the loaded_at of the event row holding the key; the statement returns
 * it: within the window of this sighting, a duplicate; past it, the event is loaded again, and the row
 * loaded before gives up the key to it. Either way the sighting renews the window.
 *
 * Two transactions loading the same new key: the second's COPY waits for the first at the unique index;
 * rolled back, the second loads the event; committed, the second's COPY fails on the index, and the
 * caller merges the chunk again (loadBatch), which now finds the key: a duplicate. A key in event_dedup a
 * concurrent transaction is renewing makes the upsert wait for it, and then see its sighting. The worker
 * stages each key at most once per chunk (BatchDedup), as an upsert may not touch one row twice.
 */
import { ENSURE_IDENTITIES, type Loader, num } from '../../store/loaders/types';
import { copyRowsInto } from '../dataType';

/**
 * An event's row as COPYed into `events`, after the import id and run id: the COPY's column list and the
 * mapping's line builder (rowLine) both come from it. dedup_key and memory_key: eventKey.ts.
 */
export const eventRow = [
  ['id', 'user'],
  ['event_type', 'text'],
  ['occurred_at', 'timestamptz'],
  ['properties', 'jsonb'],
  ['dedup_key', 'uuid'],
  ['memory_key', 'uuid'],
] as const;

export const eventLoader: Loader = {
  copyRowsInto: copyRowsInto('events', eventRow),
  retryOnUniqueViolation: 'events_memory',
  async merge({ client, spec, importId }) {
    const windowDays = spec.dataType === 'activity' ? spec.dedupWindowDays : 90;
    // The chunk's keys are looked up as one sorted array per index: the scan walks the index's leaf pages
    // from key to key instead of descending from the root for each (one lookup per key, never a table scan).
    const res = await client.query(
      `WITH ids AS (${ENSURE_IDENTITIES('(SELECT id_type, id_value FROM stage WHERE id_type IS NOT NULL) f')}),
       keys AS (SELECT ARRAY(SELECT memory_key FROM stage) AS k),
       held AS (
         SELECT e.memory_key, e.loaded_at FROM events e
         WHERE e.memory_key IS NOT NULL AND e.memory_key = ANY ((SELECT k FROM keys)::uuid[])),
       renewed AS (SELECT d.memory_key FROM event_dedup d WHERE d.memory_key = ANY ((SELECT k FROM keys)::uuid[])),
       found AS (
         SELECT coalesce(h.memory_key, r.memory_key) AS memory_key, h.loaded_at
         FROM held h FULL JOIN renewed r ON r.memory_key = h.memory_key),
       seen AS (
         INSERT INTO event_dedup AS d (memory_key, last_seen_at, loaded_at, prev_seen_at)
         SELECT memory_key, now(),
                CASE WHEN loaded_at >= now() - make_interval(days => $2::int) THEN loaded_at ELSE now() END, loaded_at
         FROM found
         ORDER BY memory_key -- in index order: neighbouring keys land on the same pages, locks taken in one order
         ON CONFLICT (memory_key) DO UPDATE
           SET prev_seen_at = d.last_seen_at,
               last_seen_at = EXCLUDED.last_seen_at,
               loaded_at = CASE WHEN d.last_seen_at < EXCLUDED.last_seen_at - make_interval(days => $2::int)
                                THEN EXCLUDED.last_seen_at ELSE d.loaded_at END
         RETURNING memory_key, coalesce(prev_seen_at >= now() - make_interval(days => $2::int), false) AS duplicate),
       -- Loaded again past the window: the row loaded before gives the key up to the new one.
       handed_over AS (
         UPDATE events e SET memory_key = NULL
         WHERE e.memory_key IS NOT NULL AND e.memory_key = ANY (ARRAY(SELECT memory_key FROM seen WHERE NOT duplicate))
         RETURNING 1)
       SELECT (SELECT coalesce(array_agg(s.seq ORDER BY s.seq), '{}')
               FROM seen JOIN stage s ON s.memory_key = seen.memory_key
               WHERE seen.duplicate) AS duplicates,
              (SELECT count(*) FROM ids) AS profiles_created,
              (SELECT count(*) FROM handed_over) AS handed_over`,
      [importId, windowDays],
    );
    const r = res.rows[0];
    const skip = (r.duplicates as (number | string)[]).map(Number);
    return {
      duplicates: skip.length,
      profilesCreated: num(r.profiles_created),
      skip,
    };
  },
};
