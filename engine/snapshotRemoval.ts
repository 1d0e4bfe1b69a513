/** The removals that end a snapshot segments run, shared by finishRun and the dry run. */
import type pg from 'pg';
import { removeUnseenMembers } from '../store/snapshotRemoval';

/** What a run's record says of what it read, which decides whether its removal is safe. */
export interface SnapshotRunFacts {
  importId: string;
  runId: number;
  rejected: number;
  nullCursor: number;
  rowsRead: number;
}

/**
 * The snapshot removal of a run that read everything up to its upper bound: this import's members whose
 * last sighting is older than this run are no longer members. Refused (nothing removed, the run partially
 * succeeded, the reason kept in snapshot_removal) when the run did not see the whole source:
 * - a rejected row: its user's memberships are unknown (the row may have been the only one naming them), and
 *   a bad row must never cost anyone their memberships; the rows that loaded were loaded, and the next clean
 *   run removes;
 * - rows with a NULL cursor: the run cannot read them, so their users would lose their memberships;
 * - no row at all: a source that suddenly returns nothing is far more often a broken export than a real
 *   "nobody is in any segment"; rows with an empty segment array say that explicitly, and are honoured.
 */
export async function removeUnseen(
  client: pg.PoolClient,
  run: SnapshotRunFacts,
): Promise<{ removal: string; removed: number; incomplete: boolean }> {
  const skip = (why: string) => ({ removal: `nothing removed: ${why}`, removed: 0, incomplete: true });
  const rejected = run.rejected;
  if (rejected > 0)
    return skip(
      `${rejected} row${rejected === 1 ? ' was' : 's were'} rejected (see the error report); fix them and the next run removes`,
    );
  const nullCursor = run.nullCursor;
  if (nullCursor > 0)
    return skip(`${nullCursor} row${nullCursor === 1 ? ' has' : 's have'} a NULL cursor and could not be read`);
  if (run.rowsRead === 0)
    return skip(
      'the source returned no rows (refused as suspicious; rows with an empty segment array remove a user from every segment)',
    );
  return { removal: 'removed', removed: await removeUnseenMembers(client, run.importId, run.runId), incomplete: false };
}
