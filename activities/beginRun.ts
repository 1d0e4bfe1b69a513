/**
 * beginRun: checks the mapping against the source, fixes the run's upper bound, counts NULL cursors and
 * records the run. Idempotent per workflow chain: a retry after a commit returns the same run.
 */
import { type ImportSpec, isSnapshot } from '../domain/importSpec';
import { ConfigurationError, type Position } from '../connectors/source';
import { checkColumns, relationOf } from '../engine/extract';
import { type ActivityDeps, openSource } from '../engine/deps';
import { keepAlive } from './keepAlive';
import { upsertImport } from '../store/imports';
import { inTransaction } from '../store/transaction';
import { insertRun, runIdOfWorkflowRun, runOfWorkflowRun } from '../store/runs';
import { createPosition } from '../store/positions';

export interface BeginRunInput {
  spec: ImportSpec;
  workflowId: string;
  /** The first execution's run id: constant across continue-as-new. */
  workflowRunId: string;
  /** Which position the run reads and commits; the incremental import (no scope) is stream ''. */
  scope?: RunScope;
}

/**
 * A run over its own position stream: a backfill partition or one file of a drop folder. The stream's
 * position row is created on first use with `after` as its initial, exclusive position, so the stream is
 * exactly once on its own and never moves the incremental position. A non-null `upperBound` replaces the
 * bound computed from the source.
 */
export interface RunScope {
  stream: string;
  after: Position | null;
  upperBound: string | null;
}

export interface BeginRunResult {
  runId: number;
  upperBound: string | null;
  sourceKind: string;
  nullCursorRows: number;
}

export function beginRunActivity(deps: ActivityDeps) {
  return async function beginRun(input: BeginRunInput): Promise<BeginRunResult> {
    return keepAlive(() => begin(input));
  };

  async function begin({ spec, workflowId, workflowRunId, scope }: BeginRunInput): Promise<BeginRunResult> {
    const existing = await runOfWorkflowRun(deps.store, workflowRunId);
    if (existing) return existing;
    if (scope && isSnapshot(spec)) {
      throw new ConfigurationError(
        `import ${spec.id} has sync "snapshot": each run reads the whole source, so a backfill or a file-by-file run makes no sense`,
      );
    }
    const { session, kind } = await openSource(deps, spec.source.connection);
    try {
      const relation = relationOf(spec);
      const cursor = await checkColumns(session, spec);
      const upperBound =
        scope?.upperBound ?? (await session.upperBound(relation, cursor, spec.cursor.lag, spec.timeZone));
      // A snapshot run reads the whole source from its start, over a stream of its own (so a batch of an
      // earlier run, still committing somewhere, can never move this run's position); finishRun drops it.
      const stream = scope?.stream ?? (isSnapshot(spec) ? snapshotStream(workflowRunId) : '');
      const nullCursorRows = await session.countNullCursor(relation, spec.cursor.column, spec.cursor.key);
      // Advice for the operator, never a reason to fail the run.
      const warnings = (await session.warnings?.(relation).catch(() => [])) ?? [];
      const inserted = await inTransaction(deps.store, async (client) => {
        await upsertImport(client, spec);
        await createPosition(client, spec.id, stream, scope?.after ?? null);
        return insertRun(client, {
          importId: spec.id,
          stream,
          workflowId,
          workflowRunId,
          spec,
          sourceKind: kind,
          upperBound,
          nullCursor: nullCursorRows,
          cursorKind: cursor.cursorKind,
          warnings,
        });
      });
      const runId = inserted ?? (await runIdOfWorkflowRun(deps.store, workflowRunId));
      return { runId, upperBound, sourceKind: kind, nullCursorRows };
    } finally {
      await session.close();
    }
  }
}

/** The position stream of one snapshot run: `snapshot:<first execution run id>`. */
export const snapshotStream = (workflowRunId: string): string => `snapshot:${workflowRunId}`;
