/**
 * The purge of a deleted import: its data, runs and positions removed in one transaction. Invariants this
 * module owns:
 * - only an import marked deleted is purged (its row locked first), so a late or repeated purge can never
 *   remove a live import's data; a second purge finds nothing;
 * - no batch of the import is mid-commit: every stream's position is locked before anything is removed;
 * - the identities epoch moves first, and person merges and splits are serialised by IDENTITY_GRAPH_LOCK,
 *   taken where the loaders take it (after the positions, before any identity or link row);
 * - persons the import's links joined are split again in the same transaction (store/personSplit.ts), so a
 *   retry after a failure starts over from the untouched store.
 */
import type pg from 'pg';
import { IDENTITY_GRAPH_LOCK } from './locks';
import { type SplitCounts, splitPersons, zeroSplit } from './personSplit';
import { lockImportPositions } from './positions';
import { moveIdentitiesEpoch } from './epochs';

export interface PurgedImport {
  purged: boolean;
  /** Rows removed per table. */
  removed: Record<string, number>;
  /** Persons that fell apart once the import's identity links were gone. */
  split: SplitCounts;
}

// Order matters: dedup memory is found through the events it remembers, and identities through
// whatever still references them, so both go before what they are found by.
const STEPS: [string, string][] = [
  // Dedup memory is per user, not per import: forget only keys no other import's events still hold.
  ['event_dedup', `DELETE FROM event_dedup d USING events e
     WHERE e.import_id = $1 AND d.memory_key = event_memory_key(e.id_type, e.id_value, e.dedup_key, e.occurred_at)
       AND NOT EXISTS (SELECT 1 FROM events o WHERE o.import_id <> $1 AND o.id_type = e.id_type
                       AND o.id_value = e.id_value AND o.dedup_key = e.dedup_key)`],
  ['events', 'DELETE FROM events WHERE import_id = $1'],
  ['profile_attributes', 'DELETE FROM profile_attributes WHERE import_id = $1'],
  ['segment_memberships', 'DELETE FROM segment_memberships WHERE import_id = $1'],
  ['group_memberships', 'DELETE FROM group_memberships WHERE import_id = $1'],
  // The persons the links joined are found by the links' left ends (both ends are in one person): the
  // split below regroups them once the identifiers nothing refers to are gone.
  ['identity_links', `WITH gone AS (
       DELETE FROM identity_links WHERE import_id = $1 RETURNING left_type, left_value)
     SELECT (SELECT count(*) FROM gone)::int AS n,
            ARRAY(SELECT DISTINCT i.person_id FROM gone g
                  JOIN identities i ON i.id_type = g.left_type AND i.id_value = g.left_value)::text[] AS persons`],
  // Identifiers this import created, unless another import's data still refers to them.
  ['identities', `DELETE FROM identities i WHERE i.import_id = $1
     AND NOT EXISTS (SELECT 1 FROM profile_attributes p WHERE p.id_type = i.id_type AND p.id_value = i.id_value)
     AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id_type = i.id_type AND e.id_value = i.id_value)
     AND NOT EXISTS (SELECT 1 FROM segment_memberships s WHERE s.id_type = i.id_type AND s.id_value = i.id_value)
     AND NOT EXISTS (SELECT 1 FROM group_memberships g WHERE g.id_type = i.id_type AND g.id_value = i.id_value)
     AND NOT EXISTS (SELECT 1 FROM identity_links l WHERE (l.left_type = i.id_type AND l.left_value = i.id_value)
                                                     OR (l.right_type = i.id_type AND l.right_value = i.id_value))`],
  ['row_errors', 'DELETE FROM row_errors WHERE import_id = $1'],
  ['imported_files', 'DELETE FROM imported_files WHERE import_id = $1'],
  ['webhook_deliveries', 'DELETE FROM webhook_deliveries WHERE run_id IN (SELECT id FROM runs WHERE import_id = $1)'],
  ['runs', 'DELETE FROM runs WHERE import_id = $1'],
  // Backfill plans (their partitions go with them).
  ['backfills', 'DELETE FROM backfills WHERE import_id = $1'],
  ['positions', 'DELETE FROM positions WHERE import_id = $1'],
  ['imports', 'DELETE FROM imports WHERE id = $1'],
];

/** Purges a deleted import; `onStep` is told each table once it is done (the activity heartbeats). */
export async function purgeDeletedImport(pool: pg.Pool, importId: string, onStep: (table: string) => void = () => undefined): Promise<PurgedImport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const imp = await client.query('SELECT deleted_at FROM imports WHERE id = $1 FOR UPDATE', [importId]);
    if (!imp.rows[0] || imp.rows[0].deleted_at === null) {
      await client.query('ROLLBACK');
      return { purged: false, removed: {}, split: zeroSplit() };
    }
    // The position row is every batch's lock: holding it means no batch of this import is mid-commit.
    await lockImportPositions(client, importId);
    // Identifiers may go: move the identities epoch now (migration 052), before taking any row this
    // purge deletes. The update waits for the batches that read the epoch; a batch that took one of those
    // rows first and then waited for this purge would otherwise be a deadlock.
    await moveIdentitiesEpoch(client);
    const removed: Record<string, number> = {};
    let touched: string[] = [];
    let split = zeroSplit();
    for (const [table, sql] of STEPS) {
      if (table === 'identity_links') {
        // Merges and splits are serialised by the identity loader's lock, taken here as the loader does:
        // after the position rows, before any identity or link row. Held to the commit, so no import
        // merges through a link this purge is removing, nor into a person it is splitting.
        await client.query('SELECT pg_advisory_xact_lock($1)', [IDENTITY_GRAPH_LOCK]);
        const gone = await client.query<{ n: number; persons: string[] }>(sql, [importId]);
        removed[table] = gone.rows[0]?.n ?? 0;
        touched = gone.rows[0]?.persons ?? [];
      } else {
        removed[table] = (await client.query(sql, [importId])).rowCount ?? 0;
      }
      if (table === 'identities') split = await splitPersons(client, touched, importId);
      onStep(table);
    }
    await client.query('COMMIT');
    return { purged: true, removed, split };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
