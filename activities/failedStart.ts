/**
 * recordFailedStart: a run whose beginRun failed (a missing column, a wrong password, a refused query) is
 * recorded all the same, as ended with its error, so it is listed with the import's runs and announced like
 * any run that fails later. It takes no position: no position row is created or moved, so every stream is
 * as if the run had never been. Idempotent by workflow run id, like beginRun: a run beginRun did record
 * (and then failed to report) is returned as it stands, for finishRun to end.
 */
import { isSnapshot } from '../domain/importSpec';
import { type ActivityDeps } from '../engine/deps';
import { type BeginRunInput, snapshotStream } from './beginRun';
import { inTransaction } from '../store/transaction';
import { ensureImport } from '../store/imports';
import { insertFailedRun } from '../store/runs';

export interface RecordFailedStartInput extends BeginRunInput {
  outcome: 'failed' | 'cancelled';
  error: string;
}

export interface FailedStart {
  runId: number;
  /** The connection's kind when it resolves (it may be what failed), else null. */
  sourceKind: string | null;
}

export function recordFailedStartActivity(deps: ActivityDeps) {
  return async function recordFailedStart(input: RecordFailedStartInput): Promise<FailedStart> {
    const { spec, workflowId, workflowRunId, scope, outcome, error } = input;
    const stream = scope?.stream ?? (isSnapshot(spec) ? snapshotStream(workflowRunId) : '');
    const sourceKind = await deps.resolveConnection(spec.source.connection).then(
      (c) => c.kind,
      () => null,
    );
    return inTransaction(deps.store, async (client) => {
      // A new import is created so its run can be listed; a known one keeps its stored spec and its
      // deletion: a run that never began changes nothing about the import.
      await ensureImport(client, spec);
      const runId = await insertFailedRun(client, {
        importId: spec.id,
        stream,
        workflowId,
        workflowRunId,
        spec,
        sourceKind,
        status: outcome,
        error,
      });
      return { runId, sourceKind };
    });
  };
}
