/**
 * The statement that ends a snapshot segments run: this import's members whose last sighting is older than
 * the run are members no more. When it may run (the run saw the whole source) is engine/snapshotRemoval.ts's
 * rule; it runs in the transaction that ends the run, so a retried end finds the run ended and removes
 * nothing again.
 */
import type pg from 'pg';

/** Marks the import's memberships the run did not see as removed; returns how many. */
export async function removeUnseenMembers(client: pg.ClientBase, importId: string, runId: number): Promise<number> {
  const res = await client.query(
    `UPDATE segment_memberships SET member = false, removed_at = clock_timestamp(), updated_at = clock_timestamp()
     WHERE import_id = $1 AND member AND (last_seen_run IS NULL OR last_seen_run < $2)`,
    [importId, runId],
  );
  return res.rowCount ?? 0;
}
