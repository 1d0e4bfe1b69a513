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
    const sourceKind = await deps.resolveConnection(spec.source.connection).then((c) => c.kind, () => null);
    return inTransaction(deps.store, async (client) => {
      // A new import is created so its run can be listed; a known one keeps its stored spec and its
      // deletion: a run that never began changes nothing about the import.
      await client.query(
        'INSERT INTO imports (id, data_type, spec) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
        [spec.id, spec.dataType, spec],
      );
      // Inserted as ended, not updated to it: the end of a file's run records the file as taken
      // (runs_record_imported_file), and a file whose run never began is to be taken up again.
      const inserted = await client.query(
        `INSERT INTO runs (import_id, stream, workflow_id, workflow_run_id, spec, source_kind, status, error, from_cursor, from_key, ended_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, p.cursor_value, p.key_value, clock_timestamp()
         FROM (VALUES (1)) one LEFT JOIN positions p ON p.import_id = $1 AND p.stream = $2
         ON CONFLICT (workflow_run_id) DO NOTHING
         RETURNING id`,
        [spec.id, stream, workflowId, workflowRunId, spec, sourceKind, outcome, error],
      );
      const runId = inserted.rows[0]
        ? Number(inserted.rows[0].id)
        : Number((await client.query('SELECT id FROM runs WHERE workflow_run_id = $1', [workflowRunId])).rows[0].id);
      return { runId, sourceKind };
    });
  };
}
