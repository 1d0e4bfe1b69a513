/**
 * Events: appended to the user's history unless the same event (user, type, µs timestamp, typed
 * properties) was seen within the dedup window; each sighting renews the window (brief §3).
 * In-batch duplicates are removed before staging, so each key appears once here.
 */
import { ENSURE_IDENTITIES, type Loader, num } from './types';

export const eventLoader: Loader = {
  stageColumns: 'id_type text, id_value text, event_type text, occurred_at timestamptz, properties jsonb, dedup_key uuid',
  async merge({ client, spec, importId, runId }) {
    const windowDays = spec.dataType === 'activity' ? spec.dedupWindowDays : 90;
    const res = await client.query(
      `WITH ids AS (${ENSURE_IDENTITIES('stage')}),
       seen AS (
         INSERT INTO event_dedup AS d (id_type, id_value, dedup_key, last_seen_at, loaded_at)
         SELECT id_type, id_value, dedup_key, now(), now() FROM stage
         ON CONFLICT (id_type, id_value, dedup_key) DO UPDATE
           SET last_seen_at = EXCLUDED.last_seen_at,
               loaded_at = CASE WHEN d.last_seen_at < EXCLUDED.last_seen_at - make_interval(days => $3::int)
                                THEN EXCLUDED.loaded_at ELSE d.loaded_at END
         RETURNING d.id_type, d.id_value, d.dedup_key, d.loaded_at = now() AS fresh),
       inserted AS (
         INSERT INTO events (import_id, run_id, id_type, id_value, event_type, occurred_at, properties, dedup_key)
         SELECT $1, $2, s.id_type, s.id_value, s.event_type, s.occurred_at, s.properties, s.dedup_key
         FROM stage s JOIN seen USING (id_type, id_value, dedup_key)
         WHERE seen.fresh
         RETURNING 1)
       SELECT (SELECT count(*) FROM inserted) AS created,
              (SELECT count(*) FROM seen WHERE NOT fresh) AS duplicates,
              (SELECT count(*) FROM ids) AS profiles_created`,
      [importId, runId, windowDays],
    );
    const r = res.rows[0];
    return {
      created: num(r.created), duplicates: num(r.duplicates), profilesCreated: num(r.profiles_created),
      updated: 0, unchanged: 0, skipped: 0, removed: 0,
    };
  },
};
