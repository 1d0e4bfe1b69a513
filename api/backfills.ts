/**
 * Backfills against Temporal: start one (with its summary and search attributes, so the Web UI finds and
 * explains it), and steer it: pause, resume, throttle, cancel. Used by the API routes, tests and the bench.
 */
import { type Client, type WorkflowHandle, WorkflowIdConflictPolicy } from '@temporalio/client';
import type { ImportSpec } from '../domain/importSpec';
import { SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { BACKFILL_WORKFLOW_TYPE, type BackfillInput, backfillWorkflowId } from '../workflows/backfillDefinitions';
import { importMetadata } from '../workflows/userMetadata';

export async function startBackfill(
  temporal: Client,
  taskQueue: string,
  input: BackfillInput & { spec: ImportSpec },
): Promise<WorkflowHandle> {
  const { spec } = input;
  const meta = importMetadata(spec);
  const range = `${input.from === null ? 'from where the import stands' : `from ${input.from}`} ${input.to === null ? "to the source's bound" : `to ${input.to} (exclusive)`}`;
  const throttle = `${input.throttle.rowsPerSecond ? `${input.throttle.rowsPerSecond} rows/s` : 'no rate limit'}, ${input.throttle.concurrency} partitions at once`;
  return temporal.workflow.start(BACKFILL_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: backfillWorkflowId(spec.id, input.backfillId),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.importId, value: spec.id },
      { key: SEARCH_ATTRIBUTES.dataType, value: spec.dataType },
      { key: SEARCH_ATTRIBUTES.backfillId, value: input.backfillId },
    ],
    staticSummary: `Backfill ${input.backfillId} of ${meta.staticSummary}`.slice(0, 400),
    staticDetails: [
      `**Backfill** ${input.backfillId}: ${range}; ${input.partitions ?? "partitions sized from the source's count"}${input.partitions ? ' partitions' : ''}`,
      `**Throttle** ${throttle}`,
      meta.staticDetails,
    ].join('\n\n'),
  });
}
