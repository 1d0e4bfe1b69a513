/**
 * Group memberships: added, re-added (or given a new role), removed; rows that change nothing are unchanged.
 * A key's current membership is looked up by index (LATERAL), so a chunk costs the same however large the store is.
 * A membership remembers the source order of the row that wrote it: an older row, committed later by another
 * stream, changes nothing. A removal of a membership the store does not hold is written too (member false)
 * when it has a source order, so that an older add arriving later finds it.
 */
import { countsOf, ENSURE_IDENTITIES, type Loader, OUTCOME_COUNTS } from '../../store/loaders/types';

export const groupLoader: Loader = {
  async merge({ client, importId }) {
    const res = await client.query(
      `WITH latest AS (
         SELECT DISTINCT ON (group_type, group_id, id_type, id_value) group_type, group_id, id_type, id_value, role, removed, source_order,
                count(*) OVER (PARTITION BY group_type, group_id, id_type, id_value) AS n
         FROM stage ORDER BY group_type, group_id, id_type, id_value, seq DESC),
       act AS (
         SELECT l.*, CASE
           -- Older in the source than the row that wrote the membership (committed earlier by another stream).
           WHEN l.source_order < m.source_order THEN 'unchanged'
           WHEN l.removed THEN CASE WHEN m.member THEN 'removed' ELSE 'unchanged' END
           WHEN m.member IS NULL THEN 'created'
           WHEN m.member AND m.role IS NOT DISTINCT FROM l.role THEN 'unchanged'
           ELSE 'updated' END AS outcome, m.member IS NULL AS absent
         FROM latest l
         LEFT JOIN LATERAL (
           SELECT m.member, m.role, m.source_order FROM group_memberships m
           WHERE m.import_id = $1 AND m.group_type = l.group_type AND m.group_id = l.group_id
             AND m.id_type = l.id_type AND m.id_value = l.id_value
           LIMIT 1) m ON true),
       ids AS (${ENSURE_IDENTITIES('(SELECT id_type, id_value FROM act WHERE NOT removed) a')}),
       written AS (
         INSERT INTO group_memberships AS m (import_id, group_type, group_id, id_type, id_value, role, member, added_at, removed_at, updated_at, source_order)
         SELECT $1, group_type, group_id, id_type, id_value, role, NOT removed, clock_timestamp(),
                CASE WHEN removed THEN clock_timestamp() END, clock_timestamp(), source_order
         FROM act WHERE outcome IN ('created', 'updated', 'removed') OR (absent AND removed AND source_order IS NOT NULL)
         ON CONFLICT (import_id, group_type, group_id, id_type, id_value) DO UPDATE
           SET member = EXCLUDED.member,
               role = CASE WHEN EXCLUDED.member THEN EXCLUDED.role ELSE m.role END,
               added_at = CASE WHEN EXCLUDED.member AND NOT m.member THEN EXCLUDED.added_at ELSE m.added_at END,
               removed_at = EXCLUDED.removed_at, updated_at = EXCLUDED.updated_at,
               source_order = coalesce(EXCLUDED.source_order, m.source_order)
           -- Checked again on the row as it is now: another stream may have written it since this statement began.
           WHERE NOT coalesce(EXCLUDED.source_order < m.source_order, false)
         RETURNING 1)
       SELECT ${OUTCOME_COUNTS}, (SELECT count(*) FROM ids) AS profiles_created, (SELECT count(*) FROM written) AS written
       FROM act`,
      [importId],
    );
    return countsOf(res.rows[0]);
  },
};
