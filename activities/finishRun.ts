/**
 * finishRun: the run's final status from the store's own counts, so a retried batch is never counted twice.
 * A snapshot segments run that completed also removes, in the same transaction that ends it, the memberships
 * it did not see (see removeUnseen): a retry finds the run ended and removes nothing again.
 */
import { type ActivityDeps } from '../engine/deps';
import { type ImportSpec, isSnapshot } from '../domain/importSpec';
import { inTransaction } from '../store/transaction';
import { removeUnseen } from '../engine/snapshotRemoval';

export type RunStatus = 'running' | 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';

export interface RunRecord {
  runId: number;
  importId: string;
  status: RunStatus;
  rowsRead: number;
  created: number;
  updated: number;
  unchanged: number;
  duplicates: number;
  rejected: number;
  skipped: number;
  removed: number;
  profilesCreated: number;
  nullCursor: number;
  batches: number;
  fromCursor: string | null;
  toCursor: string | null;
  upperBound: string | null;
  error: string | null;
  /** Snapshot segments runs: 'removed' once it removed what it did not see, else why it removed nothing. */
  snapshotRemoval: string | null;
  /** What the run noticed without failing anything: the source's advice at the start (a role that can write to
   * what it reads), a repeated CSV header it renamed. */
  warnings: string[];
}

export interface FinishRunInput {
  runId: number;
  outcome: 'completed' | 'failed' | 'cancelled';
  error?: string;
}

export const runRecordOf = (r: Record<string, unknown>): RunRecord => ({
  runId: Number(r.id),
  importId: String(r.import_id),
  status: r.status as RunStatus,
  rowsRead: Number(r.rows_read),
  created: Number(r.created),
  updated: Number(r.updated),
  unchanged: Number(r.unchanged),
  duplicates: Number(r.duplicates),
  rejected: Number(r.rejected),
  skipped: Number(r.skipped),
  removed: Number(r.removed),
  profilesCreated: Number(r.profiles_created),
  nullCursor: Number(r.null_cursor),
  batches: Number(r.batches),
  fromCursor: (r.from_cursor as string | null) ?? null,
  toCursor: (r.to_cursor as string | null) ?? null,
  upperBound: (r.upper_bound as string | null) ?? null,
  error: (r.error as string | null) ?? null,
  snapshotRemoval: (r.snapshot_removal as string | null) ?? null,
  warnings: (r.warnings as string[] | null | undefined) ?? [],
});

export function finishRunActivity(deps: ActivityDeps) {
  return async function finishRun({ runId, outcome, error }: FinishRunInput): Promise<RunRecord> {
    return inTransaction(deps.store, async (client) => {
      const current = await client.query('SELECT * FROM runs WHERE id = $1', [runId]);
      if (!current.rows[0]) throw new Error(`run ${runId} does not exist`);
      const snapshotRun = isSnapshot(current.rows[0].spec as ImportSpec);
      if (snapshotRun && outcome === 'completed') {
        // The run's position row first, as importBatch takes it: a batch attempt of this run still
        // committing (one the workflow already gave up on) finishes before the run is judged, and any later
        // one finds the run ended and loads nothing.
        await client.query(
          `SELECT 1 FROM positions p JOIN runs r ON r.import_id = p.import_id AND r.stream = p.stream
           WHERE r.id = $1 FOR UPDATE OF p`,
          [runId],
        );
      }
      const run = (await client.query('SELECT * FROM runs WHERE id = $1 FOR UPDATE', [runId])).rows[0];
      if (run.status !== 'running') return runRecordOf(run);
      let snapshot: { removal: string; removed: number; incomplete: boolean } | null = null;
      if (snapshotRun) {
        snapshot = outcome === 'completed'
          ? await removeUnseen(client, {
            importId: run.import_id, runId: Number(run.id), rejected: Number(run.rejected),
            nullCursor: Number(run.null_cursor), rowsRead: Number(run.rows_read),
          })
          : { removal: `nothing removed: the run was ${outcome === 'failed' ? 'failed' : 'stopped'} before it read everything`, removed: 0, incomplete: false };
        // The snapshot stream's position served this run only; the next run reads from the start again. A
        // stopped run's batch may still hold it (cancellation reaches it at its next heartbeat): then it
        // stays, rather than hold up the run's end; that batch finds the run ended and loads nothing.
        await client.query(
          `DELETE FROM positions WHERE ctid IN (
             SELECT ctid FROM positions WHERE import_id = $1 AND stream = $2 FOR UPDATE SKIP LOCKED)`,
          [run.import_id, run.stream],
        );
      }
      const res = await client.query(
        `UPDATE runs SET
           status = CASE
             WHEN $2 = 'failed' THEN 'failed'
             WHEN $2 = 'cancelled' THEN 'cancelled'
             WHEN rejected > 0 OR $5 THEN 'partially_succeeded'
             ELSE 'succeeded' END,
           error = COALESCE(error, $3),
           removed = removed + $4,
           snapshot_removal = $6,
           ended_at = COALESCE(ended_at, clock_timestamp())
         WHERE id = $1
         RETURNING *`,
        [runId, outcome, error ?? null, snapshot?.removed ?? 0, snapshot?.incomplete ?? false, snapshot?.removal ?? null],
      );
      return runRecordOf(res.rows[0]);
    });
  };
}
