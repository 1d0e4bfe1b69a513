/**
 * finishRun: the run's final status from the store's own counts, so a retried batch is never counted twice.
 * A snapshot segments run that completed also removes, in the same transaction that ends it, the memberships
 * it did not see (see removeUnseen): a retry finds the run ended and removes nothing again.
 */
import { type ActivityDeps } from '../engine/deps';
import { type ImportSpec, isSnapshot } from '../domain/importSpec';
import { inTransaction } from '../store/transaction';
import { removeUnseen } from '../engine/snapshotRemoval';
import { endRun, getRun, lockRun, type RunRecord, runRecordOf } from '../store/runs';
import { dropPositionUnlessHeld, lockRunPosition } from '../store/positions';

// The run's record is the store's (store/runs.ts); workflows and the client import its types from here.
export type { RunRecord, RunStatus } from '../store/runs';

export interface FinishRunInput {
  runId: number;
  outcome: 'completed' | 'failed' | 'cancelled';
  error?: string;
}

export function finishRunActivity(deps: ActivityDeps) {
  return async function finishRun({ runId, outcome, error }: FinishRunInput): Promise<RunRecord> {
    return inTransaction(deps.store, async (client) => {
      const current = await getRun(client, runId);
      if (!current) throw new Error(`run ${runId} does not exist`);
      const snapshotRun = isSnapshot(current.spec as ImportSpec);
      if (snapshotRun && outcome === 'completed') {
        // The run's position row first, as importBatch takes it: a batch attempt of this run still
        // committing (one the workflow already gave up on) finishes before the run is judged, and any later
        // one finds the run ended and loads nothing.
        await lockRunPosition(client, String(current.import_id), runId);
      }
      const run = (await lockRun(client, runId))!;
      if (run.status !== 'running') return runRecordOf(run);
      let snapshot: { removal: string; removed: number; incomplete: boolean } | null = null;
      if (snapshotRun) {
        snapshot =
          outcome === 'completed'
            ? await removeUnseen(client, {
                importId: run.import_id,
                runId: Number(run.id),
                rejected: Number(run.rejected),
                nullCursor: Number(run.null_cursor),
                rowsRead: Number(run.rows_read),
              })
            : {
                removal: `nothing removed: the run was ${outcome === 'failed' ? 'failed' : 'stopped'} before it read everything`,
                removed: 0,
                incomplete: false,
              };
        // The snapshot stream's position served this run only; the next run reads from the start again.
        await dropPositionUnlessHeld(client, run.import_id, run.stream);
      }
      const ended = await endRun(client, runId, {
        outcome,
        error: error ?? null,
        removed: snapshot?.removed ?? 0,
        incomplete: snapshot?.incomplete ?? false,
        snapshotRemoval: snapshot?.removal ?? null,
      });
      return runRecordOf(ended);
    });
  };
}
