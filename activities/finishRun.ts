/** finishRun: the run's final status from the store's own counts, so a retried batch is never counted twice. */
import { type ActivityDeps } from './deps';

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
});

export function finishRunActivity(deps: ActivityDeps) {
  return async function finishRun({ runId, outcome, error }: FinishRunInput): Promise<RunRecord> {
    const res = await deps.store.query(
      `UPDATE runs SET
         status = CASE
           WHEN status <> 'running' THEN status
           WHEN $2 = 'failed' THEN 'failed'
           WHEN $2 = 'cancelled' THEN 'cancelled'
           WHEN rejected > 0 THEN 'partially_succeeded'
           ELSE 'succeeded' END,
         error = COALESCE(error, $3),
         ended_at = COALESCE(ended_at, clock_timestamp())
       WHERE id = $1
       RETURNING *`,
      [runId, outcome, error ?? null],
    );
    if (!res.rows[0]) throw new Error(`run ${runId} does not exist`);
    return runRecordOf(res.rows[0]);
  };
}
