/**
 * Segment memberships: added, re-added, removed; rows that change nothing are unchanged.
 * A key's current membership is looked up by index (LATERAL), so a chunk costs the same however large the store is.
 * A membership remembers the source order of the row that wrote it: an older row, committed later by another
 * stream, changes nothing. A removal of a membership the store does not hold is written too (member false)
 * when it has a source order, so that an older add arriving later finds it.
 */
import { isSnapshot } from '../../domain/importSpec';
import { countsOf, ENSURE_IDENTITIES, type Loader, OUTCOME_COUNTS } from '../../store/loaders/types';

/**
 * Every written membership records the run that wrote it (last_seen_run). A snapshot run also marks the
 * memberships it saw unchanged (`seen`), so finishRun can remove those it did not see: one more write per
 * unchanged membership per run, a HOT update of one small column (not indexed), skipped when a row was
 * already marked by this run. GREATEST: a batch of an older run committing late never lowers the mark.
 */
const SNAPSHOT_SEEN = `
       seen AS (
         UPDATE segment_memberships m SET last_seen_run = $2::bigint
         FROM act a
         WHERE a.outcome = 'unchanged' AND m.import_id = $1 AND m.segment = a.segment
           AND m.id_type = a.id_type AND m.id_value = a.id_value
           AND (m.last_seen_run IS NULL OR m.last_seen_run < $2::bigint)
         RETURNING 1),`;

export const segmentLoader: Loader = {
  async merge({ client, importId, runId, spec }) {
    const res = await client.query(
      `WITH latest AS (
         SELECT DISTINCT ON (segment, id_type, id_value) segment, id_type, id_value, removed, source_order,
                count(*) OVER (PARTITION BY segment, id_type, id_value) AS n
         FROM stage ORDER BY segment, id_type, id_value, seq DESC),
       act AS (
         SELECT l.*, CASE
           -- Older in the source than the row that wrote the membership (committed earlier by another stream).
           WHEN l.source_order < m.source_order THEN 'unchanged'
           WHEN l.removed THEN CASE WHEN m.member THEN 'removed' ELSE 'unchanged' END
           WHEN m.member IS NULL THEN 'created'
           WHEN m.member THEN 'unchanged'
           ELSE 'updated' END AS outcome, m.member IS NULL AS absent
         FROM latest l
         LEFT JOIN LATERAL (
           SELECT m.member, m.source_order FROM segment_memberships m
           WHERE m.import_id = $1 AND m.segment = l.segment AND m.id_type = l.id_type AND m.id_value = l.id_value
           LIMIT 1) m ON true),
       ids AS (${ENSURE_IDENTITIES('(SELECT id_type, id_value FROM act WHERE NOT removed) a')}),${isSnapshot(spec) ? SNAPSHOT_SEEN : ''}
       written AS (
         INSERT INTO segment_memberships AS m (import_id, segment, id_type, id_value, member, added_at, removed_at, updated_at, last_seen_run, source_order)
         SELECT $1, segment, id_type, id_value, NOT removed, clock_timestamp(),
                CASE WHEN removed THEN clock_timestamp() END, clock_timestamp(), $2::bigint, source_order
         FROM act WHERE outcome IN ('created', 'updated', 'removed') OR (absent AND removed AND source_order IS NOT NULL)
         ON CONFLICT (import_id, segment, id_type, id_value) DO UPDATE
           SET member = EXCLUDED.member,
               added_at = CASE WHEN EXCLUDED.member THEN EXCLUDED.added_at ELSE m.added_at END,
               removed_at = EXCLUDED.removed_at, updated_at = EXCLUDED.updated_at,
               last_seen_run = GREATEST(m.last_seen_run, EXCLUDED.last_seen_run),
               source_order = coalesce(EXCLUDED.source_order, m.source_order)
           -- Checked again on the row as it is now: another stream may have written it since this statement began.
           WHERE NOT coalesce(EXCLUDED.source_order < m.source_order, false)
         RETURNING 1)
       SELECT ${OUTCOME_COUNTS}, (SELECT count(*) FROM ids) AS profiles_created, (SELECT count(*) FROM written) AS written${isSnapshot(spec) ? ', (SELECT count(*) FROM seen) AS seen' : ''}
       FROM act`,
      [importId, runId],
    );
    return countsOf(res.rows[0]);
  },
};
